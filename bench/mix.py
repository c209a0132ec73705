"""Export of a long project, the path `dubstudio export` / `dubstudio dub` and the editor's Export
take (`export_project` on a project folder): time, real-time factor and peak memory, before and after.

The project is built once per length (cached in the work folder) from real files: a video of
MINUTES minutes whose soundtrack is the real speech of `tests/data` looped over pink room noise
(48 kHz stereo AAC, a 64×36 picture), its extracted source WAV (as after `dubstudio dub`), and one
real-speech take per cue (24 kHz mono WAVs like Kokoro's, 2.5–4.5 s, a cue every 4.5 s).

Each implementation exports in its own process, so its peak RSS (`ru_maxrss`) is its own: the
committed version at `--baseline REV` (`git archive` of its `dubstudio/`) and this worktree. Prints
the mix step (mixing, mastering, measuring, writing dub.wav and mix.wav: the step `render_mix` does)
and the whole export (with the MP3 and the muxed video, which ffmpeg encodes), their real-time
factors (media seconds per second), the peak RSS of the exporting process (ffmpeg's children are
separate processes of a few tens of MB), the before/after ratios and how far apart the two mix.wav
files are.

Run: `.venv/bin/python bench/mix.py [MINUTES] [--baseline REV] [--work DIR]` (default 120 minutes,
baseline `main`; needs about 12 GB of disk in the work folder for 2 hours).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
TAKE_RATE = 24_000
CUE_EVERY_S = 4.5


def _speech() -> np.ndarray:
    """All of tests/data's real speech at 24 kHz, one after the other."""
    from dubstudio.core.dsp import resample
    from dubstudio.core.media import load_wav

    pieces = []
    for path in sorted(DATA.glob("en_*.wav")):
        audio, rate = load_wav(path)
        pieces.append(resample(audio, rate, TAKE_RATE))
    return np.concatenate(pieces)


def build_project(folder: Path, minutes: float) -> Path:
    """A dubbed project over a MINUTES-long video (made once; reused while project.json exists)."""
    from dubbed_projects import write_dubbed_project

    from dubstudio.core.media import ensure_project_audio

    project_dir = folder / "project"
    if (project_dir / "project.json").is_file():
        return project_dir
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    seconds = round(minutes * 60)
    speech = _speech()
    speech_wav = folder / "speech.wav"
    sf.write(speech_wav, np.concatenate([speech, np.zeros(TAKE_RATE * 3, np.float32)]), TAKE_RATE)
    video = folder / "film.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"color=c=gray:size=64x36:rate=5:duration={seconds}",
         "-stream_loop", "-1", "-i", str(speech_wav),
         "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.03:sample_rate=48000:duration={seconds}",
         "-filter_complex",
         "[1:a]aresample=48000,pan=stereo|c0=c0|c1=0.8*c0[speech];[speech][2:a]amix=inputs=2:normalize=0[a]",
         "-map", "0:v", "-map", "[a]", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "128k", str(video)],
        check=True,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    takes = []
    for start in np.arange(0.5, seconds - 5.0, CUE_EVERY_S):
        length = round(rng.uniform(2.5, 4.5) * TAKE_RATE)
        offset = int(rng.integers(0, len(speech) - length))
        takes.append((float(start), speech[offset : offset + length]))
    project = write_dubbed_project(project_dir, video, takes, TAKE_RATE)
    ensure_project_audio(project_dir, project.media)  # as after `dubstudio dub`: the export only mixes
    return project_dir


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure(project_dir: Path, out_dir: Path) -> dict[str, float]:
    """One export in this process, timed by its own progress messages."""
    from dubstudio.core.store import load_project
    from dubstudio.pipeline.export import export_project

    project = load_project(project_dir)
    marks: dict[str, float] = {}

    def progress(event) -> None:
        marks.setdefault(event.message, time.perf_counter())

    started = time.perf_counter()
    result = export_project(project, project_dir, out_dir, progress=progress)
    finished = time.perf_counter()
    return {
        "seconds": project.media.duration,
        "cues": len(project.segments),
        "mix_s": marks["encoding MP3"] - marks["mixing"],
        "export_s": finished - started,
        "source_lufs": result.source_lufs,
        "mix_lufs": result.mix_lufs,
        "true_peak": result.mix_true_peak_db,
        "peak_rss": _peak_rss_mb(),
        "module": sys.modules["dubstudio"].__file__,
    }


