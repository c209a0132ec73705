"""Intelligibility of a dub: round-trip WER of its takes per voice and per fitting step, and slot fit.

Every cue's take is transcribed back by the voice QA's judge (faster-whisper base, greedy,
temperature 0) and scored against its tts_text. The steps are re-synthesized from the same texts
and voices, so each one's cost shows on its own:
  1. speed 1.0, edges trimmed (no fitting at all)
  2. + internal pauses shortened (`LONGEST_PAUSE`)
  3. the first fitting: engine speed + time-stretch to fill the slot, no time borrowed
  4. the app's fitted take as the project has it (trim, pauses, the run's free time before and
     after the cues shared out by `plan_takes`, engine speed last)
  5. the same plan with the speed-up done by time-stretching the speed-1.0 take instead of the
     engine's speed control (the measure behind preferring the engine's speed)
Fit: the share of cues whose take is inside its slot + borrowed time at ≤ max speed, with no cut,
any take running into the next cue or take, and how many start before their cue.
Run: `.venv/bin/python bench/dub_intelligibility.py [PROJECT_DIR]` (default: `dubstudio dub` the
bundled sample into a temporary folder first; ~4 min on 2 cores).
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import soundfile as sf

from dubstudio.core.dsp import shorten_pauses, time_stretch, trim_silence
from dubstudio.core.project import Project
from dubstudio.core.store import load_project
from dubstudio.engines.base import SynthesisRequest
from dubstudio.engines.factory import Engines
from dubstudio.engines.voice_qa import WhisperJudge, round_trip_errors
from dubstudio.stages.synthesis import LONGEST_PAUSE
from dubstudio.stages.take_fitting import fit_clip, fit_report

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "dialogue.mp4"


def dub_sample(folder: Path) -> Path:
    from dubstudio.cli.main import main

    assert main(["dub", str(SAMPLE), "--to", "es", "--out", str(folder), "--no-voice-library"]) in (0, 1)
    return folder


def _rooms(project: Project) -> dict[str, tuple[float, float]]:
    """(slot, room) per cue, as synthesis computes them."""
    from dubstudio.stages.synthesis import _rooms

    rooms = _rooms(project.segments, project)
    return {s.id: (min(s.duration, rooms[s.id]), rooms[s.id]) for s in project.segments}


def main(project_dir: Path) -> None:
    project = load_project(project_dir)
    engines = Engines(project.settings)
    synthesizers = engines.synthesizers()
    catalog = {v.id: v for v in engines.catalog(project.target_language, project.speakers)}
    judge = WhisperJudge("cpu")
    rooms = _rooms(project)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_voice: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    language = project.target_language
    for segment in project.segments:
        if segment.clip is None:
            continue
        voice = catalog[segment.clip.voice_id]
        engine = synthesizers[voice.engine]
        request = SynthesisRequest(segment.tts_text, voice, language)
        slot, room = rooms[segment.id]
        raw = engine.synthesize(request)
        rate = raw.sample_rate
        plain = trim_silence(raw.audio, rate)
        shorter = shorten_pauses(plain, rate, longest=LONGEST_PAUSE)
        speed = min(max(len(plain) / rate / slot, 1.0), project.settings.max_speed) if slot > 0 else 1.25
        fast = trim_silence(engine.synthesize(replace(request, speed=speed)).audio, rate)
        before = fit_clip(fast, rate, slot=slot, room=room, raw_duration=len(plain) / rate, borrow=0.0).audio
        take, take_rate = sf.read(project_dir / segment.clip.path, dtype="float32")
        clip = segment.clip
        stretched = time_stretch(shorter if clip.pauses_cut > 0 else plain, rate, clip.speed)
        steps = {
            "1 speed 1.0, trimmed": (plain, rate),
            "2 + pauses shortened": (shorter, rate),
            "3 first fitting (speed to the slot)": (before, rate),
            "4 fitted take (the app's)": (take, take_rate),
            "5 the app's plan, stretch not engine": (stretched, rate),
        }
        counts = []
        heard_steps = round_trip_errors(
            [(*take, segment.tts_text) for take in steps.values()], language, judge
        )
        for step, (errors, words, heard) in zip(steps, heard_steps, strict=True):
            totals[step][0] += errors
            totals[step][1] += words
            counts.append(str(errors))
            if step.startswith("4"):
                per_voice[voice.id][0] += errors
                per_voice[voice.id][1] += words
                fitted_heard = heard
        print(
            f"{segment.id} {voice.name:9s} ×{clip.speed:.2f} lead {clip.lead:.2f} "
            f"borrowed {clip.borrowed:.2f} errors per step {'/'.join(counts)} of {words}: {fitted_heard}"
        )
    print(f"\nround-trip WER per fitting step ({project_dir}):")
    for step, (errors, words) in totals.items():
        print(f"  {step:36s} {errors / max(words, 1):.3f}  ({errors}/{words} words)")
    print("round-trip WER of the fitted takes per voice:")
    for voice_id, (errors, words) in per_voice.items():
        print(f"  {voice_id:20s} {errors / max(words, 1):.3f}  ({errors}/{words} words)")
    fit = fit_report(project.segments, project.settings.max_speed)
    print(
        f"fit: {fit.fitted}/{fit.takes} takes ({fit.fitted_share:.0%}) inside slot + borrowed time at ≤ "
        f"{project.settings.max_speed}× without a cut; {fit.borrowed} borrow time; "
        f"{fit.leading} start before their cue; {fit.overlapping} run into the next cue or take"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as scratch:
            main(dub_sample(Path(scratch) / "sample"))
