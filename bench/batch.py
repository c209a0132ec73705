"""Batch throughput with 1 and 2 workers, measured in one run, through `dubstudio batch` itself.

The jobs are copies of the bundled sample (resources/sample/dialogue.mp4: 53 s, two speakers), dubbed
en→es with the whole pipeline (recognition included, as a user gets it). Each worker count runs the
same jobs into a fresh folder, one after the other; the script prints, per run, the wall time and
throughput (seconds of media per second), then the ratio, and what the jobs' own times say about
model loading (a worker's first job loads the engines, the next ones reuse them) and the bytes a job
reads and writes per hour of media (what shared storage must carry on a cluster).

Run: `.venv/bin/python bench/batch.py [--jobs 4] [--ray] [--subtitles] [--seconds S]`. `--ray` runs
the 2-worker case on a local Ray runtime too; `--subtitles` imports the sample's reference transcript
instead of running recognition (what a batch of already-subtitled episodes does); `--seconds` dubs
only the first S seconds of the sample. Timings are noisy on a shared machine: compare the numbers
of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "sample" / "dialogue.mp4"
REFERENCE_SRT = REPO / "resources" / "sample" / "reference.srt"


def _source(folder: Path, seconds: float | None) -> tuple[Path, Path]:
    """The sample and its reference transcript, or their first `seconds` (the video copied, not
    re-encoded, and the cues that end before the cut)."""
    if seconds is None:
        return SAMPLE, REFERENCE_SRT
    import pysubs2

    clip = folder / "sample.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(SAMPLE),
            "-t",
            str(seconds),
            "-c",
            "copy",
            str(clip),
        ],
        check=True,
    )
    subtitles = pysubs2.load(str(REFERENCE_SRT))
    subtitles.events = [event for event in subtitles.events if event.end <= seconds * 1000]
    transcript = folder / "sample.srt"
    subtitles.save(str(transcript))
    return clip, transcript


def _inputs(folder: Path, jobs: int, subtitles: bool, seconds: float | None) -> Path:
    """`jobs` copies of the sample (distinct files, so every job does all its work) and a manifest."""
    media, transcript = _source(folder, seconds)
    rows = ["input,from,subtitles" if subtitles else "input"]
    for number in range(1, jobs + 1):
        copy = folder / f"episode{number:02d}.mp4"
        shutil.copyfile(media, copy)
        if subtitles:
            shutil.copyfile(transcript, copy.with_suffix(".srt"))
            rows.append(f"{copy.name},en,{copy.with_suffix('.srt').name}")
        else:
            rows.append(copy.name)
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return manifest


def _run(manifest: Path, out: Path, workers: int, ray: bool) -> dict:
    command = [sys.executable, "-m", "dubstudio", "batch", "--manifest", str(manifest), "--to", "es"]
    command += ["--out", str(out), "--workers", str(workers)] + (["--ray"] if ray else [])
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"dubstudio batch failed ({result.returncode}):\n{result.stderr[-3000:]}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jobs = report["jobs"]
    media = sum(job["mediaSeconds"] for job in jobs)
    by_worker: dict[str, list[float]] = {}
    for job in sorted(jobs, key=lambda j: j["finishedAt"]):
        by_worker.setdefault(job["worker"], []).append(job["elapsedSeconds"])
    written = sum(f.stat().st_size for job in jobs for f in Path(job["project"]).rglob("*") if f.is_file())
    return {"wall": wall, "media": media, "jobs": jobs, "by_worker": by_worker, "written": written}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--ray", action="store_true", help="also 2 workers on a local Ray runtime")
    parser.add_argument("--subtitles", action="store_true", help="import the transcript (no recognition)")
    parser.add_argument("--seconds", type=float, help="dub only the sample's first SECONDS")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        manifest = _inputs(folder, args.jobs, args.subtitles, args.seconds)
        cases = [("local", 1, False), ("local", 2, False)] + ([("ray", 2, True)] if args.ray else [])
        results = {}
        for name, workers, ray in cases:
            run = _run(manifest, folder / f"{name}-{workers}", workers, ray)
            results[(name, workers)] = run
            rate = run["media"] / run["wall"]
            print(
                f"{name} {workers} worker{'s' if workers > 1 else ''}: {args.jobs} jobs, "
                f"{run['media']:.0f} s of media in {run['wall']:.1f} s: {rate:.2f} s of media per second "
                f"(real-time factor {run['wall'] / run['media']:.2f})"
            )
            for worker, times in run["by_worker"].items():
                print(f"    {worker}: jobs of {', '.join(f'{t:.1f}' for t in times)} s")
        one, two = results[("local", 1)], results[("local", 2)]
        ratio = (two["media"] / two["wall"]) / (one["media"] / one["wall"])
        print(f"throughput 2 workers / 1 worker: {ratio:.2f}x")
        if ("ray", 2) in results:
            ray_run = results[("ray", 2)]
            print(f"throughput Ray 2 actors / local 2 workers: {(two['wall'] / ray_run['wall']):.2f}x")
        first = [times[0] for times in one["by_worker"].values()]
        later = [t for times in one["by_worker"].values() for t in times[1:]]
        if later:
            cold, warm = sum(first) / len(first), sum(later) / len(later)
            print(
                f"first job of a worker {cold:.1f} s, later ones {warm:.1f} s on average: about "
                f"{cold - warm:.1f} s of engine loading per worker, paid once"
            )
        per_hour = one["written"] / one["media"] * 3600 / 2**30
        read_per_hour = (folder / "episode01.mp4").stat().st_size / (one["media"] / args.jobs) * 3600 / 2**30
        print(
            f"storage per hour of media: reads {read_per_hour:.2f} GiB (this sample's bitrate), "
            f"writes {per_hour:.2f} GiB"
        )


if __name__ == "__main__":
    main()