def _run_worker(package_root: Path, project_dir: Path, out_dir: Path) -> dict[str, float]:
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--worker", str(project_dir), str(out_dir)]
    environment = {**os.environ, "PYTHONPATH": str(package_root)}
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout
    return json.loads(output.strip().splitlines()[-1])


def _baseline_tree(revision: str, folder: Path) -> Path:
    """The committed `dubstudio/` package at `revision`, unpacked into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "dubstudio"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _largest_difference(first: Path, second: Path, block: int = 1 << 20) -> tuple[int, int]:
    """(frames, largest sample difference in 16-bit steps) of two WAVs, read block by block."""
    worst = 0
    with sf.SoundFile(first) as a, sf.SoundFile(second) as b:
        if a.frames != b.frames:
            raise SystemExit(f"the two mixes differ in length: {a.frames} vs {b.frames} frames")
        for left, right in zip(a.blocks(block, dtype="int16"), b.blocks(block, dtype="int16"), strict=True):
            worst = max(worst, int(np.abs(left.astype(np.int32) - right).max()))
        return a.frames, worst


def _report(label: str, run: dict[str, float]) -> None:
    print(f"[{label}] {run['module']}")
    print(
        f"[{label}] mix step (mix, master, measure, write dub.wav + mix.wav): {run['mix_s']:.1f} s = "
        f"{run['seconds'] / run['mix_s']:.0f}x real time"
    )
    print(
        f"[{label}] whole export (+ MP3, muxed video): {run['export_s']:.1f} s = "
        f"{run['seconds'] / run['export_s']:.0f}x real time"
    )
    print(
        f"[{label}] source {run['source_lufs']:.2f} LUFS, mix {run['mix_lufs']:.2f} LUFS, "
        f"true peak {run['true_peak']:.2f} dBTP"
    )
    print(f"[{label}] peak RSS of the exporting process: {run['peak_rss']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("minutes", nargs="?", type=float, default=120.0)
    parser.add_argument("--baseline", default="main", help="git revision to compare with ('' for none)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "dubstudio-bench-mix")
    parser.add_argument("--worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(*args.worker)))
        return
    sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]
    started = time.perf_counter()
    project_dir = build_project(args.work / f"{args.minutes:g}min", args.minutes)
    print(f"project ready in {time.perf_counter() - started:.0f} s: {project_dir}")
    load_before = os.getloadavg()[0]
    outputs = args.work / "exports"
    shutil.rmtree(outputs, ignore_errors=True)
    baseline = None
    if args.baseline:
        tree = _baseline_tree(args.baseline, outputs / "baseline-tree")
        baseline = _run_worker(tree, project_dir, outputs / "before")
        shutil.rmtree(outputs / "before" / "exports", ignore_errors=True)  # disk: keep mix.wav only
        (outputs / "before" / "dub.wav").unlink(missing_ok=True)
    current = _run_worker(REPO, project_dir, outputs / "now")
    print(
        f"media: {current['seconds'] / 60:.0f} min (48 kHz stereo), {current['cues']:.0f} cues; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} cores)"
    )
    if baseline is not None:
        _report(f"before: {args.baseline}", baseline)
    _report("now", current)
    if baseline is not None:
        print(f"peak RSS before/after: {baseline['peak_rss'] / current['peak_rss']:.2f}x")
        print(f"mix step speed after/before: {baseline['mix_s'] / current['mix_s']:.2f}x")
        print(f"whole export speed after/before: {baseline['export_s'] / current['export_s']:.2f}x")
        frames, steps = _largest_difference(outputs / "before" / "mix.wav", outputs / "now" / "mix.wav")
        print(
            f"mix.wav before vs now: {frames} frames each, largest difference {steps} 16-bit steps; "
            f"mix loudness {baseline['mix_lufs'] - current['mix_lufs']:+.4f} LU, "
            f"true peak {baseline['true_peak'] - current['true_peak']:+.4f} dB"
        )
    shutil.rmtree(outputs, ignore_errors=True)


if __name__ == "__main__":
    main()
