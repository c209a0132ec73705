"""Synthesis: speak each cue's tts_text with its voice and fit the take into the cue's slot.

Fitting keeps the words clear: every speed-up costs intelligibility (bench/dub_intelligibility.py
measures each step's round-trip WER), so the steps that cost nothing come first and speed last:
1. measure the take at speed 1.0: leading and trailing silence trimmed and, if it is still longer
   than its slot, internal pauses shortened to `LONGEST_PAUSE` (the measure is kept per request,
   so a later run plans without synthesizing again);
2. plan every run of takes that share free time together (`plan_takes`): a take may use the free
   time after its slot, up to `BORROW_SECONDS` (never past the next cue's start minus
   `GUARD_SECONDS`), and start up to `LEAD_SECONDS` before its cue, into time no other take uses;
   the largest speed-up of the run is made as small as possible and the others as small as their
   neighbours allow, so a take that needs time gets it from its neighbours' spare time first;
   a lip-sync mouth limit ends the slot at the mouth's last movement and allows no lead nor
   borrowing before the speed cap;
3. only then speed up, by the engine's own speed control (one more synthesis at the planned
   speed; the engine's rounding is evened out by a pitch-preserving time-stretch, WSOLA), never
   above `Settings.max_speed`;
4. past that cap, the rest of the free time up to the next cue; what still does not fit is cut
   with a fade and reported as `timing_overflow`.
A take starts at its cue's start unless it needs the time before it (`DubClip.lead`), never after
it, and never overlaps the next cue nor the next take. A take shorter than its slot is padded
with silence, never slowed down. Steps 2–4 are the pure functions of `take_fitting.py`; this module
speaks the takes, caches them and applies the plan.

Clips are 16-bit PCM mono WAV at the engine's own rate (24 kHz Kokoro, 22.05 kHz espeak-ng, the
model's rate for Coqui): no resampling loss here, the mixer resamples once. They are cached at
`<project>/clips/<segment id>/<key>.wav` with a `<key>.json` sidecar holding the DubClip, where
the key hashes everything that shapes the take (text, voice, engine + version, language, style,
register, resemblance shift, reference clips, and the planned fitting: slot, room, lead, end,
speed, speed cap); `need-<request key>.json` holds the take's measure at speed 1.0.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from dubstudio.core.dsp import (
    fade_edges,
    pitch_shift,
    semitones_between,
    shorten_pauses,
    trim_silence,
)
from dubstudio.core.errors import ProjectFileError, UserError
from dubstudio.core.media import write_wav
from dubstudio.core.progress import CancelToken, ProgressCallback, ignore_progress, stage_reporter
from dubstudio.core.project import DubClip, Project, Segment, Speaker, ValidationIssue
from dubstudio.core.store import atomic_write_bytes
from dubstudio.engines.base import SynthesisRequest, Synthesizer, Voice
from dubstudio.stages.take_fitting import (
    BORROW_SECONDS,
    GUARD_SECONDS,
    SPEED_EPSILON,
    PlannedTake,
    TakeSpan,
    fit_clip,
    plan_takes,
)

STAGE = "synthesis"
#: internal pauses of a take that needs time are cut down to this (a comma's breath)
LONGEST_PAUSE = 0.25
#: free time before its cue a take may start in (the dub anticipates its line a little instead of
#: being sped up); the time after the slot is used first
LEAD_SECONDS = 0.5
#: bump when fitting changes what a take sounds like: cached takes are then rendered again
FITTING_REVISION = 3
#: room after the last cue when the media duration is unknown
LAST_CUE_TAIL = 1.0
MAX_RESEMBLANCE_SEMITONES = 4.0
#: a mouth limit never narrows a slot below this (seconds)
MIN_MOUTH_SLOT = 0.5


def synthesize_segments(
    segments: Sequence[Segment],
    project: Project,
    synthesizers: Mapping[str, Synthesizer],
    catalog: Sequence[Voice],
    project_dir: Path,
    *,
    only_ids: Collection[str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    force: bool = False,
    source_audio: Path | None = None,
    mouth_limits: Mapping[str, float] | None = None,
) -> list[Segment]:
    """New Segment objects with clip, clip_history and synthesis issues; unselected ones unchanged.

    `only_ids` re-synthesizes just those cues (nothing else is touched: their takes stay where
    they are and bound the new ones); `force` bypasses the clip cache for a fresh take;
    `source_audio` (the project's extracted audio) is where reference clips are cut from for
    cloning voices. `mouth_limits` (lip-sync assist, `stages/lipsync.mouth_limits`): per on-screen
    cue, the time its dub should end by, which narrows that cue's slot.
    """
    report = stage_reporter(progress or ignore_progress, STAGE)
    voices = {voice.id: voice for voice in catalog}
    rooms = _rooms(segments, project)
    project_dir = Path(project_dir)
    done: dict[str, Segment] = {}
    jobs: list[_Job] = []
    for segment in segments:
        if only_ids is not None and segment.id not in only_ids:
            continue
        job = _job(segment, project, synthesizers, voices, project_dir, rooms[segment.id], source_audio,
                   (mouth_limits or {}).get(segment.id))  # fmt: skip
        if isinstance(job, _Job):
            jobs.append(job)
        else:
            done[segment.id] = job
    ordered = _ordered(jobs, segments, only_ids)
    steps = max(1, 2 * len(ordered))  # each take is measured, then rendered
    run: list[_Job] = []
    rendered = 0

    def render(run: list[_Job], measured: int) -> None:
        nonlocal rendered
        plans = plan_takes([job.span for job in run], project.settings.max_speed)
        for job, plan in zip(run, plans, strict=True):
            if cancel is not None:
                cancel.raise_if_cancelled()
            report((measured + rendered) / steps, f"cue {rendered + 1} of {len(ordered)}")
            done[job.segment.id] = _take(job, plan, project.settings.max_speed, force)
            rendered += 1

    for count, job in enumerate(ordered):
        if cancel is not None:
            cancel.raise_if_cancelled()
        report((count + rendered) / steps, f"measuring cue {count + 1} of {len(ordered)}")
        _measure(job)
        if run and _separated(run[-1], job, segments, only_ids):
            # its speech never gets there, and neither does its padding, so the next may lead
            run[-1].latest = min(run[-1].latest, job.span.earliest - GUARD_SECONDS)
            render(run, count)
            run = []
        run.append(job)
    render(run, len(ordered))
    report(1.0, "synthesis done")
    return [done.get(segment.id, segment) for segment in segments]


def _rooms(segments: Sequence[Segment], project: Project) -> dict[str, float]:
    """Seconds each cue's dub may last: up to the next cue's start minus the guard."""
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    rooms = {}
    for index, segment in enumerate(ordered):
        if index + 1 < len(ordered):
            limit = ordered[index + 1].start - GUARD_SECONDS
        elif project.media is not None and project.media.duration > 0:
            limit = max(project.media.duration, segment.end)
        else:
            limit = segment.end + LAST_CUE_TAIL
        rooms[segment.id] = max(0.0, limit - segment.start)
    return rooms


@dataclass
class _Job:
    """One cue to synthesize: its request and the time it may use."""

    segment: Segment
    request: SynthesisRequest
    synthesizer: Synthesizer
    semitones: float
    slot: float  # seconds from the cue's start: to its end, its room or its mouth limit
    room: float  # seconds from the cue's start to the next cue's start minus the guard
    lead: float  # seconds before the cue's start it may start in
    borrow: float  # seconds after the slot it may use before the speed cap
    folder: Path
    project_dir: Path
    kept_issues: list[ValidationIssue]
    earliest: float = 0.0  # set by `_ordered`: after the kept take before it, if any
    latest: float = math.inf  # set by `_ordered`: before the kept take after it, if any
    need: float = 0.0  # seconds of speech at speed 1.0 (set by `_measure`)
    shorten: bool = False  # its pauses are shortened (at speed 1.0 it is longer than its slot)
    pauses_cut: float = 0.0  # seconds of pause that cost at speed 1.0
    audio: np.ndarray | None = None  # the take at speed 1.0, when `_measure` synthesized it
    rate: int = 0

    @property
    def span(self) -> TakeSpan:
        start = self.segment.start
        hard = min(start + self.room, self.latest)
        return TakeSpan(
            cue_start=start,
            need=self.need,
            earliest=max(0.0, start - self.lead, self.earliest),
            soft_end=min(hard, start + self.slot + self.borrow),
            hard_end=hard,
        )


def _job(
    segment: Segment,
    project: Project,
    synthesizers: Mapping[str, Synthesizer],
    voices: Mapping[str, Voice],
    project_dir: Path,
    room: float,
    source_audio: Path | None,
    mouth_limit: float | None,
) -> _Job | Segment:
    """What synthesizing the cue takes, or the cue itself when there is nothing to synthesize."""
    kept_issues = [issue for issue in segment.issues if issue.stage != STAGE]
    text = segment.tts_text.strip()
    if not text:
        return replace(segment, issues=kept_issues)
    voice_id = project.voice_for(segment)
    voice = voices.get(voice_id)
    synthesizer = synthesizers.get(voice.engine) if voice is not None else None
    if voice is None or synthesizer is None:
        issue = ValidationIssue(
            segment.id,
            "no_voice",
            f"The voice '{voice_id or '(none)'}' is not available, so the cue was not synthesized.",
            severity="error",
            stage=STAGE,
            suggestion="Run voice matching again or choose an installed voice.",
        )
        return replace(segment, issues=[*kept_issues, issue])
    speaker = project.speaker(segment.speaker_id)
    semitones = _pitch_shift_for(voice, speaker, project.settings.resemblance)
    references = _reference_clips(speaker, project_dir, source_audio) if voice.clones else []
    request = SynthesisRequest(
        text=text,
        voice=voice,
        language=segment.tts_language or project.target_language,
        style=segment.emotion,
        register=speaker.register if speaker else "",
        reference_audio=references,
    )
    # a mouth limit is where the face stops talking: speed up to it first, no lead, borrow only
    # past the cap
    limited = mouth_limit is not None
    return _Job(
        segment,
        request,
        synthesizer,
        semitones,
        slot=_mouth_slot(min(segment.duration, room), segment, mouth_limit),
        room=room,
        lead=0.0 if limited else LEAD_SECONDS,
        borrow=0.0 if limited else BORROW_SECONDS,
        folder=project_dir / "clips" / _safe_name(segment.id),
        project_dir=project_dir,
        kept_issues=kept_issues,
    )


def _ordered(
    jobs: Sequence[_Job], segments: Sequence[Segment], only_ids: Collection[str] | None
) -> list[_Job]:
    """The jobs in timeline order, each bounded by the takes kept as they are (cues outside
    `only_ids`) just before and after it."""
    kept = _kept_takes(segments, only_ids)
    order = sorted(jobs, key=lambda job: (job.segment.start, job.segment.end))
    for job in order:
        before = [clip for clip in kept if clip.start < job.segment.start]
        after = [clip for clip in kept if clip.start >= job.segment.start]
        if before:
            job.earliest = before[-1].start + _speech_seconds(before[-1]) + GUARD_SECONDS
        if after:
            job.latest = after[0].start - GUARD_SECONDS
    return order


def _kept_takes(segments: Sequence[Segment], only_ids: Collection[str] | None) -> list[DubClip]:
    if only_ids is None:
        return []
    clips = [s.clip for s in segments if s.clip is not None and s.id not in only_ids and s.tts_text.strip()]
    return sorted(clips, key=lambda clip: clip.start)


def _separated(
    previous: _Job, job: _Job, segments: Sequence[Segment], only_ids: Collection[str] | None
) -> bool:
    """No plan can make two consecutive takes share time: a kept take lies between them, or the
    earlier one ends before the later one may start even unhurried from its cue's start (no take
    ever ends later)."""
    between = any(
        previous.segment.start <= c.start < job.segment.start for c in _kept_takes(segments, only_ids)
    )
    unhurried_end = min(previous.segment.start + previous.need, previous.span.hard_end)
    return between or unhurried_end + GUARD_SECONDS <= job.span.earliest


def _speech_seconds(clip: DubClip) -> float:
    """Seconds of a take's speech from its start (its padding is free time)."""
    speech = clip.raw_duration / clip.speed if clip.speed > 0 and clip.raw_duration > 0 else clip.duration
    return min(clip.duration, speech)


