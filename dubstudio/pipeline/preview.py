"""Preview audio for the editor's player: the current takes on the timeline (dub) and over the
ducked original (mix). Unlike the export it skips loudness mastering, so it is quick to redo after
edits. The mix is the export's (`pipeline.mix.mix_blocks`): the same placement and ducking, read and
written block by block, so a film's preview needs no more memory than a short one's."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dubstudio.core.media import WavReader, source_wav_path, wav_writer
from dubstudio.core.progress import CancelToken, ProgressCallback, stage_reporter
from dubstudio.core.project import Project
from dubstudio.pipeline.mix import load_clips, mix_blocks
from dubstudio.pipeline.tracks import BLOCK_FRAMES

#: where the preview tracks go, inside the project folder
PREVIEW_DIR = "cache/preview"


def preview_tracks(project_dir: Path) -> dict[str, Path]:
    """The dub and mix tracks to play, by kind ("dub", "mix"): the preview's if rendered, else the
    export's in the project folder; a kind without a file is left out."""
    tracks = {}
    for kind in ("dub", "mix"):
        candidates = (project_dir / PREVIEW_DIR / f"{kind}.wav", project_dir / f"{kind}.wav")
        found = next((path for path in candidates if path.is_file()), None)
        if found is not None:
            tracks[kind] = found
    return tracks


def render_preview(
    project_dir: Path,
    project: Project,
    *,
    progress: ProgressCallback,
    cancel: CancelToken | None,
    block_frames: int = BLOCK_FRAMES,
) -> tuple[Path, Path]:
    """Write `dub.wav` and `mix.wav` into the project's `PREVIEW_DIR`, `block_frames` at a time (the
    result does not depend on it); returns their paths."""
    report = stage_reporter(progress, "preview")
    report(0.0, "loading audio")
    out_dir = project_dir / PREVIEW_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    dub_path, mix_path = out_dir / "dub.wav", out_dir / "mix.wav"
    with WavReader(source_wav_path(project_dir)) as source:
        rate, frames = source.rate, len(source)
        clips = load_clips(project, project_dir, rate)
        blocks = mix_blocks(
            source, rate, clips, keep_background=project.settings.keep_background,
            duck_db=project.settings.duck_db, block_frames=block_frames, cancel=cancel,
        )  # fmt: skip
        channels = 1 if source.ndim == 1 else source.shape[1]
        with (
            wav_writer(dub_path, rate, 1, frames) as write_dub,
            wav_writer(mix_path, rate, channels, frames) as write_mix,
        ):
            for block in blocks:
                report(0.05 + 0.95 * block.start / max(1, frames), "placing takes")
                write_dub(np.clip(block.dub, -1.0, 1.0))
                write_mix(np.clip(block.mix, -1.0, 1.0))
    report(1.0, "preview ready")
    return dub_path, mix_path
