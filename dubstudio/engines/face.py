"""Face landmarks: the faces in one video frame and how open each one's mouth is.

The Protocol lives here with its one implementation (the other engine kinds are in `base.py`) so the
lip-sync assist stays one optional piece: `mediapipe` is the `lipsync` extra, not a base dependency.

`MediapipeFaceLandmarker` runs Google's Face Landmarker bundle (`face_landmarker.task`: a short-range
face detector, 478 landmarks, 52 blendshapes) in the Tasks API's IMAGE mode, so any crop of a frame
can be given (the mouth-activity job looks again around a small face it lost, see
`pipeline/mouths.py`). Two mouth measures come out per face: the `jawOpen` blendshape (0–1, the
model's own estimate) and the inner-lip gap measured on the landmarks, as a fraction of the face's
height (forehead to chin), which does not depend on the face's size in the picture.

Importing mediapipe also imports OpenCV, whose wheel points Qt at its own plugins: load this engine
in a child process (as the mouth-activity job does), never in the editor's own process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from dubstudio.core.errors import ModelMissingError

#: Face Landmarker mesh indices: inner lip, upper and lower (middle); forehead top and chin
UPPER_INNER_LIP, LOWER_INNER_LIP, FOREHEAD, CHIN = 13, 14, 10, 152
MODEL_ID = "face-landmarker"
MODEL_FILE = "face_landmarker.task"


@dataclass(frozen=True)
class FaceObservation:
    """One face in an image: its landmark bounding box in the image's pixels, and its mouth."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    jaw_open: float  # the jawOpen blendshape, 0 (closed) – 1 (wide open)
    lip_gap: float  # inner-lip distance / face height: about 0 closed, 0.05–0.25 speaking

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


class FaceLandmarker(Protocol):
    name: str

    def detect(self, rgb: np.ndarray) -> list[FaceObservation]:
        """The faces in an RGB uint8 image (height × width × 3)."""
        ...

    def close(self) -> None: ...


class MediapipeFaceLandmarker:
    """Google MediaPipe Face Landmarker (Tasks API, CPU, XNNPACK)."""

    name = "mediapipe-face-landmarker"

    def __init__(self, model_path: Path, *, max_faces: int = 4, min_confidence: float = 0.5) -> None:
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as error:
            raise ModelMissingError(
                f"the face-landmark engine needs the Python package mediapipe ({error})",
                fix="Install it with pip install 'dubstudio[lipsync]', or from the Models dialog "
                "(or 'dubstudio models install face-landmarker --packages').",
            ) from None
        if not Path(model_path).is_file():
            raise ModelMissingError(
                "the face-landmark model file is missing",
                path=model_path,
                fix=f"Run 'dubstudio models install {MODEL_ID}'.",
            )
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.IMAGE,
            num_faces=max_faces,
            output_face_blendshapes=True,
            min_face_detection_confidence=min_confidence,
            min_face_presence_confidence=min_confidence,
        )
        self._mp = mp
        self._landmarker = vision.FaceLandmarker.create_from_options(options)

    def detect(self, rgb: np.ndarray) -> list[FaceObservation]:
        height, width = rgb.shape[:2]
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        result = self._landmarker.detect(image)
        faces = []
        for index, landmarks in enumerate(result.face_landmarks):
            xs = np.array([point.x for point in landmarks]) * width
            ys = np.array([point.y for point in landmarks]) * height
            face_height = float(np.hypot(xs[CHIN] - xs[FOREHEAD], ys[CHIN] - ys[FOREHEAD]))
            gap = float(
                np.hypot(xs[LOWER_INNER_LIP] - xs[UPPER_INNER_LIP], ys[LOWER_INNER_LIP] - ys[UPPER_INNER_LIP])
            )
            shapes = result.face_blendshapes[index] if result.face_blendshapes else []
            jaw = next((c.score for c in shapes if c.category_name == "jawOpen"), 0.0)
            faces.append(
                FaceObservation(
                    box=(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())),
                    jaw_open=float(jaw),
                    lip_gap=gap / face_height if face_height > 0 else 0.0,
                )
            )
        return faces

    def close(self) -> None:
        landmarker, self._landmarker = self._landmarker, None
        if landmarker is not None:
            landmarker.close()

    def __enter__(self) -> MediapipeFaceLandmarker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def default_landmarker() -> MediapipeFaceLandmarker:
    """The installed face-landmarker model pack on mediapipe (ModelMissingError says how to get them)."""
    from dubstudio.models.paths import model_dir

    return MediapipeFaceLandmarker(model_dir(MODEL_ID) / MODEL_FILE)