def _mouth_slot(slot: float, segment: Segment, mouth_limit: float | None) -> float:
    """Lip-sync assist: an on-screen cue's slot ends where its mouth stops (plus a tolerance); the
    room after it is used only past the speed cap (no borrowing first), so a dub that cannot get
    that fast is not cut."""
    if mouth_limit is None:
        return slot
    return max(min(slot, mouth_limit - segment.start), min(slot, MIN_MOUTH_SLOT))


def _measure(job: _Job) -> None:
    """The take's speech at speed 1.0: from its stored measure (a fresh take too is planned from
    it), else synthesized and kept for the render, which needs no other synthesis if the plan
    leaves it at speed 1.0."""
    sidecar = job.folder / f"need-{_request_key(job)}.json"
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        job.need, job.shorten, job.pauses_cut = float(data["need"]), bool(data["shorten"]), float(data["cut"])
        return
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not measured yet, or a damaged measure: measured again
    audio, rate, cut = _speak(job.request, job.synthesizer, job.semitones, None, job.slot)
    job.audio, job.rate, job.pauses_cut = audio, rate, cut
    job.need, job.shorten = len(audio) / rate, cut > 0
    job.folder.mkdir(parents=True, exist_ok=True)
    measure = {"need": job.need, "shorten": job.shorten, "cut": cut}
    atomic_write_bytes(sidecar, json.dumps(measure).encode())


