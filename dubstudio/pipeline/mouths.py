"""The mouth-activity job: faces and mouth openings of the whole video, beside the pipeline.

It reads the video at a modest frame rate (`Settings.mouth_fps`, 10 by default) through ffmpeg
(raw RGB on a pipe: no OpenCV decoding), finds the faces of each frame with the face-landmark engine
and follows them from frame to frame. The result, a `MouthTrack`, is a stage-like output keyed by
the video (path, size, modification time, duration), the frame rate and the analyzer version, and
cached as `cache/mouths/<key>.json`; `stages/lipsync.py` derives everything else from it.

Small faces (a webcam picture inside a screen recording) are below the face detector's reach on the
whole frame, whose input is 128 × 128 pixels. So the frame is also searched in overlapping square
tiles every `SCAN_EVERY_S`, and a face found once is looked for in a crop around its last place in
the next frames (`_FaceFollower`).

The job never holds up the dub: the CLI and the editor run it beside the pipeline, in a child
process at a lower CPU priority (mediapipe's OpenCV must not be imported next to Qt either, see
`engines/face.py`). Whatever arrives after synthesis is picked up by the next validation (and by
synthesis for the cues it changes: `mouth_limits`).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from dubstudio.core.errors import MediaError, ModelMissingError, UserError
from dubstudio.core.progress import CancelToken, ProgressCallback, ignore_progress, stage_reporter
from dubstudio.core.project import Project
from dubstudio.core.schema import SchemaError, from_dict, to_dict
from dubstudio.engines.face import FaceLandmarker, FaceObservation
from dubstudio.pipeline.cache import StageCache, input_hash
from dubstudio.stages.lipsync import FaceTrack, MouthActivity, MouthTrack, mouth_activity, mouth_limits

STAGE = "mouths"
#: bump when the analysis changes what it writes, so cached tracks are redone
ANALYZER_VERSION = 1
#: frames larger than this (longest side, pixels) are scaled down before the search
MAX_FRAME_SIDE = 1280
#: how often the whole frame is searched in tiles for faces too small for the full-frame detector
SCAN_EVERY_S = 1.0
#: tile side as a fraction of the frame's shorter side, and the step between tiles (fraction of a side)
TILE_FRACTION, TILE_STEP = 0.6, 0.7
#: frames smaller than this (shorter side) are not tiled: a face there fills the frame anyway
MIN_SIDE_TO_TILE = 300
#: a face not seen for this long is forgotten (a new one starts a new track)
FORGET_AFTER_S = 0.5
#: a crop around a lost face: this many times its size, at least `MIN_CROP` pixels
CROP_SCALE, MIN_CROP = 2.6, 160
#: two detections are the same face when their boxes overlap this much (intersection over union)
SAME_FACE_IOU = 0.3
#: CPU niceness of the child process that runs the analysis: below the pipeline when both want a
#: core (a third of its weight), yet not starved on a busy machine, where the CLI waits for it at the
#: end (niceness 10 got 2 % of the cores next to other programs, and the dub took 1.5× as long)
CHILD_NICENESS = 5


# ---- reading frames -------------------------------------------------------------------------------
@dataclass(frozen=True)
class VideoStream:
    width: int
    height: int
    duration: float


def probe_video(path: Path) -> VideoStream:
    """The first video stream's displayed size (rotation applied) and the file's duration."""
    command = [
        "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
        "stream=width,height:stream_side_data=rotation:stream_tags=rotate:format=duration",
        "-of", "json", "--", str(path),
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        report = json.loads(result.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        raise MediaError(f"the video could not be read ({error})", path=path) from None
    streams = report.get("streams") or []
    if not streams or not streams[0].get("width"):
        raise MediaError("the file has no video stream", path=path, fix="Mouth activity needs a video.")
    stream = streams[0]
    width, height = int(stream["width"]), int(stream["height"])
    rotations = [d.get("rotation", 0) for d in stream.get("side_data_list", [])]
    rotations.append((stream.get("tags") or {}).get("rotate", 0))
    with contextlib.suppress(TypeError, ValueError):
        if any(abs(int(float(r))) % 180 == 90 for r in rotations):
            width, height = height, width
    duration = float(Fraction((report.get("format") or {}).get("duration", "0") or "0"))
    return VideoStream(width, height, duration)


def _scaled(stream: VideoStream) -> tuple[int, int]:
    scale = min(1.0, MAX_FRAME_SIDE / max(stream.width, stream.height))
    return max(2, round(stream.width * scale / 2) * 2), max(2, round(stream.height * scale / 2) * 2)


def read_frames(path: Path, fps: float, size: tuple[int, int], cancel: CancelToken | None = None):
    """RGB frames (height × width × 3 uint8) at `fps`, decoded by ffmpeg on one thread."""
    width, height = size
    command = [
        "ffmpeg", "-v", "error", "-nostdin", "-threads", "1", "-i", str(path), "-an", "-sn",
        "-vf", f"fps={fps},scale={width}:{height}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
    ]  # fmt: skip
    frame_bytes = width * height * 3
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        while True:
            if cancel is not None and cancel.cancelled:
                cancel.raise_if_cancelled()
            data = process.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            yield np.frombuffer(data, np.uint8).reshape(height, width, 3)
    finally:
        process.kill()
        error = process.stderr.read().decode("utf-8", "replace").strip()
        process.wait()
        process.stdout.close()
        process.stderr.close()
    if process.returncode not in (0, -9) and error:
        raise MediaError(f"the video could not be decoded ({error.splitlines()[-1]})", path=path)


# ---- finding and following faces ------------------------------------------------------------------
def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _shifted(face: FaceObservation, dx: float, dy: float) -> FaceObservation:
    x0, y0, x1, y1 = face.box
    return FaceObservation((x0 + dx, y0 + dy, x1 + dx, y1 + dy), face.jaw_open, face.lip_gap)


def _detect_in(engine: FaceLandmarker, frame: np.ndarray, x: int, y: int, side_x: int, side_y: int):
    crop = frame[y : y + side_y, x : x + side_x]
    return [_shifted(face, x, y) for face in engine.detect(crop)]


def _crop_around(box: tuple[float, ...], width: int, height: int) -> tuple[int, int, int]:
    """A square crop (x, y, side) centred on a face, inside the frame."""
    side = int(min(max(CROP_SCALE * max(box[2] - box[0], box[3] - box[1]), MIN_CROP), width, height))
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x = int(min(max(cx - side / 2, 0), width - side))
    y = int(min(max(cy - side / 2, 0), height - side))
    return x, y, side


def _tiles(width: int, height: int) -> list[tuple[int, int, int]]:
    side = int(min(width, height) * TILE_FRACTION)
    step = side * TILE_STEP
    xs = np.linspace(0, width - side, max(1, int(np.ceil((width - side) / step)) + 1))
    ys = np.linspace(0, height - side, max(1, int(np.ceil((height - side) / step)) + 1))
    return [(int(x), int(y), side) for y in ys for x in xs]


def _unique(faces: list[FaceObservation]) -> list[FaceObservation]:
    """One detection per face (overlapping tiles see the same face twice): the larger box wins."""
    kept: list[FaceObservation] = []
    for face in sorted(faces, key=lambda f: -f.width * f.height):
        if all(_iou(face.box, other.box) < SAME_FACE_IOU for other in kept):
            kept.append(face)
    return kept


@dataclass
class _Followed:
    track: FaceTrack
    box: tuple[float, float, float, float]
    last_frame: int


@dataclass
class _FaceFollower:
    """Finds the faces of consecutive frames and strings them into tracks."""

    engine: FaceLandmarker
    width: int
    height: int
    fps: float
    active: list[_Followed] = field(default_factory=list)
    tracks: list[FaceTrack] = field(default_factory=list)

    def add(self, index: int, frame: np.ndarray) -> None:
        faces = self.engine.detect(frame)
        for followed in self.active:
            if not any(_iou(followed.box, face.box) >= SAME_FACE_IOU for face in faces):
                x, y, side = _crop_around(followed.box, self.width, self.height)
                faces += _detect_in(self.engine, frame, x, y, side, side)
        scan_every = max(1, round(SCAN_EVERY_S * self.fps))
        if index % scan_every == 0 and min(self.width, self.height) >= MIN_SIDE_TO_TILE:
            for x, y, side in _tiles(self.width, self.height):
                faces += _detect_in(self.engine, frame, x, y, side, side)
        self._assign(index, _unique(faces))

    def _assign(self, index: int, faces: list[FaceObservation]) -> None:
        forget = max(1, round(FORGET_AFTER_S * self.fps))
        self.active = [f for f in self.active if index - f.last_frame <= forget]
        free = list(self.active)
        for face in sorted(faces, key=lambda f: -f.width * f.height):
            best = max(free, key=lambda f: _iou(f.box, face.box), default=None)
            if best is not None and _iou(best.box, face.box) > 0.05:
                free.remove(best)
                followed = best
            else:
                followed = _Followed(FaceTrack(id=len(self.tracks)), face.box, index)
                self.tracks.append(followed.track)
                self.active.append(followed)
            followed.box, followed.last_frame = face.box, index
            x0, y0, x1, y1 = face.box
            followed.track.frames.append(index)
            followed.track.boxes.extend(
                round(v, 4) for v in (x0 / self.width, y0 / self.height, x1 / self.width, y1 / self.height)
            )
            followed.track.jaw_open.append(round(face.jaw_open, 4))
            followed.track.lip_gap.append(round(face.lip_gap, 4))


def analyze_video(
    video: Path,
    engine: FaceLandmarker,
    fps: float = 10.0,
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> MouthTrack:
    """Every face of every sampled frame of `video`, with its mouth, as one `MouthTrack`."""
    report = stage_reporter(progress, STAGE)
    stream = probe_video(Path(video))
    width, height = _scaled(stream)
    expected = max(1, int(stream.duration * fps))
    follower = _FaceFollower(engine, width, height, fps)
    count = 0
    for count, frame in enumerate(read_frames(Path(video), fps, (width, height), cancel), start=1):
        follower.add(count - 1, frame)
        if count % 10 == 0:
            report(min(count / expected, 0.99), f"frame {count} of {expected}")
    report(1.0, f"{len(follower.tracks)} faces in {count} frames")
    return MouthTrack(
        fps=fps, frame_count=count, width=width, height=height, engine=engine.name, faces=follower.tracks
    )


# ---- the job: cache, availability, child process -----------------------------------------------------
def track_key(project: Project) -> str:
    media = project.media
    fingerprint = [media.path, media.size_bytes, media.mtime, media.duration] if media else []
    return input_hash(STAGE, fingerprint, project.settings.mouth_fps, ANALYZER_VERSION)


def load_track(project_dir: Path, project: Project) -> MouthTrack | None:
    """The cached track of the project's video at its current settings, if it was analyzed (and
    lip-sync assist is on)."""
    if project.media is None or not project.media.has_video or not project.settings.lipsync:
        return None
    data = StageCache(project_dir).load(STAGE, track_key(project))
    if data is None:
        return None
    try:
        return from_dict(MouthTrack, data)
    except SchemaError:
        return None  # a damaged entry is analyzed again, never trusted


def unavailable_reason(project: Project) -> str:
    """Why mouth activity cannot run for this project ("" when it can)."""
    from dubstudio.models.packages import install_hint, missing_packages
    from dubstudio.models.paths import model_dir

    if not project.settings.lipsync:
        return "lip-sync assist is off in the project settings"
    if project.media is None or not project.media.has_video:
        return "the media has no video"
    needs = missing_packages("face-landmarker")
    if needs:
        return f"it needs {', '.join(needs)} ({install_hint(needs)})"
    try:
        model_dir("face-landmarker")
    except ModelMissingError as error:
        return error.message
    return ""


def analyze_in_child(
    videos: list[str], model_path: str, fps: float, *, progress: ProgressCallback
) -> list[MouthTrack]:
    """The child process's work: lower its priority, load the engine once, analyze each video."""
    from dubstudio.engines.face import MediapipeFaceLandmarker

    with contextlib.suppress(OSError):
        current = os.getpriority(os.PRIO_PROCESS, 0)  # a child of a job thread inherits its niceness
        os.setpriority(os.PRIO_PROCESS, 0, max(current, CHILD_NICENESS))
        # mediapipe's C++ logging writes to stderr past Python; the child reports through its pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    with MediapipeFaceLandmarker(Path(model_path)) as engine:
        return [analyze_video(Path(video), engine, fps, progress=progress) for video in videos]


