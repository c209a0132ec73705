"""Whole-pipeline real-time factor on the bundled sample (resources/sample/dialogue.mp4), cold and
warm, against the bare engines, in one run.

The path measured is `dubstudio dub`'s own (`pipeline.dub_job.run_dub`: every stage, the
mouth-activity job beside it, the exports) into a fresh project folder each time:
1. cold: a fresh engine set, models loaded inside the run (as the first `dubstudio dub`);
2. warm: the same engine set again on a new folder (as the editor and `dubstudio batch`, where one
   engine set serves every job); `--warm N` repeats it and prints the best and the median;
3. the bare engines on the warm run's own audio and texts, with the thread counts the engines use:
   faster-whisper's `transcribe` (same decode options), pyannote's diarization pipeline, Kokoro's
   ONNX session on each cue's phonemes at speed 1.0 (espeak-ng phonemizing included, uncached).
Each stage prints its time and real-time factor (processing time / media duration; below 1 is
faster than real time); stage 1 and synthesis also print their overhead over the bare engines.
The first run on a machine also measures the voice catalog once (cached afterwards).
Run: `.venv/bin/python bench/pipeline.py [MEDIA] [--to es] [--warm N] [--profile FILE]`
(`--profile` writes cProfile stats of the first warm run's main thread).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dubstudio.core.media import RECOGNITION_WAV, load_wav  # noqa: E402
from dubstudio.core.progress import ProgressEvent  # noqa: E402
from dubstudio.core.project import STAGES, Settings  # noqa: E402
from dubstudio.engines.factory import Engines  # noqa: E402
from dubstudio.pipeline.dub_job import EXPORT_STAGE, DubOutcome, DubRequest, run_dub  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Run:
    """One dub and the CPU seconds of this process in each stage (from its progress events)."""

    outcome: DubOutcome
    cpu: dict[str, float]
    #: CPU seconds of the whole run: this process, and its children (ffmpeg, the mouth analysis)
    process_cpu: float
    children_cpu: float


@dataclass
class _StageClock:
    started: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage not in (*STAGES, EXPORT_STAGE):
            return
        now = time.process_time()
        if event.message in ("starting", "cached") and event.fraction == 0.0:
            self.started[event.stage] = now
        elif event.message == "done" and event.stage in self.started:
            self.cpu[event.stage] = now - self.started.pop(event.stage)
        elif event.stage == EXPORT_STAGE:  # export reports no "starting": its first and last events
            self.started.setdefault(event.stage, now)
            self.cpu[event.stage] = now - self.started[event.stage]


def dub(media: Path, folder: Path, target: str, engines: list[Engines]) -> Run:
    """`dubstudio dub MEDIA --to TARGET --out FOLDER`; the engine set is built once and kept in `engines`."""

    def provider(settings: Settings) -> Engines:
        if not engines:
            engines.append(Engines(settings))
        return engines[0]

    clock = _StageClock()
    cpu, children = time.process_time(), _children_cpu()
    outcome = run_dub(
        DubRequest(media=media, out=folder, target_language=target), engines=provider, progress=clock
    )
    return Run(outcome, clock.cpu, time.process_time() - cpu, _children_cpu() - children)


def bare_engines(outcome: DubOutcome, engines: Engines) -> dict[str, float]:
    """Seconds the bare engine calls take on the outcome's audio and texts."""
    import numpy as np
    import torch

    project = outcome.project
    audio, _rate = load_wav(outcome.project_dir / "audio" / RECOGNITION_WAV)
    seconds: dict[str, float] = {}

    whisper = engines.transcriber()
    started = time.perf_counter()
    pieces, _info = whisper.model.transcribe(
        audio, language=project.source_language, **whisper.decode_options()
    )
    list(pieces)
    seconds["whisper"] = time.perf_counter() - started

    diarizer = engines.diarizer()
    previous = torch.get_num_threads()
    torch.set_num_threads(diarizer.threads)
    started = time.perf_counter()
    diarizer.pipeline({"waveform": torch.from_numpy(audio).unsqueeze(0), "sample_rate": 16_000})
    seconds["pyannote"] = time.perf_counter() - started
    torch.set_num_threads(previous)

    kokoro = engines.synthesizers()["kokoro"]
    session = kokoro._load()
    started = time.perf_counter()
    for segment in project.segments:
        voice = project.voice_for(segment)
        name = voice.split(":", 1)[1]
        british = name.startswith("b") and segment.tts_language.startswith("en")
        phonemes = kokoro._phonemize(segment.tts_text, segment.tts_language, british)
        for tokens in kokoro.tokenize(phonemes):
            style = kokoro.style(name)[min(len(tokens), 509)].reshape(1, 256)
            session.run(
                ["audio"],
                {
                    "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                    "style": style,
                    "speed": np.array([1.0], dtype=np.float32),
                },
            )
    seconds["kokoro"] = time.perf_counter() - started
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("media", nargs="?", type=Path, default=REPO / "resources" / "sample" / "dialogue.mp4")
    parser.add_argument("--to", default="es")
    parser.add_argument("--warm", type=int, default=1, help="warm runs (best and median are printed)")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the first warm run here")
    args = parser.parse_args()
    engines: list[Engines] = []
    with tempfile.TemporaryDirectory() as folder:
        cold = dub(args.media, Path(folder) / "cold", args.to, engines)
        warm: list[Run] = []
        for index in range(args.warm):
            profiler = cProfile.Profile() if args.profile and index == 0 else None
            if profiler is not None:
                profiler.enable()
            warm.append(dub(args.media, Path(folder) / f"warm{index}", args.to, engines))
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
        bare = bare_engines(warm[0].outcome, engines[0])
    duration = cold.outcome.project.media.duration
    best = min(warm, key=lambda run: run.outcome.elapsed)
    mouths = cold.outcome.mouths
    print(
        f"media: {args.media.name}, {duration:.1f} s, {len(cold.outcome.project.segments)} cues, "
        f"device {engines[0].device}, mouth activity: {(mouths.skipped or 'analyzed') if mouths else '-'}; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    head = f"  {'stage':<14} {'cold s':>7} {'RTF':>5}   {'warm s':>7} {'RTF':>5} {'CPU s':>6}"
    print(f"{head}   bare engines (wall)")
    bare_by_stage = {
        "transcription": ("whisper + pyannote", bare["whisper"] + bare["pyannote"]),
        "synthesis": ("kokoro", bare["kokoro"]),
    }
    for stage in (*STAGES, EXPORT_STAGE):
        cold_s = cold.outcome.stage_seconds.get(stage, 0.0)
        warm_s = best.outcome.stage_seconds.get(stage, 0.0)
        line = (
            f"  {stage:<14} {cold_s:7.1f} {cold_s / duration:5.2f}   {warm_s:7.1f} {warm_s / duration:5.2f}"
            f" {best.cpu.get(stage, 0.0):6.1f}"
        )
        if stage in bare_by_stage:
            name, seconds = bare_by_stage[stage]
            line += f"   {name} {seconds:.1f} s (stage = {warm_s / seconds:.2f}× bare)"
        print(line)
    print(
        f"  bare: faster-whisper {bare['whisper']:.1f} s, pyannote {bare['pyannote']:.1f} s, "
        f"Kokoro {bare['kokoro']:.1f} s"
    )
    elapsed = [run.outcome.elapsed for run in warm]
    cold_s, warm_s = cold.outcome.elapsed, best.outcome.elapsed
    print(f"whole pipeline, cold: {cold_s:.1f} s, real-time factor {cold_s / duration:.2f}")
    print(
        f"whole pipeline, warm: {warm_s:.1f} s, real-time factor {warm_s / duration:.2f}"
        + (f" (median of {len(warm)}: {statistics.median(elapsed) / duration:.2f})" if len(warm) > 1 else "")
    )
    total_cpu = best.process_cpu + best.children_cpu
    print(
        f"CPU of the warm run: {best.process_cpu:.1f} s in the job, {best.children_cpu:.1f} s in its "
        f"children (ffmpeg, the mouth analysis): on 2 idle cores at best {total_cpu / 2:.1f} s, "
        f"real-time factor {total_cpu / 2 / duration:.2f}"
    )


if __name__ == "__main__":
    main()