def _take(job: _Job, plan: PlannedTake, max_speed: float, force: bool) -> Segment:
    """The cue with its planned take: from the clip cache, else rendered and stored."""
    segment, start = job.segment, job.segment.start
    fitting = {
        "slot": job.slot,
        "room": plan.limit - start,
        "lead": start - plan.start,
        "end": plan.end - start,
        "speed": plan.speed,
        "max_speed": max_speed,
    }
    key = _cache_key(job, fitting)
    clip = None if force else _cached_clip(job.folder, key)
    if clip is not None:  # the cue may have moved on the timeline with the same slot and room
        lead = min(clip.lead, start)  # its lead was rounded to 0.1 ms: never before 0 s
        clip = replace(clip, start=start - lead, end=start - lead + clip.duration)
    else:
        clip = _render(job, fitting, key)
        clip = replace(clip, path=(job.folder / f"{key}.wav").relative_to(job.project_dir).as_posix())
        atomic_write_bytes(
            job.folder / f"{key}.json", json.dumps(dataclasses.asdict(clip), indent=1).encode()
        )
    history = list(segment.clip_history)
    if segment.clip is not None and segment.clip.cache_key != clip.cache_key:
        history = [c for c in history if c.cache_key != segment.clip.cache_key] + [segment.clip]
    history = [c for c in history if c.cache_key != clip.cache_key]
    overflow = [_overflow_issue(segment, clip, job.request.text)] if clip.overflow > 0 else []
    return replace(segment, clip=clip, clip_history=history, issues=job.kept_issues + overflow)


