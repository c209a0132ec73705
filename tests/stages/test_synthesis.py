"""Synthesis + slot fitting with real engines (Kokoro, espeak-ng) and real project folders."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from dubstudio.core.project import Project, Segment, Settings, Speaker
from dubstudio.engines.base import SynthesisRequest, Voice
from dubstudio.engines.espeak import EspeakSynthesizer
from dubstudio.stages.synthesis import LEAD_SECONDS, synthesize_segments
from dubstudio.stages.take_fitting import GUARD_SECONDS, TakeSpan, fit_clip, plan_takes


@pytest.fixture(scope="module")
def speech(data_dir) -> tuple[np.ndarray, int]:
    audio, rate = sf.read(data_dir / "en_librivox_sas_0880.wav", dtype="float32")
    return audio, rate


@pytest.fixture(scope="module")
def engines(counting_synthesizer, kokoro):
    return {
        "kokoro": counting_synthesizer(kokoro),
        "espeak": counting_synthesizer(EspeakSynthesizer()),
    }


@pytest.fixture(scope="module")
def catalog(engines) -> list[Voice]:
    return [v for engine in engines.values() for v in engine.voices() if "es" in v.languages]


# ---- fit_clip: a pure function on arrays -------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(slot=st.floats(0.3, 6.0), extra=st.floats(0.0, 3.0), cap=st.floats(1.0, 1.5))
def test_fit_clip_invariants(speech, slot, extra, cap):
    audio, rate = speech
    fitted = fit_clip(audio, rate, slot=slot, room=slot + extra, max_speed=cap)
    assert fitted.duration <= slot + extra + 1 / rate  # never past the room
    assert fitted.duration >= slot - 1 / rate  # padded to at least the slot
    assert 1.0 - 1e-6 <= fitted.speed <= cap + 1e-3  # never slowed, never above the cap
    raw = len(audio) / rate
    if raw / cap > slot + extra + 0.05:
        assert fitted.overflow > 0
    if raw <= slot:
        assert fitted.speed == 1.0 and fitted.overflow == 0.0


def test_short_speech_is_padded_not_slowed(speech):
    audio, rate = speech
    fitted = fit_clip(audio[: rate // 2], rate, slot=3.0, room=4.0)
    assert fitted.duration == pytest.approx(3.0, abs=1e-3)
    assert fitted.speed == 1.0 and fitted.stretch == 1.0
    assert np.all(fitted.audio[rate:] == 0)


def test_engine_speed_counts_toward_the_cap(speech):
    audio, rate = speech
    raw = len(audio) / rate
    already_fast = audio[: int(len(audio) / 1.2)]  # as if the engine read it at 1.2×
    fitted = fit_clip(
        already_fast, rate, slot=raw / 2, room=raw, max_speed=1.25, raw_duration=raw, borrow=0.0
    )
    assert fitted.speed == pytest.approx(1.25, rel=0.01)
    assert fitted.stretch == pytest.approx(1.25 / 1.2, rel=0.01)


def test_free_time_after_the_slot_is_borrowed_before_any_speed_up(speech):
    audio, rate = speech
    raw = len(audio) / rate
    fitted = fit_clip(audio, rate, slot=raw - 0.6, room=raw + 2.0)  # 0.6 s over, 2 s free after
    assert fitted.speed == 1.0 and fitted.stretch == 1.0 and fitted.overflow == 0.0
    assert fitted.borrowed == pytest.approx(0.6, abs=0.01)
    # more than BORROW_SECONDS over: borrow the second, speed up only for the rest
    tight = fit_clip(audio, rate, slot=raw - 1.6, room=raw + 2.0)
    assert tight.speed == pytest.approx(raw / (raw - 0.6), rel=0.01)
    assert tight.borrowed == pytest.approx(1.0, abs=0.02)


def test_a_take_may_start_in_the_free_time_before_its_cue(speech):
    audio, rate = speech
    raw = len(audio) / rate
    fitted = fit_clip(audio, rate, slot=raw - 0.5, room=raw - 0.3, borrow=0.2, lead=0.4)
    assert fitted.speed == 1.0 and fitted.overflow == 0.0
    assert fitted.lead == pytest.approx(0.3, abs=0.01)  # only as much as it needs
    assert fitted.duration == pytest.approx(raw, abs=0.01)


def test_a_take_planned_to_end_before_its_slot_keeps_its_pace(speech):
    """The next take leads into this cue's end: the room is shorter than the slot; the plan gives
    this take lead + (room) seconds, exactly its speech (the sample's 'El 14.' before 'El vuelo…')."""
    audio, rate = speech
    raw = len(audio) / rate
    slot, room, lead = raw, raw - 0.3, 0.3
    fitted = fit_clip(audio, rate, slot=slot, room=room, borrow=room - slot, lead=lead)
    assert fitted.speed == 1.0 and fitted.stretch == 1.0 and fitted.overflow == 0.0
    assert fitted.lead == pytest.approx(lead, abs=0.01) and fitted.duration <= lead + room + 1 / rate


# ---- plan_takes: a pure function on spans --------------------------------------------------


def _span(start: float, end: float, need: float, next_start: float, lead: float = LEAD_SECONDS) -> TakeSpan:
    hard = next_start - GUARD_SECONDS
    return TakeSpan(start, need, max(0.0, start - lead), min(hard, end + 1.0), hard)


def test_a_take_that_leads_to_the_very_start_of_the_film_never_starts_before_it():
    """The second half of the pyannote call: its first cue at 0.457 s needs the lead up to 0 s at
    1.17×; the bisected speed put the take at -8e-10 s and the whole dub failed on an invalid span."""
    (take,) = plan_takes([_span(0.457, 3.374, 4.3939, 3.851)], 1.25)
    assert take.start == 0.0 and take.speed > 1.0


def test_back_to_back_takes_share_the_free_time_before_them():
    """'De acuerdo.' + 'Acortaré las diapositivas esta noche.' of the sample: the second one
    alone would need 1.28×; the first starts early into the pause before it, so both fit gently."""
    spans = [_span(34.83, 35.61, 0.84, 35.61), _span(35.61, 37.55, 2.39, 37.57)]
    first, second = plan_takes(spans, 1.25)
    assert first.start == pytest.approx(34.33) and second.start < 35.61  # both lead
    assert (
        second.start >= first.end + GUARD_SECONDS - 1e-9
        and first.limit <= second.start - GUARD_SECONDS + 1e-9
    )
    assert first.speed == pytest.approx(second.speed, abs=1e-3) and second.speed < 1.1
    assert second.end <= 37.47 + 1e-9


def test_a_take_that_fits_keeps_its_place_and_pace():
    spans = [_span(0.5, 3.0, 2.0, 3.2), _span(3.2, 6.0, 2.5, 9.0)]
    plans = plan_takes(spans, 1.25)
    assert [p.speed for p in plans] == [1.0, 1.0]
    assert [p.start for p in plans] == [0.5, 3.2]


def test_a_take_too_long_even_at_the_cap_is_cut_and_never_overlaps():
    spans = [_span(1.0, 2.0, 1.0, 2.0), _span(2.0, 2.5, 4.0, 2.5), _span(2.5, 4.0, 1.0, 9.0)]
    plans = plan_takes(spans, 1.25)
    assert plans[1].speed == 1.25 and plans[1].end - plans[1].start < 4.0 / 1.25  # cut by the render
    for plan, following in itertools.pairwise(plans):
        assert plan.limit <= following.start - GUARD_SECONDS + 1e-9


@settings(max_examples=60, deadline=None)
@given(
    cues=st.lists(
        st.tuples(st.floats(0.0, 1.5), st.floats(0.3, 4.0), st.floats(0.2, 5.0), st.booleans()),
        min_size=1,
        max_size=8,
    ),
    cap=st.floats(1.0, 1.5),
)
def test_plan_invariants(cues, cap):
    spans, start = [], 0.0
    timeline = []
    for gap, length, need, limited in cues:
        start += gap
        timeline.append((start, start + length, need, limited))
        start += length
    for index, (cue_start, cue_end, need, limited) in enumerate(timeline):
        next_start = timeline[index + 1][0] if index + 1 < len(timeline) else cue_end + 1.0
        spans.append(_span(cue_start, min(cue_end, next_start - GUARD_SECONDS), need, next_start,
                           lead=0.0 if limited else LEAD_SECONDS))  # fmt: skip
    plans = plan_takes(spans, cap)
    for span, plan in zip(spans, plans, strict=True):
        assert span.earliest - 1e-9 <= plan.start <= span.cue_start + 1e-9  # never after its cue
        assert 1.0 <= plan.speed <= cap + 1e-9
        assert plan.end <= plan.limit + 1e-9 and plan.limit <= span.hard_end + 1e-9
        if plan.speed < cap - 1e-6:  # not at the cap: its whole speech fits where it is planned
            assert plan.end - plan.start == pytest.approx(span.need / plan.speed, abs=1e-6)
    for plan, following in itertools.pairwise(plans):
        assert plan.limit <= following.start - GUARD_SECONDS + 1e-9  # never into the next take
    if all(s.cue_start + s.need <= s.soft_end for s in spans) and all(
        a.cue_start + a.need + GUARD_SECONDS <= b.cue_start for a, b in itertools.pairwise(spans)
    ):
        assert all(p.speed == 1.0 and p.start == s.cue_start for p, s in zip(plans, spans, strict=True))


# ---- synthesize_segments with real engines ----------------------------------------------------


def _project(segments: list[Segment], **settings) -> Project:
    speakers = [Speaker("a", gender="female", median_f0=200.0, register="informal"), Speaker("b")]
    return Project(
        "t", target_language="es", speakers=speakers, segments=segments, settings=Settings(**settings)
    )


def _cues(voice: str) -> list[Segment]:
    return [
        Segment(
            "c1", 0.5, 3.0, speaker_id="a", tts_text="Hola, bienvenidos a la nueva sede.", voice_id=voice
        ),
        Segment(
            "c2",
            3.2,
            4.0,
            speaker_id="a",
            voice_id=voice,
            emotion="friendly",
            tts_text="Esta frase es demasiado larga para un hueco tan corto, de verdad que no cabe.",
        ),
        Segment("c3", 6.0, 9.0, speaker_id="b", tts_text="Sí.", voice_id=voice),
        Segment("c4", 9.5, 11.0, speaker_id="b", tts_text="", voice_id=voice),
    ]


def _check_invariants(result: list[Segment], project_dir: Path, max_speed: float) -> None:
    for index, segment in enumerate(result):
        clip = segment.clip
        if not segment.tts_text:
            assert clip is None
            continue
        assert clip is not None
        assert (
            clip.start == pytest.approx(segment.start - clip.lead) and 0 <= clip.lead <= LEAD_SECONDS + 1e-3
        )
        following = result[index + 1] if index + 1 < len(result) else None
        if following is not None:
            assert clip.end <= following.start - GUARD_SECONDS + 1e-3
            if following.clip is not None:  # nor into the next take, which may start before its cue
                assert clip.end <= following.clip.start + 1e-3
        assert 1.0 <= clip.speed <= max_speed + 1e-3
        audio, rate = sf.read(project_dir / clip.path)
        assert len(audio) / rate == pytest.approx(clip.duration, abs=2 / rate)


@pytest.mark.slow
def test_kokoro_takes_fit_their_slots(engines, catalog, tmp_path):
    cues = _cues("kokoro:jf_alpha")
    project = _project(cues)
    result = synthesize_segments(cues, project, engines, catalog, tmp_path)
    _check_invariants(result, tmp_path, 1.25)
    short = result[2].clip
    assert short.end == pytest.approx(result[2].end, abs=1e-3) and short.speed == 1.0  # padded, not slowed
    long = result[1]
    assert long.clip.engine_speed > 1.0 and long.clip.speed == pytest.approx(1.25, abs=0.01)
    overflow = [i for i in long.issues if i.code == "timing_overflow"]
    assert len(overflow) == 1 and overflow[0].stage == "synthesis"
    assert overflow[0].value == pytest.approx(long.clip.overflow, abs=1e-3) and overflow[0].value > 0
    assert "characters" in overflow[0].suggestion
    assert result[0].issues == [] and result[0].clip.overflow == 0.0

    calls = engines["kokoro"].calls
    retaken = synthesize_segments(
        result, project, engines, catalog, tmp_path, only_ids={"c1", "c2"}, force=True
    )
    assert engines["kokoro"].calls == calls + 2  # the stored measures plan the speed: one synthesis each
    _check_invariants(retaken, tmp_path, 1.25)
    assert retaken[1].clip.engine_speed == pytest.approx(1.25) and retaken[1].clip.overflow > 0


def test_cache_hit_only_ids_and_history_with_espeak(engines, catalog, tmp_path):
    espeak = engines["espeak"]
    cues = _cues("espeak:es+f3")
    project = _project(cues, max_speed=1.5)
    calls = espeak.calls
    first = synthesize_segments(cues, project, engines, catalog, tmp_path)
    _check_invariants(first, tmp_path, 1.5)
    # each spoken cue is measured at speed 1.0 (that take is the clip when it fits); the one that
    # needs speed is spoken once more at its planned engine speed
    assert espeak.calls - calls == 4
    calls = espeak.calls

    again = synthesize_segments(first, project, engines, catalog, tmp_path)
    assert espeak.calls == calls  # identical requests: every take comes from the clip cache
    assert [s.clip.path for s in again if s.clip] == [s.clip.path for s in first if s.clip]

    edited = [*again]
    edited[0] = Segment(**{**again[0].__dict__, "tts_text": "Buenas tardes a todos."})
    edited[2] = Segment(**{**again[2].__dict__, "tts_text": "No."})  # edited but NOT selected
    redone = synthesize_segments(edited, project, engines, catalog, tmp_path, only_ids={"c1"})
    assert espeak.calls > calls
    assert redone[0].clip.text == "Buenas tardes a todos."
    assert [c.cache_key for c in redone[0].clip_history] == [first[0].clip.cache_key]
    assert redone[1:] == edited[1:]  # nothing else touched
    assert (tmp_path / first[0].clip.path).is_file()  # the earlier take stays on disk

    forced = synthesize_segments(redone, project, engines, catalog, tmp_path, only_ids={"c1"}, force=True)
    assert espeak.calls > calls + 1
    assert forced[0].clip.cache_key == redone[0].clip.cache_key


def test_unknown_voice_is_a_no_voice_issue(engines, catalog, tmp_path):
    cues = [Segment("c1", 0.0, 2.0, tts_text="Hola.", voice_id="kokoro:missing")]
    result = synthesize_segments(cues, _project(cues), engines, catalog, tmp_path)
    assert result[0].clip is None
    assert [(i.code, i.severity, i.stage) for i in result[0].issues] == [("no_voice", "error", "synthesis")]


def test_resemblance_shifts_pitch_toward_the_speaker(engines, catalog, tmp_path):
    from dubstudio.core.dsp import median_f0

    voice = next(v for v in catalog if v.id == "espeak:es+m3")
    voice.pitch_hz = median_f0(
        engines["espeak"].synthesize(SynthesisRequest("Buenos días.", voice, "es")).audio, 22050
    )
    cues = [
        Segment("c1", 0.0, 4.0, speaker_id="a", tts_text="Buenos días, ¿cómo está usted?", voice_id=voice.id)
    ]
    plain = synthesize_segments(cues, _project(cues), engines, catalog, tmp_path / "plain")
    shifted = synthesize_segments(
        cues, _project(cues, resemblance=True), engines, catalog, tmp_path / "shifted"
    )
    f0_plain = median_f0(*sf.read(tmp_path / "plain" / plain[0].clip.path, dtype="float32"))
    f0_shifted = median_f0(*sf.read(tmp_path / "shifted" / shifted[0].clip.path, dtype="float32"))
    assert f0_shifted > f0_plain * 1.15  # speaker at 200 Hz: up by the ±4 semitone limit at most
    assert f0_shifted < f0_plain * 2 ** (4.8 / 12)


def test_an_engine_that_overshoots_the_cap_is_brought_back_to_it(speech):
    audio, rate = speech
    raw = len(audio) / rate
    too_fast = audio[: int(len(audio) / 1.35)]  # asked for 1.25×, the engine delivered 1.35×
    fitted = fit_clip(too_fast, rate, slot=raw / 2, room=raw, max_speed=1.25, raw_duration=raw, borrow=0.0)
    assert fitted.speed == pytest.approx(1.25, rel=0.01)
    assert fitted.stretch < 1.0
