"""Preview audio for the editor's player: the current takes on the timeline (dub) and over the
ducked original (mix). Unlike the export it skips loudness mastering, so it is quick to redo after
edits. The mix is the export's (`pipeline.mix`): the same placement and ducking."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dubstudio.core.media import load_wav, source_wav_path, write_wav
from dubstudio.core.progress import CancelToken, ProgressCallback, stage_reporter
from dubstudio.core.project import Project
from dubstudio.pipeline.mix import duck_gain, load_clips, place_clips

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
) -> tuple[Path, Path]:
    """Write `dub.wav` and `mix.wav` into the project's `PREVIEW_DIR`; returns their paths."""
    report = stage_reporter(progress, "preview")
    report(0.0, "loading audio")
    source, rate = load_wav(source_wav_path(project_dir))
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
    out_dir = project_dir / PREVIEW_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    dub_path, mix_path = out_dir / "dub.wav", out_dir / "mix.wav"
    write_wav(dub_path, np.clip(dub, -1.0, 1.0), rate)
    write_wav(mix_path, mix, rate)
    report(1.0, "preview ready")
    return dub_path, mix_path
