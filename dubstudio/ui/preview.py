"""Preview audio for the player: the current takes on the timeline (dub) and over the ducked
original (mix). Unlike the export it skips loudness mastering, so it is quick to redo after edits.
No Qt here: it runs on a worker thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dubstudio.core.media import MIX_WAV, load_wav, write_wav
from dubstudio.core.progress import CancelToken, ProgressCallback, stage_reporter
from dubstudio.core.project import Project
from dubstudio.pipeline.mix import duck_gain, load_clips, place_clips


def render_preview(
    project_dir: Path,
    project: Project,
    out_dir: Path,
    *,
    progress: ProgressCallback,
    cancel: CancelToken | None,
) -> tuple[Path, Path]:
    """Write `dub.wav` and `mix.wav` into `out_dir`; returns their paths."""
    report = stage_reporter(progress, "preview")
    report(0.0, "loading audio")
    source, rate = load_wav(project_dir / "audio" / MIX_WAV)
    clips = load_clips(project, project_dir, rate)
    if cancel is not None:
        cancel.raise_if_cancelled()
    report(0.4, "placing takes")
    dub = place_clips(clips, source.shape[0])
    gain = duck_gain(clips, source.shape[0], rate, project.settings.duck_db)
    background = (
        source * (gain if source.ndim == 1 else gain[:, None])
        if project.settings.keep_background
        else 0 * source
    )
    mix = np.clip(background + (dub if source.ndim == 1 else dub[:, None]), -1.0, 1.0)
    if cancel is not None:
        cancel.raise_if_cancelled()
    report(0.7, "writing")
    out_dir.mkdir(parents=True, exist_ok=True)
    dub_path, mix_path = out_dir / "dub.wav", out_dir / "mix.wav"
    write_wav(dub_path, np.clip(dub, -1.0, 1.0), rate)
    write_wav(mix_path, mix, rate)
    report(1.0, "preview ready")
    return dub_path, mix_path
