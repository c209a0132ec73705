"""Lip-sync checks, mouth limits and the validation hook on the real tracks of the annotated clips
(the face model runs once for the module, in a child process)."""

from __future__ import annotations

import dataclasses

import pytest
from lipsync_media import annotation

from dubstudio.core.project import DubClip, Project, Segment, Settings, Speaker, ValidationIssue
from dubstudio.engines.espeak import EspeakSynthesizer
from dubstudio.stages.lipsync import (
    FIT_TOLERANCE_S,
    cue_mouths,
    dub_speech,
    lipsync_findings,
    mouth_activity,
    mouth_limits,
)
from dubstudio.stages.synthesis import synthesize_segments
from dubstudio.stages.validation import refresh_lipsync, validate

pytestmark = pytest.mark.slow


def _cue(cue_id: str, start: float, end: float, speech: tuple[float, float] | None) -> Segment:
    """A cue whose dub speaks from `speech[0]` (its start) to `speech[1]`, as a fitted take does."""
    clip = None
    if speech is not None:
        clip = DubClip(
            path="clips/x.wav", start=speech[0], end=end, voice_id="v", engine="e", text="hola",
            raw_duration=speech[1] - speech[0],
        )  # fmt: skip
    return Segment(
        cue_id, start, end, original_text="hello", translated_text="hola", tts_text="hola", clip=clip
    )


@pytest.fixture(scope="module")
def activities(clip_tracks):
    return {clip: mouth_activity(track) for clip, track in clip_tracks.items()}


def test_a_dub_that_speaks_while_the_mouth_moves_is_not_flagged(activities):
    for clip in ("movie.avi", "carphone_pristine.mp4"):
        moving = annotation(clip)["moving"]
        start, end = moving[0][0], moving[-1][1]
        assert lipsync_findings(_cue("c", start, end, (start, end)), activities[clip]) == []


def test_a_dub_running_on_after_the_mouth_closed_is_flagged_with_its_seconds(activities):
    # movie-hello: the man stops speaking at 2.75 s and keeps his mouth shut, facing the camera
    findings = lipsync_findings(_cue("c", 0.75, 5.0, (0.75, 4.6)), activities["movie-hello.mp4"])
    assert [f.code for f in findings] == ["lipsync_mismatch"]
    assert findings[0].severity == "warning"
    assert 1.2 <= findings[0].value <= 1.8  # speech 3.0–4.6 s over a still mouth (±0.25 s slack)
    assert "still" in findings[0].message and "s)" in findings[0].message


def test_a_dub_that_stops_while_the_mouth_goes_on_is_flagged(activities):
    # carphone: the man speaks to the end (4.0 s); a dub that stops at 2.0 s leaves 1.7 s of moving mouth
    findings = lipsync_findings(_cue("c", 0.9, 4.0, (0.9, 2.0)), activities["carphone_pristine.mp4"])
    assert [f.code for f in findings] == ["lipsync_mismatch"]
    assert "silent" in findings[0].message and findings[0].value >= 1.2


def test_a_cue_without_a_face_is_offscreen(activities):
    activity = activities["face_noface.mov"]
    (finding,) = lipsync_findings(_cue("c", 3.0, 6.0, (3.0, 5.5)), activity)
    assert finding.code == "offscreen" and finding.value == pytest.approx(3.0, abs=0.15)
    assert not cue_mouths(activity, 0.2, 2.3).offscreen
    faceless = dataclasses.replace(activity, present=activity.present & False)
    assert lipsync_findings(_cue("c", 3.0, 6.0, (3.0, 5.5)), faceless) == []  # all voice-over: no flags


def test_cue_mouths_reports_the_onset_and_offset_near_the_edges(activities):
    mouths = cue_mouths(activities["movie.avi"], 0.5, 3.8)
    assert mouths.face_fraction == 1.0 and mouths.moving_fraction > 0.9
    assert mouths.onset == pytest.approx(0.45, abs=0.25)
    assert mouths.offset == pytest.approx(3.9, abs=0.25)
    assert dub_speech(None) == []


def test_mouth_limits_end_a_dub_where_a_visible_mouth_stops(activities):
    cues = [_cue("hello", 0.7, 5.0, None)]
    limit = mouth_limits(cues, activities["movie-hello.mp4"])["hello"]
    assert 2.6 + FIT_TOLERANCE_S <= limit <= 3.2 + FIT_TOLERANCE_S
    # still talking at the cue's end: no limit; the face leaves the picture: no limit either
    assert mouth_limits([_cue("c", 1.0, 4.0, None)], activities["carphone_pristine.mp4"]) == {}
    assert mouth_limits([_cue("c", 0.3, 6.0, None)], activities["face_noface.mov"]) == {}


def test_validation_adds_the_lipsync_checks_and_a_refresh_keeps_the_users_decisions(activities):
    activity = activities["movie-hello.mp4"]
    project = Project("t", source_language="en", target_language="es", speakers=[Speaker("S1")])
    project.segments = [_cue("late", 0.75, 5.0, (0.75, 4.6))]
    project.segments[0].voice_id = "v"
    validate(project, None, activity)
    assert [i.code for i in project.segments[0].issues] == ["lipsync_mismatch"]
    project.segments[0].issues[0].status = "ignored"
    project.segments[0].issues.append(ValidationIssue("late", "idiom", "x", stage="translation"))
    assert refresh_lipsync(project, activity) == []  # nothing new: the ignored one stays ignored
    assert [(i.code, i.status) for i in project.segments[0].issues] == [
        ("idiom", "open"),
        ("lipsync_mismatch", "ignored"),
    ]
    validate(project, None)  # without mouths, no lip-sync findings
    assert [i.code for i in project.segments[0].issues] == ["idiom"]


def test_a_mouth_limit_makes_slot_fitting_speed_the_dub_up(tmp_path):
    """Real espeak-ng takes: the same cue fitted with and without the mouth's limit."""
    espeak = EspeakSynthesizer()
    voice = next(v for v in espeak.voices() if "es" in v.languages)
    text = "Hola a todos, bienvenidos a la presentación de hoy."

    def take(limits):
        cue = Segment("c1", 0.0, 6.0, speaker_id="a", tts_text=text, voice_id=voice.id)
        project = Project(
            "t", target_language="es", speakers=[Speaker("a")], segments=[cue], settings=Settings()
        )
        (done,) = synthesize_segments(
            [cue], project, {espeak.name: espeak}, [voice], tmp_path, mouth_limits=limits
        )
        return done.clip

    free, limited = take(None), take({"c1": 2.3})
    assert free.speed == pytest.approx(1.0, abs=0.01) and free.raw_duration > 2.3
    assert limited.speed > 1.1 and limited.cache_key != free.cache_key
    assert limited.start == 0.0  # never moved: only faster
