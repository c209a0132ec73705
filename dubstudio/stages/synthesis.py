"""Synthesis: speak each cue's tts_text with its voice and fit the take into the cue's slot.

Fitting keeps the words clear: every speed-up costs intelligibility (bench/dub_intelligibility.py
measures each step's round-trip WER), so the steps that cost nothing come first and speed last:
1. trim the take's leading and trailing silence;
2. if it is still longer than the slot, shorten its internal pauses to `LONGEST_PAUSE`;
3. borrow the free time after the slot, up to `BORROW_SECONDS` (and never past the next cue's start
   minus `GUARD_SECONDS`), except where lip-sync assist ends the slot at the mouth's last movement;
4. only then speed up, as little as fills slot + borrowed time: the engine's own speed control
   (predicted from the previous take or the voice's speech rate, so one synthesis usually does;
   a prediction off by more than `RESYNTHESIS_TOLERANCE` costs a second), the rest by a
   pitch-preserving time-stretch (WSOLA), together never above `Settings.max_speed`;
5. past that cap, the rest of the free time up to the next cue; what still does not fit is cut
   with a fade and reported as `timing_overflow`.
The clip always starts at its cue's start (no drift) and never overlaps the next cue. A take
shorter than its slot is padded with silence, never slowed down.

Clips are 16-bit PCM mono WAV at the engine's own rate (24 kHz Kokoro, 22.05 kHz espeak-ng, the
model's rate for Coqui): no resampling loss here, the mixer resamples once. They are cached at
`<project>/clips/<segment id>/<key>.wav` with a `<key>.json` sidecar holding the DubClip, where
the key hashes everything that shapes the take (text, voice, engine + version, language, style,
register, slot, room, speed cap, resemblance shift, reference clips).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
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
    pad_to,
    pitch_shift,
    semitones_between,
    shorten_pauses,
    time_stretch,
    trim_silence,
)
from dubstudio.core.errors import ProjectFileError, UserError
from dubstudio.core.media import write_wav
from dubstudio.core.progress import CancelToken, ProgressCallback, ignore_progress, stage_reporter
from dubstudio.core.project import DubClip, Project, Segment, Speaker, ValidationIssue
from dubstudio.core.store import atomic_write_bytes
from dubstudio.engines.base import SynthesisRequest, Synthesizer, Voice
from dubstudio.stages.speech_rate import estimate_duration

STAGE = "synthesis"
GUARD_SECONDS = 0.1
#: internal pauses of a take that needs time are cut down to this (a comma's breath)
LONGEST_PAUSE = 0.25
#: free time after the slot a take may use before it is sped up (past it the dub drifts off the
#: speaker's lips); at the maximum speed it may still use all the free time to the next cue
BORROW_SECONDS = 1.0
#: bump when fitting changes what a take sounds like: cached takes are then rendered again
FITTING_REVISION = 2
#: room after the last cue when the media duration is unknown
LAST_CUE_TAIL = 1.0
MAX_RESEMBLANCE_SEMITONES = 4.0
_SPEED_EPSILON = 1e-3
#: a first take whose speed is off by more than this is synthesized again at the right speed;
#: a smaller error is left to the time-stretch (WSOLA is transparent within ±10 %)
RESYNTHESIS_TOLERANCE = 0.10
#: the speech-rate table's name for an engine, where it differs from the engine's own
_RATE_TABLE_NAMES = {"espeak": "espeak-ng"}
_OUT_FADE = 0.05
#: a mouth limit never narrows a slot below this (seconds)
MIN_MOUTH_SLOT = 0.5


@dataclass
class FittedClip:
    """A take fitted into its slot; `audio` starts at the cue's start."""

    audio: np.ndarray
    sample_rate: int
    speech_duration: float  # the speech after speed-up, before any padding or cut
    speed: float  # effective speed against the speed-1.0 reading (engine speed × stretch)
    stretch: float  # the time-stretch applied here on top of the engine's speed
    overflow: float  # seconds of speech that did not fit and were cut
    borrowed: float = 0.0  # seconds of speech past the slot (free time before the next cue)

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


