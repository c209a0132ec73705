"""Speaker diarization with pyannote.audio 4, offline by default.

Default: pyannote's own `SpeakerDiarization` pipeline (sliding-window segmentation, per-chunk local
speakers, embeddings per (chunk, speaker), agglomerative clustering, reconstruction), with the
installed segmentation-3.0 model and CAM++ embeddings plugged in instead of the gated hub models.
A user who has an official pipeline on disk sets `pipeline_path` and gets
`pyannote.audio.Pipeline.from_pretrained(pipeline_path)` instead.

Media longer than `chunk_seconds` is diarized window by window; local labels are mapped to global
ones by CAM++ speaker embeddings (`speakers.match_speakers`), never by label order.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dubstudio.core.errors import MediaError, ModelMissingError
from dubstudio.core.progress import CancelToken, ProgressCallback, ProgressEvent
from dubstudio.engines.base import RECOGNITION_RATE, Diarization, SpeakerTurn
from dubstudio.engines.campplus import FRAMES_PER_SECOND, CamPlusEmbedder, fbank
from dubstudio.engines.chunking import quiet_windows
from dubstudio.engines.device import cpu_threads, resolve_device
from dubstudio.engines.speakers import SAME_SPEAKER_SIMILARITY, exclusive_spans, match_speakers, unit
from dubstudio.models.paths import model_dir

# pyannote.audio 4 sends usage metrics to its servers unless told not to; DubStudio runs offline.
os.environ["PYANNOTE_METRICS_ENABLED"] = "false"

from pyannote.audio import Audio, Inference, Model
from pyannote.audio.core.pipeline import Pipeline
from pyannote.audio.pipelines.clustering import AgglomerativeClustering
from pyannote.audio.pipelines.speaker_diarization import SpeakerDiarization
from pyannote.pipeline.parameter import ParamDict, Uniform

#: centroid-linkage distance between unit embeddings (0.8 ≈ cosine 0.68): on the sample call 0.7–0.9
#: all give DER 0.013, while 1.0 merged both callers when the window grew by 50 ms
DEFAULT_CLUSTER_THRESHOLD = 0.8
#: at most this much clean speech per speaker goes into its embedding
_EMBEDDING_SECONDS = 60.0


class CamPlusSpeakerEmbedding:
    """CAM++ behind the interface `SpeakerDiarization` expects of its `_embedding` model.

    Called with (batch, 1, samples) chunks and (batch, frames) speaker masks; returns one embedding
    per item, NaN where the mask holds too little speech (pyannote then leaves that item out).

    These embeddings are most of diarization's time (each second of audio is in ten overlapping
    chunks). The chunks of a batch are embedded on `workers` threads, each running torch on one
    thread of its own: the same operations as one after the other, on every core, without the
    oversubscription that made CAM++ 10× slower with 2 intra-op threads on a busy machine.
    """

    sample_rate = RECOGNITION_RATE
    metric = "cosine"

    def __init__(self, embedder: CamPlusEmbedder, workers: int = 1) -> None:
        self.embedder = embedder
        self.dimension = 192
        self.min_num_samples = embedder.min_frames * RECOGNITION_RATE // FRAMES_PER_SECOND
        self.workers = max(1, workers)

    def __call__(self, waveforms: torch.Tensor, masks: torch.Tensor) -> np.ndarray:
        embeddings = np.full((len(waveforms), self.dimension), np.nan, dtype=np.float32)
        # get_embeddings yields every local speaker of one chunk in a row: one fbank per chunk
        chunks: list[list[int]] = []
        for index, (waveform, mask) in enumerate(zip(waveforms, masks, strict=True)):
            if float(mask.sum()) == 0:
                continue
            if chunks and torch.equal(waveforms[chunks[-1][0]], waveform):
                chunks[-1].append(index)
            else:
                chunks.append([index])

        def embed_chunk(indices: list[int]) -> None:
            features = fbank(waveforms[indices[0]][0])
            for index in indices:
                mask = masks[index]
                frame_mask = mask[
                    (torch.arange(len(features)) * len(mask) // len(features)).clamp(max=len(mask) - 1)
                ]
                selected = features[frame_mask > 0.5]
                if len(selected) >= self.embedder.min_frames:
                    embeddings[index] = self.embedder.embed_features(selected)

        if self.workers == 1 or len(chunks) < 2:
            for indices in chunks:
                embed_chunk(indices)
        else:
            with ThreadPoolExecutor(min(self.workers, len(chunks)), thread_name_prefix="campplus") as pool:
                list(pool.map(embed_chunk, chunks))
        return embeddings


class OfflineSpeakerDiarization(SpeakerDiarization):
    """pyannote's SpeakerDiarization with a given segmentation model and CAM++ embeddings.

    Only the constructor differs: the parent's would fetch embedding and PLDA models from the hub.
    """

    def __init__(
        self,
        segmentation: Model,
        embedding: CamPlusSpeakerEmbedding,
        *,
        segmentation_step: float = 0.1,
        embedding_batch_size: int = 32,
    ) -> None:
        Pipeline.__init__(self)
        self.legacy = False
        self.segmentation_model = segmentation
        self.segmentation_step = segmentation_step
        self.embedding = "campplus"
        self.embedding_batch_size = embedding_batch_size
        self.embedding_exclude_overlap = True
        self.klustering = "AgglomerativeClustering"
        self.der_variant = {"collar": 0.0, "skip_overlap": False}
        duration = segmentation.specifications.duration
        self._segmentation = Inference(
            segmentation,
            duration=duration,
            step=segmentation_step * duration,
            skip_aggregation=True,
            batch_size=8,
        )
        self.segmentation = ParamDict(min_duration_off=Uniform(0.0, 1.0))
        self._embedding = embedding
        self._audio = Audio(sample_rate=RECOGNITION_RATE, mono="downmix")
        self.clustering = AgglomerativeClustering(metric="cosine")
        self._expects_num_speakers = False

    def default_parameters(self) -> dict[str, Any]:
        return {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {
                "method": "centroid",
                "min_cluster_size": 12,
                "threshold": DEFAULT_CLUSTER_THRESHOLD,
            },
        }


def _check_audio(audio: np.ndarray) -> np.ndarray:
    samples = np.asarray(audio)
    if samples.ndim != 1 or not np.issubdtype(samples.dtype, np.floating) or not np.all(np.isfinite(samples)):
        raise MediaError(
            f"diarization needs finite mono float audio, got shape {samples.shape} and type {samples.dtype}",
            fix="Decode the media to 16 kHz mono float32 first.",
        )
    return samples.astype(np.float32, copy=False)


class PyannoteDiarizer:
    """The Diarizer engine. Embeddings in the result are CAM++ for either pipeline, so speakers of
    an earlier run match whichever pipeline produced them.

    `threads` is torch's intra-op thread count while diarizing: both networks are made of many
    small ops, and on a busy 2-core machine CAM++ ran 10x slower with 2 threads than with 1. The
    CAM++ embeddings of the chunks run on `embedding_workers` threads instead (default: the cores
    the other engines use on a CPU, one on a GPU).
    """

    name = "pyannote"

    def __init__(
        self,
        *,
        device: str = "auto",
        pipeline_path: str | Path | None = None,
        chunk_seconds: float = 600.0,
        cluster_threshold: float = DEFAULT_CLUSTER_THRESHOLD,
        match_threshold: float = SAME_SPEAKER_SIMILARITY,
        segmentation_step: float = 0.1,
        threads: int = 1,
        embedding_workers: int | None = None,
    ) -> None:
        self.device = resolve_device(device)
        if embedding_workers is None:
            embedding_workers = cpu_threads() if self.device == "cpu" else 1
        self.threads = threads
        self.chunk_seconds = chunk_seconds
        self.match_threshold = match_threshold
        self.embedder = CamPlusEmbedder(
            model_dir("campplus-sv-zh-en") / "campplus_cn_en_common.pt", self.device
        )
        self.pipeline: Pipeline
        if pipeline_path:
            self.pipeline = self._official_pipeline(Path(pipeline_path))
        else:
            segmentation = Model.from_pretrained(model_dir("pyannote-segmentation-3.0") / "pytorch_model.bin")
            self.pipeline = OfflineSpeakerDiarization(
                segmentation,
                CamPlusSpeakerEmbedding(self.embedder, embedding_workers),
                segmentation_step=segmentation_step,
            )
            parameters = self.pipeline.default_parameters()
            parameters["clustering"]["threshold"] = cluster_threshold
            self.pipeline.instantiate(parameters)
        self.pipeline.to(torch.device(self.device))

    @staticmethod
    def _official_pipeline(path: Path) -> Pipeline:
        if not path.exists():
            raise ModelMissingError(
                "the pyannote pipeline folder or config.yaml does not exist",
                path=path,
                fix="Point the diarization pipeline setting to a downloaded pyannote pipeline, or clear it "
                "to use the built-in offline diarization.",
            )
        pipeline = Pipeline.from_pretrained(path)
        if pipeline is None:
            raise ModelMissingError(
                "pyannote could not load this pipeline (a model it refers to is missing)",
                path=path,
                fix="Download the complete pipeline with all its models, or clear the setting.",
            )
        return pipeline

    def diarize(
        self,
        audio: np.ndarray,
        *,
        min_speakers: int = 0,
        max_speakers: int = 0,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Diarization:
        samples = _check_audio(audio)
        previous_threads = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            return self._diarize(samples, min_speakers, max_speakers, progress, cancel)
        finally:
            torch.set_num_threads(previous_threads)

    def _diarize(
        self,
        samples: np.ndarray,
        min_speakers: int,
        max_speakers: int,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> Diarization:
        windows = quiet_windows(samples, RECOGNITION_RATE, self.chunk_seconds)
        total = max(len(samples), 1)
        embeddings: dict[str, np.ndarray] = {}
        speech_seconds: dict[str, float] = {}
        turns: list[SpeakerTurn] = []
        for start, end in windows:
            if cancel is not None:
                cancel.raise_if_cancelled()
            offset = start / RECOGNITION_RATE
            window = samples[start:end]
            report = _window_reporter(progress, start / total, (end - start) / total)
            local_turns = self._diarize_window(window, min_speakers, max_speakers, report, cancel)
            local_embeddings, local_speech = self.speaker_embeddings(window, local_turns)
            mapping = match_speakers(local_embeddings, embeddings, self.match_threshold)
            for label in sorted({t.speaker for t in local_turns}):
                target = mapping.get(label) or f"SPEAKER_{len(speech_seconds):02d}"
                mapping[label] = target
                if label in local_embeddings:
                    # running speech-weighted mean: long media refines each speaker's voiceprint
                    weight = speech_seconds.get(target, 0.0)
                    previous = embeddings.get(target, np.zeros_like(local_embeddings[label]))
                    embeddings[target] = unit(
                        previous * weight + local_embeddings[label] * local_speech[label]
                    )
                speech_seconds[target] = speech_seconds.get(target, 0.0) + local_speech.get(label, 0.0)
            turns.extend(
                SpeakerTurn(t.start + offset, t.end + offset, mapping[t.speaker] or t.speaker)
                for t in local_turns
            )
            if progress is not None:
                progress(ProgressEvent("diarization", end / total))
        turns.sort(key=lambda t: (t.start, t.end))
        return Diarization(
            turns=turns, embeddings={label: e.astype(np.float32) for label, e in embeddings.items()}
        )

    def _diarize_window(
        self,
        window: np.ndarray,
        min_speakers: int,
        max_speakers: int,
        report: Callable[[float], None],
        cancel: CancelToken | None,
    ) -> list[SpeakerTurn]:
        def hook(
            step: str,
            _artefact: Any,
            file: Any = None,
            total: int | None = None,
            completed: int | None = None,
        ) -> None:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if total and completed is not None:
                # segmentation is quick, the embeddings take most of the time
                share = (0.0, 0.2) if step == "segmentation" else (0.2, 0.8)
                report(share[0] + share[1] * completed / total)

        file = {
            "waveform": torch.from_numpy(window).unsqueeze(0),
            "sample_rate": RECOGNITION_RATE,
            "uri": "media",
        }
        output = self.pipeline(
            file, min_speakers=min_speakers or None, max_speakers=max_speakers or None, hook=hook
        )
        annotation = getattr(output, "speaker_diarization", output)
        return [
            SpeakerTurn(float(segment.start), float(segment.end), str(label))
            for segment, _, label in annotation.itertracks(yield_label=True)
        ]

    def speaker_embeddings(
        self, audio: np.ndarray, turns: list[SpeakerTurn]
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """One CAM++ embedding per speaker from up to a minute of their clean speech, and the
        seconds of clean speech it was computed from."""
        embeddings: dict[str, np.ndarray] = {}
        seconds: dict[str, float] = {}
        for speaker, spans in exclusive_spans(turns).items():
            longest_first = sorted(spans, key=lambda span: span[0] - span[1])
            features, used = [], 0.0
            for span_start, span_end in longest_first:
                if used >= _EMBEDDING_SECONDS:
                    break
                piece = audio[int(span_start * RECOGNITION_RATE) : int(span_end * RECOGNITION_RATE)]
                if len(piece) >= RECOGNITION_RATE // 2:
                    features.append(fbank(piece))
                    used += len(piece) / RECOGNITION_RATE
            if features and sum(len(f) for f in features) >= self.embedder.min_frames:
                embeddings[speaker] = self.embedder.embed_features(torch.cat(features))
                seconds[speaker] = used
        return embeddings, seconds


def _window_reporter(progress: ProgressCallback | None, base: float, span: float) -> Callable[[float], None]:
    """Progress of one window mapped into the whole media; never goes backwards (pyannote's steps
    each count from zero)."""
    reached = [0.0]

    def report(fraction: float) -> None:
        if progress is not None and math.isfinite(fraction):
            reached[0] = max(reached[0], min(1.0, fraction))
            progress(ProgressEvent("diarization", base + span * reached[0]))

    return report
