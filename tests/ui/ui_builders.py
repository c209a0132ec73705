"""Real project folders for the editor's tests and benches.

`sample_project` builds a project over the real 30 s two-speaker call shipped with pyannote.audio,
muxed with a generated test-pattern video: its segments are the reference transcript (sample.stm),
hand-written Spanish translations, and real espeak-ng takes as dub clips. `large_project` builds
thousands of segments over hours of generated audio for the responsiveness benches.
"""

from __future__ import annotations

import importlib.resources
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from dubstudio.core.media import ensure_project_audio, probe
from dubstudio.core.project import DubClip, Project, Segment, Settings, Speaker, ValidationIssue, Word
from dubstudio.core.store import create_project_dir, save_project

SAMPLE = Path(str(importlib.resources.files("pyannote.audio") / "sample"))
SPANISH = [
    "¿Hola?",
    "¿Hola?",
    "Ah, hola.",
    "No sabía que estabas ahí.",
    "Yo tampoco.",
    "Vale, entonces pensé, ya sabes, oí un pitido.",
    "Soy Diane, de Nueva Jersey.",
    "Y yo soy Sheila, de Texas, originaria de Chicago.",
    "Ah, yo también soy de Chicago.",
    "Aunque ahora estoy en Nueva Jersey.",
    "Bueno, no hay tanta diferencia.",
    "Al menos, ya sabes, aquí todos me llaman yanqui, así que, ¿qué puedo decir?",
    "Ah, eso no lo oigo ahora en Nueva Jersey.",
]
VOICES = {"S1": "espeak:es+m3", "S2": "espeak:es+f2"}


def make_video(target: Path, seconds: float = 30.0) -> Path:
    """A test-pattern video (H.264, 640×360, 25 fps) with the real two-speaker call as its audio."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            shutil.which("ffmpeg") or "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=640x360:rate=25:duration={seconds}",
            "-i",
            str(SAMPLE / "sample.wav"),
            "-t",
            str(seconds),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(target),
        ],
        check=True,
    )
    return target


def _words(start: float, end: float, text: str) -> list[Word]:
    """Word timings spread over the cue by length (the reference transcript has none)."""
    tokens = text.split()
    weights = np.array([len(t) + 1 for t in tokens], dtype=float)
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return [
        Word(round(a, 3), round(b - 0.02, 3), t, 0.9)
        for a, b, t in zip(edges, edges[1:], tokens, strict=False)
    ]


def _espeak_take(path: Path, text: str, voice: str) -> float:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["espeak-ng", "-v", voice, "-s", "190", "-w", str(path), text], check=True)
    info = sf.info(str(path))
    return info.frames / info.samplerate


def sample_project(folder: Path, media: Path) -> Path:
    """Create a complete project folder (audio extracted, clips synthesized, issues flagged)."""
    info = probe(media)
    info.path = str(media.resolve())
    speakers = [
        Speaker("S1", "Diane", "female", voice_id=VOICES["S1"]),
        Speaker("S2", "Sheila", "female", voice_id=VOICES["S2"]),
    ]
    project = Project(
        name=media.stem,
        source_language="en",
        target_language="es",
        media=info,
        speakers=speakers,
        settings=Settings(),
    )
    lines = (SAMPLE / "sample.stm").read_text().splitlines()
    for index, (line, translation) in enumerate(zip(lines, SPANISH, strict=True)):
        _file, _channel, who, start, end, *text = line.split()
        speaker = "S1" if who == "Diane" else "S2"
        original = " ".join(text)
        project.segments.append(
            Segment(
                id=f"seg-{index:03d}",
                start=float(start),
                end=float(end),
                speaker_id=speaker,
                original_text=original,
                words=_words(float(start), float(end), original),
                confidence=0.9,
                translated_text=translation,
                tts_text=translation,
                tts_language="es",
                voice_id=VOICES[speaker],
            )
        )
    create_project_dir(folder, project)
    ensure_project_audio(folder, info)
    for index, segment in enumerate(project.segments):
        relative = f"clips/{segment.id}/take-1.wav"
        voice = "es+m3" if segment.speaker_id == "S1" else "es+f2"
        length = _espeak_take(folder / relative, segment.tts_text, voice)
        following = project.segments[index + 1].start if index + 1 < len(project.segments) else info.duration
        overflow = max(0.0, segment.start + length - following)
        segment.clip = DubClip(
            relative,
            segment.start,
            segment.start + length,
            segment.voice_id,
            "espeak",
            segment.tts_text,
            raw_duration=length,
            overflow=round(overflow, 3),
        )
        if overflow > 0:
            segment.issues.append(
                ValidationIssue(
                    segment.id,
                    "timing_overflow",
                    f"the dub is {overflow:.2f} s longer than its slot",
                    "error",
                    value=round(overflow, 3),
                    suggestion="shorten the translation",
                )
            )
    earlier = project.segments[3]
    relative = f"clips/{earlier.id}/take-0.wav"
    length = _espeak_take(folder / relative, earlier.tts_text, "es+f4")
    earlier.clip_history.append(
        DubClip(
            relative,
            earlier.start,
            earlier.start + length,
            "espeak:es+f4",
            "espeak",
            earlier.tts_text,
            raw_duration=length,
        )
    )
    project.segments[5].issues.append(
        ValidationIssue("seg-005", "low_confidence_transcript", "the recogniser was unsure (confidence 0.41)")
    )
    project.segments[5].confidence = 0.41
    project.segments[11].issues.append(
        ValidationIssue(
            "seg-011", "idiom", "“call me a Yankee” may not carry over", suggestion="a regional nickname"
        )
    )
    project.segments[8].needs_review = True
    project.segments[8].review_reasons = ["speech_rate"]
    save_project(folder, project)
    return folder


def large_project(folder: Path, *, segments: int = 2000, hours: float = 3.0, rate: int = 8000) -> Path:
    """`segments` cues over `hours` of speech-like generated audio (bursts and silences)."""
    duration = hours * 3600
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "audio").mkdir(exist_ok=True)
    wav = folder / "audio" / "mix.wav"
    frames = int(duration * rate)
    with sf.SoundFile(str(wav), "w", rate, 1, "PCM_16") as out:
        block = rate * 600
        for offset in range(0, frames, block):
            n = min(block, frames - offset)
            t = (offset + np.arange(n)) / rate
            envelope = (np.sin(2 * np.pi * t / 4.0) > -0.2).astype(np.float32)
            out.write(rng.standard_normal(n).astype(np.float32) * 0.2 * envelope)
    speakers = [Speaker(f"S{k}", f"Speaker {k}") for k in range(1, 5)]
    step = duration / segments
    cues = []
    for k in range(segments):
        start = round(k * step, 3)
        end = round(start + step * 0.8, 3)
        cue = Segment(
            f"seg-{k:05d}",
            start,
            end,
            f"S{k % 4 + 1}",
            f"Original sentence number {k} goes here.",
            _words(start, end, f"Original sentence number {k} goes here."),
            0.9,
            translated_text=f"La frase original número {k} va aquí.",
            voice_id="espeak:es",
        )
        if k % 17 == 0:
            cue.issues.append(ValidationIssue(cue.id, "length_overflow", "estimated dub too long"))
        cues.append(cue)
    project = Project("large", "en", "es", speakers=speakers, segments=cues)
    create_project_dir(folder, project)
    return folder