def _render(job: _Job, fitting: Mapping[str, float], key: str) -> DubClip:
    """Speak the take at its planned speed (the engine's own speed control; the speed-1.0 take
    from the measure when the plan needs no speed-up), fit it into its planned place, write the WAV."""
    speed = fitting["speed"] if job.synthesizer.native_speed else 1.0
    if job.audio is not None and abs(speed - 1.0) <= SPEED_EPSILON:
        audio, rate = job.audio, job.rate
    else:
        request = replace(job.request, speed=speed if abs(speed - 1.0) > SPEED_EPSILON else 1.0)
        audio, rate, _cut = _speak(request, job.synthesizer, job.semitones, job.shorten, job.slot)
    job.audio = None  # rendered: the measure's audio is not needed any more
    fitted = fit_clip(
        audio,
        rate,
        slot=job.slot,
        room=fitting["room"],
        max_speed=fitting["max_speed"],
        raw_duration=job.need,
        borrow=fitting["end"] - job.slot,
        lead=fitting["lead"],
    )
    job.folder.mkdir(parents=True, exist_ok=True)
    write_wav(job.folder / f"{key}.wav", fade_edges(fitted.audio, rate, 0.005), rate)  # atomic; DiskFullError
    start = job.segment.start - fitted.lead
    return DubClip(
        path="",
        start=start,
        end=start + fitted.duration,
        voice_id=job.request.voice.id,
        engine=job.synthesizer.name,
        text=job.request.text,
        speed=round(fitted.speed, 4),
        engine_speed=round(speed, 4),
        stretch=round(fitted.stretch, 4),
        raw_duration=round(job.need, 4),
        overflow=round(fitted.overflow, 4),
        cache_key=key,
        pauses_cut=round(job.pauses_cut, 4),
        borrowed=round(fitted.borrowed, 4),
        lead=round(fitted.lead, 4),
    )


def _speak(
    request: SynthesisRequest, synthesizer: Synthesizer, semitones: float, shorten: bool | None, slot: float
) -> tuple[np.ndarray, int, float]:
    """(the take with its edges trimmed — and its long pauses shortened when `shorten`, or, if
    None, when it overruns the slot —, its rate, the seconds of pause cut at speed 1.0)."""
    result = synthesizer.synthesize(request)
    rate = result.sample_rate
    audio = trim_silence(result.audio, rate)
    cut = 0.0
    if shorten or (shorten is None and len(audio) / rate > slot):
        shorter = shorten_pauses(audio, rate, longest=LONGEST_PAUSE / request.speed)
        cut = (len(audio) - len(shorter)) / rate * request.speed
        audio = shorter
    if semitones:
        audio = pitch_shift(audio, rate, semitones)
    return audio, rate, cut