def ensure_track(
    project_dir: Path,
    project: Project,
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> MouthTrack:
    """The project's mouth track: from the cache, else analyzed in a child process and cached.

    Raises `UserError` when it cannot run (`unavailable_reason`), `Cancelled` on cancel.
    """
    from dubstudio.engines.face import MODEL_FILE, MODEL_ID
    from dubstudio.models.paths import model_dir
    from dubstudio.pipeline.isolation import run_isolated

    cached = load_track(project_dir, project)
    if cached is not None:
        stage_reporter(progress, STAGE)(1.0, "cached")
        return cached
    reason = unavailable_reason(project)
    if reason:
        raise UserError(f"mouth activity cannot run: {reason}")
    assert project.media is not None
    model = model_dir(MODEL_ID) / MODEL_FILE
    args = ([project.media.path], str(model), project.settings.mouth_fps)
    (track,) = run_isolated(analyze_in_child, args, progress=progress, cancel=cancel, name="mouth activity")
    StageCache(project_dir).store(STAGE, track_key(project), to_dict(track))
    return track


class BackgroundMouths:
    """`ensure_track` on a thread of its own, for the CLI: start it, run the pipeline, `wait()`.

    `skipped` says why it did not start ("" when it did); `analyzed` is True when the track was
    computed now rather than found in the cache (then the pipeline has not seen it yet).
    """

    def __init__(self, project_dir: Path, project: Project, progress: ProgressCallback) -> None:
        self.cancel = CancelToken()
        self.track: MouthTrack | None = load_track(project_dir, project)
        self.error: BaseException | None = None
        self.analyzed = False
        self.skipped = "" if self.track is not None else unavailable_reason(project)
        self._thread: threading.Thread | None = None
        if self.track is None and not self.skipped:
            snapshot = copy.deepcopy(project)  # the pipeline goes on changing its own
            self._thread = threading.Thread(
                target=self._run, args=(project_dir, snapshot, progress), name="dubstudio-mouths", daemon=True
            )
            self._thread.start()

    def _run(self, project_dir: Path, project: Project, progress: ProgressCallback) -> None:
        try:
            self.track = ensure_track(project_dir, project, progress=progress, cancel=self.cancel)
            self.analyzed = True
        except Exception as error:  # reported by the caller after the pipeline, never fatal for the dub
            self.error = error

    def wait(self) -> MouthTrack | None:
        if self._thread is not None:
            self._thread.join()
        return self.track

    def stop(self) -> None:
        self.cancel.cancel()
        if self._thread is not None:
            self._thread.join()


# ---- a face picture for the inspector --------------------------------------------------------------
def face_crop_png(
    video: Path, seconds: float, box: tuple[float, float, float, float], size: int = 160
) -> bytes:
    """A PNG of the face at `seconds`: `box` (fractions of the frame) with a margin, `size` px square."""
    x0, y0, x1, y1 = box
    # the face with a margin, as fractions of the frame, kept inside it
    width, height = min(1.0, (x1 - x0) * 1.6), min(1.0, (y1 - y0) * 1.6)
    left = min(max((x0 + x1 - width) / 2, 0.0), 1.0 - width)
    top = min(max((y0 + y1 - height) / 2, 0.0), 1.0 - height)
    crop = f"crop=w='{width:.4f}*iw':h='{height:.4f}*ih':x='{left:.4f}*iw':y='{top:.4f}*ih'"
    command = [
        "ffmpeg", "-v", "error", "-nostdin", "-ss", f"{max(seconds, 0.0):.3f}", "-i", str(video),
        "-frames:v", "1", "-vf", f"{crop},scale={size}:{size}:force_original_aspect_ratio=decrease",
        "-f", "image2pipe", "-vcodec", "png", "-",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, timeout=30, check=False)
    if result.returncode != 0 or not result.stdout:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaError(
            f"no picture at {seconds:.2f} s ({detail[-1] if detail else 'no frame'})", path=video
        )
    return result.stdout


# ---- what the pipeline reads (a cached track, whenever the job has finished) ------------------------
_activity_memo: dict[Path, tuple[int, MouthActivity]] = {}


def current_activity(project_dir: Path, project: Project) -> MouthActivity | None:
    """The mouth activity of the project's video if its track is cached (memoized per cache file)."""
    if project.media is None or not project.media.has_video or not project.settings.lipsync:
        return None
    path = StageCache(project_dir).path(STAGE, track_key(project))
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    memo = _activity_memo.get(path)
    if memo is not None and memo[0] == stamp:
        return memo[1]
    track = load_track(project_dir, project)
    if track is None:
        return None
    activity = mouth_activity(track)
    _activity_memo.clear()  # one project's video at a time is plenty
    _activity_memo[path] = (stamp, activity)
    return activity


def current_mouth_limits(project_dir: Path, project: Project) -> dict[str, float]:
    """Per on-screen cue, when its dub should end (empty until the video's mouths are known)."""
    activity = current_activity(project_dir, project)
    return mouth_limits(project.segments, activity) if activity is not None else {}