def fit_budget(slot: float, room: float, borrow: float = BORROW_SECONDS) -> float:
    """Seconds the speech may take before it is sped up: the slot plus the time it may borrow."""
    return min(max(0.0, room), max(0.0, slot) + borrow)


def fit_clip(
    audio: np.ndarray,
    sample_rate: int,
    *,
    slot: float,
    room: float,
    max_speed: float = 1.25,
    raw_duration: float | None = None,
    borrow: float = BORROW_SECONDS,
) -> FittedClip:
    """Fit trimmed speech into `slot` seconds, borrowing free time up to `room` (pure function).

    `audio` may already be sped up by the engine; `raw_duration` is the speech's duration at speed
    1.0 (defaults to the audio's own), so the combined speed stays ≤ `max_speed` even when the engine
    overshot. Speech up to `fit_budget` (slot + `borrow`) keeps its pace; longer speech is
    time-stretched just enough to fit it, up to the cap, then may run on up to `room`; what is left
    over is cut with a fade and counted as overflow. Shorter speech is padded to the slot, never
    slowed below 1.0×.
    """
    if not 1.0 <= max_speed <= 1.5:
        raise ValueError(f"max_speed must be between 1.0 and 1.5, got {max_speed}")
    room = max(0.0, room)
    slot = max(0.0, min(slot, room))
    budget = fit_budget(slot, room, borrow)
    current = len(audio) / sample_rate
    raw = raw_duration if raw_duration is not None else current
    engine_speed = raw / current if current > 0 else 1.0
    # the combined speed the budget needs, within [1, cap]; a stretch below 1 only undoes an engine
    # that overshot the speed it was asked for, it never slows the speech below its natural pace
    wanted = raw / budget if budget > 0 else math.inf
    stretch = min(max(wanted, 1.0), max_speed) / engine_speed
    if current > 0 and abs(stretch - 1.0) > _SPEED_EPSILON:
        audio = time_stretch(audio, sample_rate, stretch)
    else:
        stretch = 1.0
    speech = len(audio) / sample_rate
    room_samples = round(room * sample_rate)
    overflow = 0.0
    if len(audio) > room_samples:
        overflow = (len(audio) - room_samples) / sample_rate
        audio = _fade_out(audio[:room_samples], sample_rate)
    audio = pad_to(np.asarray(audio, dtype=np.float32), round(slot * sample_rate))
    speed = raw / speech if speech > 0 else 1.0
    borrowed = max(0.0, min(speech, room) - slot)
    return FittedClip(audio, sample_rate, speech, speed, stretch, overflow, borrowed)


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

    `only_ids` re-synthesizes just those cues (nothing else is touched); `force` bypasses the clip
    cache for a fresh take; `source_audio` (the project's extracted audio) is where reference clips
    are cut from for cloning voices. `mouth_limits` (lip-sync assist, `stages/lipsync.mouth_limits`):
    per on-screen cue, the time its dub should end by, which narrows that cue's slot.
    """
    report = stage_reporter(progress or ignore_progress, STAGE)
    voices = {voice.id: voice for voice in catalog}
    rooms = _rooms(segments, project)
    chosen = [s for s in segments if only_ids is None or s.id in only_ids]
    done: dict[str, Segment] = {}
    for count, segment in enumerate(chosen):
        if cancel is not None:
            cancel.raise_if_cancelled()
        report(count / max(1, len(chosen)), f"cue {count + 1} of {len(chosen)}")
        limit = (mouth_limits or {}).get(segment.id)
        done[segment.id] = _synthesize_one(
            segment, project, synthesizers, voices, Path(project_dir), rooms[segment.id], force, source_audio,
            limit,
        )  # fmt: skip
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


def _synthesize_one(
    segment: Segment,
    project: Project,
    synthesizers: Mapping[str, Synthesizer],
    voices: Mapping[str, Voice],
    project_dir: Path,
    room: float,
    force: bool,
    source_audio: Path | None,
    mouth_limit: float | None = None,
) -> Segment:
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
    settings = project.settings
    language = segment.tts_language or project.target_language
    semitones = _pitch_shift_for(voice, speaker, settings.resemblance)
    references = _reference_clips(speaker, project_dir, source_audio) if voice.clones else []
    request = SynthesisRequest(
        text=text,
        voice=voice,
        language=language,
        style=segment.emotion,
        register=speaker.register if speaker else "",
        reference_audio=references,
    )
    slot = _mouth_slot(min(segment.duration, room), segment, mouth_limit)
    # a mouth limit is where the face stops talking: speed up to it first, borrow only past the cap
    borrow = 0.0 if mouth_limit is not None else BORROW_SECONDS
    key = _cache_key(request, synthesizer, slot, room, settings.max_speed, semitones, borrow)
    folder = project_dir / "clips" / _safe_name(segment.id)
    clip = None if force else _cached_clip(folder, key)
    if clip is not None:  # the cue may have moved on the timeline with the same slot and room
        clip = replace(clip, start=segment.start, end=segment.start + clip.duration)
    else:
        clip = _render(
            request, synthesizer, segment, slot, room, borrow, settings.max_speed, semitones, folder, key
        )
        clip = replace(clip, path=(folder / f"{key}.wav").relative_to(project_dir).as_posix())
        atomic_write_bytes(folder / f"{key}.json", json.dumps(dataclasses.asdict(clip), indent=1).encode())
    history = list(segment.clip_history)
    if segment.clip is not None and segment.clip.cache_key != clip.cache_key:
        history = [c for c in history if c.cache_key != segment.clip.cache_key] + [segment.clip]
    history = [c for c in history if c.cache_key != clip.cache_key]
    issues = kept_issues + ([_overflow_issue(segment, clip, text)] if clip.overflow > 0 else [])
    return replace(segment, clip=clip, clip_history=history, issues=issues)


def _mouth_slot(slot: float, segment: Segment, mouth_limit: float | None) -> float:
    """Lip-sync assist: an on-screen cue's slot ends where its mouth stops (plus a tolerance); the
    room after it is used only past the speed cap (no borrowing first), so a dub that cannot get
    that fast is not cut."""
    if mouth_limit is None:
        return slot
    return max(min(slot, mouth_limit - segment.start), min(slot, MIN_MOUTH_SLOT))


def _render(
    request: SynthesisRequest,
    synthesizer: Synthesizer,
    segment: Segment,
    slot: float,
    room: float,
    borrow: float,
    max_speed: float,
    semitones: float,
    folder: Path,
    key: str,
) -> DubClip:
    """Synthesize at the speed the predicted length needs (again only if that was far off), clean
    the take up, fit it, write the WAV."""
    budget = fit_budget(slot, room, borrow)
    engine_speed = 1.0
    if synthesizer.native_speed:
        predicted = _predicted_raw_duration(request, synthesizer, segment)
        engine_speed = _engine_speed(predicted, budget, max_speed)
    audio, rate, cut = _speak(replace(request, speed=engine_speed), synthesizer, semitones, slot)
    # the engine's speed control scales the duration: the take tells the speed-1.0 duration
    raw_duration = len(audio) / rate * engine_speed
    wanted = _engine_speed(raw_duration, budget, max_speed)
    if synthesizer.native_speed and abs(wanted / engine_speed - 1.0) > RESYNTHESIS_TOLERANCE:
        engine_speed = wanted
        audio, rate, cut = _speak(replace(request, speed=engine_speed), synthesizer, semitones, slot)
        raw_duration = len(audio) / rate * engine_speed
    fitted = fit_clip(
        audio, rate, slot=slot, room=room, max_speed=max_speed, raw_duration=raw_duration, borrow=borrow
    )
    folder.mkdir(parents=True, exist_ok=True)
    write_wav(folder / f"{key}.wav", fade_edges(fitted.audio, rate, 0.005), rate)  # atomic; DiskFullError
    return DubClip(
        path="",
        start=segment.start,
        end=segment.start + fitted.duration,
        voice_id=request.voice.id,
        engine=synthesizer.name,
        text=request.text,
        speed=round(fitted.speed, 4),
        engine_speed=round(engine_speed, 4),
        stretch=round(fitted.stretch, 4),
        raw_duration=round(raw_duration, 4),
        overflow=round(fitted.overflow, 4),
        cache_key=key,
        pauses_cut=round(cut, 4),
        borrowed=round(fitted.borrowed, 4),
    )


def _engine_speed(raw_duration: float, budget: float, max_speed: float) -> float:
    """The speed that makes `raw_duration` seconds of speech fill `budget`, within [1, cap]."""
    if budget <= 0:
        return max_speed
    return min(max(raw_duration / budget, 1.0), max_speed)


def _predicted_raw_duration(request: SynthesisRequest, synthesizer: Synthesizer, segment: Segment) -> float:
    """Seconds the text takes at speed 1.0: the previous take's own measure when it said the same
    thing with the same voice, else the engine's calibrated speech rate for the language."""
    previous = segment.clip
    if (
        previous is not None
        and previous.text == request.text
        and previous.voice_id == request.voice.id
        and previous.raw_duration > 0
    ):
        return previous.raw_duration
    engine = _RATE_TABLE_NAMES.get(synthesizer.name, synthesizer.name)
    return estimate_duration(request.text, request.language, engine)


def _speak(
    request: SynthesisRequest, synthesizer: Synthesizer, semitones: float, slot: float
) -> tuple[np.ndarray, int, float]:
    """(the take with its edges trimmed — and its long pauses shortened if it overruns the slot —,
    its rate, the seconds of pause cut at speed 1.0)."""
    result = synthesizer.synthesize(request)
    rate = result.sample_rate
    audio = trim_silence(result.audio, rate)
    cut = 0.0
    if len(audio) / rate > slot:
        shorter = shorten_pauses(audio, rate, longest=LONGEST_PAUSE / request.speed)
        cut = (len(audio) - len(shorter)) / rate * request.speed
        audio = shorter
    if semitones:
        audio = pitch_shift(audio, rate, semitones)
    return audio, rate, cut


def _fade_out(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    length = min(len(audio), int(_OUT_FADE * sample_rate))
    out = audio.copy()
    if length:
        out[-length:] *= np.linspace(1.0, 0.0, length, dtype=np.float32)
    return out


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


def _cache_key(
    request: SynthesisRequest,
    synthesizer: Synthesizer,
    slot: float,
    room: float,
    max_speed: float,
    semitones: float,
    borrow: float,
) -> str:
    identity = {
        "text": request.text,
        "voice": request.voice.id,
        "engine": synthesizer.name,
        "version": synthesizer.version,
        "language": request.language,
        "style": request.style,
        "register": request.register,
        "slot": round(slot, 3),
        "room": round(room, 3),
        "max_speed": max_speed,
        "semitones": semitones,
        "borrow": borrow,
        "references": [Path(p).name for p in request.reference_audio],
        "fitting": FITTING_REVISION,
    }
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


@dataclass(frozen=True)
class FitReport:
    """How a dub's takes sit in their slots (bench/dub_intelligibility.py and the tests read it)."""

    takes: int
    fitted: int  # inside slot + borrowed time, at ≤ max speed, nothing cut
    borrowed: int  # takes that use free time after their slot
    overlapping: int  # takes running into the next cue (never, by construction)

    @property
    def fitted_share(self) -> float:
        return self.fitted / self.takes if self.takes else 1.0


def fit_report(segments: Sequence[Segment], max_speed: float) -> FitReport:
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    clips = [s.clip for s in ordered if s.clip is not None]
    fitted = sum(1 for c in clips if c.overflow <= 0.005 and c.speed <= max_speed + 0.01)
    overlapping = sum(
        1
        for current, following in itertools.pairwise(ordered)
        if current.clip is not None and current.clip.end > following.start + 0.005
    )
    return FitReport(len(clips), fitted, sum(1 for c in clips if c.borrowed > 0.005), overlapping)