def _pitch_shift_for(voice: Voice, speaker: Speaker | None, resemblance: bool) -> float:
    """The speaker's own pitch setting (from the editor or the voice library) wins; else the
    project's resemblance setting."""
    if speaker is not None and speaker.pitch_semitones is not None and not voice.clones:
        return round(
            max(-MAX_RESEMBLANCE_SEMITONES, min(MAX_RESEMBLANCE_SEMITONES, speaker.pitch_semitones)), 2
        )
    return _resemblance_shift(voice, speaker) if resemblance else 0.0


def _resemblance_shift(voice: Voice, speaker: Speaker | None) -> float:
    """Semitones toward the speaker's median F0, within ±4 (natural limits); 0 when unknown."""
    if voice.clones or speaker is None or not speaker.median_f0 or not voice.pitch_hz:
        return 0.0
    shift = semitones_between(voice.pitch_hz, speaker.median_f0)
    return round(max(-MAX_RESEMBLANCE_SEMITONES, min(MAX_RESEMBLANCE_SEMITONES, shift)), 2)


def _reference_clips(speaker: Speaker | None, project_dir: Path, source_audio: Path | None) -> list[str]:
    """The speaker's reference clips cut from the source audio once, as WAV paths for cloning."""
    if speaker is None or not speaker.reference_clips:
        raise UserError(
            f"the cloning voice needs reference clips of speaker '{speaker.id if speaker else '?'}'",
            fix="Mark a clean stretch of the speaker's speech as a reference clip, or pick a stock voice.",
        )
    if source_audio is None or not Path(source_audio).is_file():
        raise ProjectFileError(
            "the project's source audio is missing, so reference clips cannot be cut for voice cloning",
            path=source_audio or project_dir,
            fix="Re-open the project with its media so the audio can be extracted again.",
        )
    folder = project_dir / "clips" / "_reference" / _safe_name(speaker.id)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    info = sf.info(str(source_audio))
    for span in speaker.reference_clips:
        path = folder / f"{span.start:.3f}-{span.end:.3f}.wav"
        if not path.is_file():
            start, stop = int(span.start * info.samplerate), int(span.end * info.samplerate)
            audio, rate = sf.read(str(source_audio), start=start, stop=stop, dtype="float32", always_2d=True)
            sf.write(path, audio.mean(axis=1), rate, subtype="PCM_16")
        paths.append(str(path))
    return paths


def _request_key(job: _Job) -> str:
    """Hash of everything that shapes the speech itself (not where it goes)."""
    request = job.request
    identity = {
        "text": request.text,
        "voice": request.voice.id,
        "engine": job.synthesizer.name,
        "version": job.synthesizer.version,
        "language": request.language,
        "style": request.style,
        "register": request.register,
        "semitones": job.semitones,
        "references": [Path(p).name for p in request.reference_audio],
        "slot": round(job.slot, 3),  # whether its pauses are shortened
    }
    return _digest(identity)


def _cache_key(job: _Job, fitting: Mapping[str, float]) -> str:
    """The take's key: its speech and its planned fitting."""
    planned = {name: round(value, 3) for name, value in fitting.items()}
    return _digest({"speech": _request_key(job), "fitting": planned, "revision": FITTING_REVISION})


def _digest(identity: Mapping[str, object]) -> str:
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()[:16]


def _cached_clip(folder: Path, key: str) -> DubClip | None:
    wav, sidecar = folder / f"{key}.wav", folder / f"{key}.json"
    if not (wav.is_file() and sidecar.is_file()):
        return None
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        clip = DubClip(**data)
    except (OSError, ValueError, TypeError):
        return None  # a damaged sidecar is re-rendered, not trusted
    return clip if clip.cache_key == key else None


def _safe_name(segment_id: str) -> str:
    return re.sub(r"[^\w.-]", "_", segment_id) or "_"


def _overflow_issue(segment: Segment, clip: DubClip, text: str) -> ValidationIssue:
    speech = clip.raw_duration / clip.speed if clip.speed > 0 else clip.raw_duration
    surplus = max(1, math.ceil(len(text) * clip.overflow / speech)) if speech > 0 else len(text)
    return ValidationIssue(
        segment.id,
        "timing_overflow",
        f"The dub runs {clip.overflow:.2f} s past the room before the next cue even at {clip.speed:.2f}×; "
        "the end was cut.",
        severity="warning",
        stage=STAGE,
        suggestion=f"Shorten the translation by about {surplus} characters (of {len(text)}).",
        value=round(clip.overflow, 3),
    )
