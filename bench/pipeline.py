"""Whole-pipeline real-time factor on the bundled sample (resources/sample/dialogue.mp4).

Creates a fresh project in a temporary folder, runs every stage and the export with the default
settings, and prints each stage's time and the real-time factor (processing time / media duration;
below 1 is faster than real time). Model loading counts, as it does for a user. The first run on a
machine also measures the voice catalog's pitches once (cached afterwards); run twice to see both.
Run: `.venv/bin/python bench/pipeline.py [MEDIA] [--to es]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dubstudio.core.project import Settings  # noqa: E402
from dubstudio.pipeline.orchestrator import Pipeline  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("media", nargs="?", type=Path, default=REPO / "resources" / "sample" / "dialogue.mp4")
    parser.add_argument("--to", default="es")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        pipeline = Pipeline.create(
            args.media,
            Path(folder) / "project",
            source_language=None,
            target_language=args.to,
            settings=Settings(),
        )
        pipeline.run()
        stages_done = time.perf_counter()
        pipeline.export()
        finished = time.perf_counter()
    duration = pipeline.project.media.duration
    total = finished - started
    print(
        f"media: {args.media.name}, {duration:.1f} s, {len(pipeline.project.segments)} cues, "
        f"device {pipeline.engines.device}"
    )
    for stage, ms in pipeline.project.diagnostics.stage_durations_ms.items():
        print(f"  {stage:<14} {ms / 1000:7.1f} s   RTF {ms / 1000 / duration:.2f}")
    export_seconds = finished - stages_done
    print(f"  {'mix + export':<14} {export_seconds:7.1f} s   RTF {export_seconds / duration:.2f}")
    print(f"whole pipeline: {total:.1f} s, real-time factor {total / duration:.2f}")


if __name__ == "__main__":
    main()
