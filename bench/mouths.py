"""Lip-sync assist: what reading the mouths costs, and that it stays off the dub's critical path.

1. Cost per minute of video: a one-minute video cut from the annotated face clips
   (tests/data/faces), at 640×360 and at 1280×720 (the larger frame is also searched in tiles for
   small faces), analyzed as the editor and `dubstudio dub` do it (`ensure_track`: a child process
   at niceness 10, 10 frames per second). Prints wall time and the child's CPU time per minute.
2. Critical path: `dubstudio dub` on the bundled sample (53 s, 960×540; or `--media`) without and
   with lip-sync assist, each in a fresh folder, alternating (without, with, with, without); prints
   the wall-time ratio.
Also prints the detector's agreement with the annotations (the README's figures).

Several engineers share this machine's two cores: wall times are noisy, the ratios less so.
Run: `.venv/bin/python bench/mouths.py [--skip-dub | --only-dub] [--media FILE [--subtitles FILE]]`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dubstudio.core.project import MediaInfo, Project, Settings  # noqa: E402
from dubstudio.pipeline.mouths import ensure_track  # noqa: E402
from dubstudio.stages.lipsync import Agreement, agreement, mouth_activity  # noqa: E402

FACES = REPO / "tests" / "data" / "faces"
CLIPS = ("carphone_pristine.mp4", "movie.avi", "movie-hello.mp4", "single_face.mp4", "face_noface.mov",
         "WolfgangLanger_Pexels.mp4")  # fmt: skip
SAMPLE = REPO / "resources" / "sample" / "dialogue.mp4"


def minute_of_video(folder: Path, width: int, height: int) -> Path:
    """The face clips one after the other, looped to 60 s, at one frame size."""
    out = folder / f"minute_{width}x{height}.mp4"
    inputs = [arg for clip in CLIPS for arg in ("-i", str(FACES / clip))]
    fit = f"scale={width}:{height}:force_original_aspect_ratio=decrease"
    shot = f"{fit},pad={width}:{height}:(ow-iw)/2:(oh-ih)/2"
    parts = "".join(f"[{i}:v]{shot},fps=25,setsar=1[v{i}];" for i in range(len(CLIPS)))
    joined = "".join(f"[v{i}]" for i in range(len(CLIPS)))
    graph = f"{parts}{joined}concat=n={len(CLIPS)}:v=1:a=0,loop=loop=2:size=32767,trim=duration=60[v]"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264",
         "-preset", "veryfast", "-crf", "20", str(out)],
        check=True,
    )  # fmt: skip
    return out


def analysis_cost(video: Path, folder: Path) -> tuple[float, float, int]:
    """(wall seconds, child CPU seconds, frames) of `ensure_track` on a video, from scratch."""
    stat = video.stat()
    project = Project(
        "bench",
        media=MediaInfo(str(video), 60.0, has_video=True, size_bytes=stat.st_size, mtime=stat.st_mtime),
        settings=Settings(),
    )  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    track = ensure_track(folder, project)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, track.frame_count


def dub_seconds(media: Path, out: Path, *extra: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dubstudio", "dub", str(media), "--to", "es", "--out", str(out), *extra],
        check=True, capture_output=True, cwd=REPO,
    )  # fmt: skip
    return time.perf_counter() - started


def measure_detector(folder: Path) -> None:
    total = Agreement(0, 0, 0)
    for clip in CLIPS:
        notes = json.loads((FACES / (Path(clip).stem + ".mouths.json")).read_text())
        stat = (FACES / clip).stat()
        media = MediaInfo(
            str(FACES / clip),
            notes["durationS"],
            has_video=True,
            size_bytes=stat.st_size,
            mtime=stat.st_mtime,
        )
        track = ensure_track(folder / clip, Project("a", media=media))
        result = agreement(mouth_activity(track), notes["moving"], notes["unsure"])
        total += result
        print(f"  {clip:<28} precision {result.precision:.2f}  recall {result.recall:.2f}")
    print(f"agreement, moving-mouth time: precision {total.precision:.2f}, recall {total.recall:.2f}")
    for width, height in ((640, 360), (1280, 720)):
        video = minute_of_video(folder, width, height)
        wall, cpu, frames = analysis_cost(video, folder / f"cost-{width}")
        print(
            f"mouth activity, 1 min of {width}x{height} at 10 fps ({frames} frames): {wall:.1f} s wall, "
            f"{cpu:.1f} s CPU of the child (real-time factor {wall / 60:.2f} wall, {cpu / 60:.2f} CPU)"
        )


def measure_dub(folder: Path, media: Path, extra: list[str]) -> None:
    """Without, with, with, without (each in a fresh folder), so a load that drifts evens out."""
    times: dict[bool, list[float]] = {False: [], True: []}
    for run, lipsync in enumerate((False, True, True, False)):
        flags = [*extra] if lipsync else [*extra, "--no-lipsync"]
        times[lipsync].append(dub_seconds(media, folder / f"dub-{run}", *flags))
    without, with_mouths = (sum(times[k]) / 2 for k in (False, True))
    print(
        f"dubstudio dub on {media.name}: {without:.1f} s without lip-sync assist, "
        f"{with_mouths:.1f} s with it (ratio {with_mouths / without:.2f}; "
        f"runs {[round(t, 1) for t in times[False]]} / {[round(t, 1) for t in times[True]]})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-dub", action="store_true", help="only the analysis cost and agreement")
    parser.add_argument("--only-dub", action="store_true", help="only the dub with and without lip sync")
    parser.add_argument(
        "--media", type=Path, default=SAMPLE, help="what to dub (default: the bundled sample)"
    )
    parser.add_argument("--subtitles", type=Path, help="its transcript (the recogniser is then skipped)")
    args = parser.parse_args()
    extra = ["--subtitles", str(args.subtitles), "--from", "en"] if args.subtitles else []
    with tempfile.TemporaryDirectory() as scratch:
        if not args.only_dub:
            measure_detector(Path(scratch))
        if not args.skip_dub:
            measure_dub(Path(scratch), args.media, extra)


if __name__ == "__main__":
    main()
