"""A dubbed project made from real files without running the pipeline: the media, one cue per take
and each take's WAV, as `dubstudio dub` leaves them (the export tests, bench/mix.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import soundfile as sf

from dubstudio.core.media import probe
from dubstudio.core.project import DubClip, Project, Segment, Settings, Speaker
from dubstudio.core.store import create_project_dir, save_project

VOICE = "kokoro:ef_dora"


def write_dubbed_project(
    folder: Path,
    media: Path,
    takes: Iterable[tuple[float, np.ndarray]],
    rate: int,
    *,
    subtype: str = "PCM_16",
) -> Project:
    """A saved project over `media` with a cue and its take (at `rate`) at every `(start, audio)`."""
    project = Project(
        name=media.stem, source_language="en", target_language="es", media=probe(media),
        speakers=[Speaker("S1", "Speaker 1")], settings=Settings(),
    )  # fmt: skip
    create_project_dir(folder, project)
    for index, (start, audio) in enumerate(takes):
        path = folder / "clips" / f"c{index}" / "take-1.wav"
        path.parent.mkdir(parents=True)
        sf.write(path, audio, rate, subtype=subtype)
        begin = round(float(start), 3)
        end = round(begin + len(audio) / rate, 3)
        clip = DubClip(str(path.relative_to(folder)), begin, end, VOICE, "kokoro", "texto")
        project.segments.append(
            Segment(f"c{index}", begin, end, "S1", "text", translated_text="texto", tts_text="texto",
                    tts_language="es", voice_id=VOICE, clip=clip)
        )  # fmt: skip
    save_project(folder, project)
    return project
