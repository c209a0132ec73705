"""The mouth-activity job as the pipeline and the CLI use it: cache keyed by the video, reasons it
cannot run, cancel, the face picture; and `dubstudio dub` on a real scene with the lip-sync flags."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import pytest
from lipsync_media import FACES, dub

from dubstudio.core.errors import Cancelled, UserError
from dubstudio.core.project import MediaInfo, Project, Settings
from dubstudio.core.store import load_project
from dubstudio.pipeline.mouths import (
    STAGE,
    BackgroundMouths,
    current_activity,
    ensure_track,
    face_crop_png,
    load_track,
    probe_video,
    track_key,
    unavailable_reason,
)


def _project(video: Path, **settings) -> Project:
    stat = video.stat()
    media = MediaInfo(str(video), 4.0, has_video=True, size_bytes=stat.st_size, mtime=stat.st_mtime)
    return Project("t", media=media, settings=Settings(**settings))


def test_reasons_it_does_not_run(tmp_path):
    video = FACES / "carphone_pristine.mp4"
    assert unavailable_reason(_project(video)) == ""
    assert "off" in unavailable_reason(_project(video, lipsync=False))
    audio_only = _project(video)
    audio_only.media = dataclasses.replace(audio_only.media, has_video=False)
    assert "no video" in unavailable_reason(audio_only)
    assert load_track(tmp_path, audio_only) is None and current_activity(tmp_path, audio_only) is None
    with pytest.raises(UserError, match="cannot run: the media has no video"):
        ensure_track(tmp_path, audio_only)
    with pytest.raises(ValueError, match="mouthFps"):
        Settings(mouth_fps=0.2)


def test_the_size_of_a_rotated_or_large_video_is_what_is_shown():
    stream = probe_video(FACES / "movie-hello.mp4")
    assert (stream.width, stream.height) == (1280, 720) and stream.duration == pytest.approx(8.33, abs=0.05)


@pytest.mark.slow
def test_the_track_is_cached_per_video_and_frame_rate(tmp_path):
    video = FACES / "carphone_pristine.mp4"
    project = _project(video)
    track = ensure_track(tmp_path, project)
    assert track.frame_count == 40 and track.faces and track.engine == "mediapipe-face-landmarker"
    assert (tmp_path / "cache" / STAGE / f"{track_key(project)}.json").is_file()
    started = time.perf_counter()
    assert ensure_track(tmp_path, project) == track  # from the cache: no child process, no model
    assert time.perf_counter() - started < 1.0
    assert current_activity(tmp_path, project).moving.any()
    slower = _project(video, mouth_fps=5.0)
    assert track_key(slower) != track_key(project) and load_track(tmp_path, slower) is None
    # a damaged entry is analyzed again, never trusted
    (tmp_path / "cache" / STAGE / f"{track_key(project)}.json").write_text('{"fps": "x"}')
    assert load_track(tmp_path, project) is None


@pytest.mark.slow
def test_a_cancel_stops_the_analysis(tmp_path):
    jobs: list[BackgroundMouths] = []

    def cancel_once_started(event) -> None:
        if event.fraction > 0.05:
            jobs[0].cancel.cancel()

    project = _project(FACES / "WolfgangLanger_Pexels.mp4")
    jobs.append(BackgroundMouths(tmp_path, project, cancel_once_started))
    job = jobs[0]
    assert job.skipped == ""
    assert job.wait() is None and isinstance(job.error, Cancelled)
    assert load_track(tmp_path, project) is None


def test_the_face_picture_is_a_png_of_the_box():
    png = face_crop_png(FACES / "movie.avi", 1.0, (0.2, 0.1, 0.8, 0.9), size=96)
    assert png.startswith(b"\x89PNG")
    with pytest.raises(UserError, match="no picture"):
        face_crop_png(FACES / "missing.mp4", 1.0, (0.2, 0.1, 0.8, 0.9))


# ---- `dubstudio dub` on a scene: a talking face, a shot without a face, a still grin ---------------
@pytest.mark.slow
def test_dub_flags_the_scene_and_counts_the_flags(dubbed_scene):
    out, result = dubbed_scene
    project = load_project(out)
    codes = [
        sorted(i.code for i in s.open_issues if i.code in ("offscreen", "lipsync_mismatch"))
        for s in project.segments
    ]
    # 1: the man's mouth goes on after the short Spanish line; 2: no face; 3: a dub over a still grin
    assert codes == [["lipsync_mismatch"], ["offscreen"], ["lipsync_mismatch"]]
    assert "still" in next(i for i in project.segments[2].issues if i.code == "lipsync_mismatch").message
    assert list((out / "cache" / STAGE).glob("*.json"))  # the lane's data
    assert (
        "Lip sync: 2 cues with a face on screen, 1 offscreen (voice-over), 2 lipsync_mismatch."
        in result.stderr
    )
    printed = " ".join(result.stderr.split())  # rich wraps the warnings line at the terminal width
    assert "lipsync_mismatch 2" in printed and "offscreen 1" in printed
    assert "Traceback" not in result.stderr and "W0000" not in result.stderr  # no engine log noise


@pytest.mark.slow
def test_dub_without_lipsync_drops_the_checks(dubbed_scene, scene, tmp_path):
    out = Path(shutil.copytree(dubbed_scene[0], tmp_path / "scene"))
    result = dub(scene.video, "--to", "es", "--no-lipsync", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Lip sync: not checked (lip-sync assist is off in the project settings)." in result.stderr
    project = load_project(out)
    assert not [i for s in project.segments for i in s.issues if i.code in ("offscreen", "lipsync_mismatch")]
    result = dub(scene.video, "--to", "es", "--mouth-fps", "50", "--out", out)
    assert result.returncode == 2 and "--mouth-fps 50.0 is out of range" in result.stderr
