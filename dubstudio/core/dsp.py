"""Speech DSP used to fit synthesized clips into their slots: trim, time-stretch, pitch shift, F0.

All functions take and return mono float32 numpy arrays with an explicit sample rate and never
touch files. Time-stretching is a WSOLA (waveform-similarity overlap-add) written here: for speech
it keeps the pitch and avoids the "phasiness" of a phase vocoder, with no native dependency.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

#: a frame is "silent" when its RMS is this far below the loudest frame of the clip
SILENCE_DB = -40.0
_FADE_SECONDS = 0.01


def as_mono_float(audio: np.ndarray) -> np.ndarray:
    """Float32 mono in [-1, 1], whatever came in (int16, stereo, float64)."""
    data = np.asarray(audio)
    if data.dtype.kind in "iu":
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max)
    if data.ndim == 2:
        data = data.mean(axis=1)
    return np.ascontiguousarray(data, dtype=np.float32)


def trim_silence(
    audio: np.ndarray, sample_rate: int, *, threshold_db: float = SILENCE_DB, keep: float = 0.03
) -> np.ndarray:
    """Drop leading/trailing silence, keeping `keep` seconds of margin so consonants are not clipped."""
    if audio.size == 0:
        return audio
    frame = max(1, int(0.01 * sample_rate))
    frames = audio[: len(audio) // frame * frame].reshape(-1, frame) if len(audio) >= frame else audio[None]
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    peak = float(rms.max())
    if peak <= 1e-6:
        return audio[:0]
    loud = np.flatnonzero(rms > peak * 10 ** (threshold_db / 20))
    margin = int(keep * sample_rate)
    start = max(0, loud[0] * frame - margin)
    end = min(len(audio), (loud[-1] + 1) * frame + margin)
    return audio[start:end]


def fade_edges(audio: np.ndarray, sample_rate: int, seconds: float = _FADE_SECONDS) -> np.ndarray:
    """Short linear fades so a cut never clicks."""
    length = min(len(audio) // 2, int(seconds * sample_rate))
    if length <= 0:
        return audio
    out = audio.copy()
    ramp = np.linspace(0.0, 1.0, length, dtype=np.float32)
    out[:length] *= ramp
    out[-length:] *= ramp[::-1]
    return out


def pad_to(audio: np.ndarray, length: int) -> np.ndarray:
    """Append silence up to `length` samples (never shortens)."""
    if len(audio) >= length:
        return audio
    return np.concatenate([audio, np.zeros(length - len(audio), dtype=np.float32)])


def time_stretch(audio: np.ndarray, sample_rate: int, factor: float) -> np.ndarray:
    """Play `factor` times faster (factor > 1 shortens) without changing the pitch (WSOLA).

    Frames of 32 ms are overlap-added with a Hann window at half-frame hops; each next input frame
    is searched within ±10 ms of its nominal position for the best match with the natural
    continuation of the previous one, which keeps pitch periods aligned.
    """
    if factor <= 0:
        raise ValueError(f"time-stretch factor must be positive, got {factor}")
    audio = as_mono_float(audio)
    if abs(factor - 1.0) < 1e-3 or audio.size == 0:
        return audio.copy()
    frame = 2 * (int(0.032 * sample_rate) // 2)
    hop_out = frame // 2
    hop_in = hop_out * factor
    tolerance = int(0.010 * sample_rate)
    window = np.hanning(frame + 1)[:-1].astype(np.float32)  # periodic: sums to 1 at half overlap
    out_length = round(len(audio) / factor)
    frames = out_length // hop_out + 3
    front = hop_out + tolerance
    back = frame + tolerance + math.ceil(frames * hop_in) - len(audio) + frame
    padded = np.pad(audio, (front, max(back, 0)))
    out = np.zeros(frames * hop_out + frame, dtype=np.float32)
    previous = -1
    for index in range(frames):
        nominal = round(index * hop_in) + tolerance
        if previous < 0:
            chosen = nominal
        else:
            natural = padded[previous + hop_out : previous + hop_out + frame]
            region = padded[nominal - tolerance : nominal + tolerance + frame]
            similarity = np.correlate(region, natural, mode="valid")
            chosen = nominal - tolerance + int(np.argmax(similarity))
        out[index * hop_out : index * hop_out + frame] += padded[chosen : chosen + frame] * window
        previous = chosen
    return out[hop_out : hop_out + out_length]


def resample(audio: np.ndarray, source_rate: float, target_rate: float) -> np.ndarray:
    """Band-limited polyphase resampling between any two rates (ratios approximated to 1/1000)."""
    audio = as_mono_float(audio)
    if source_rate == target_rate or audio.size == 0:
        return audio.copy()
    ratio = Fraction(target_rate / source_rate).limit_denominator(1000)
    return resample_poly(audio, ratio.numerator, ratio.denominator).astype(np.float32)


def pitch_shift(audio: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """Shift pitch by `semitones` keeping the duration: stretch by the ratio, then resample back."""
    if abs(semitones) < 0.01:
        return as_mono_float(audio).copy()
    ratio = 2.0 ** (semitones / 12.0)
    longer = time_stretch(audio, sample_rate, 1.0 / ratio)
    shifted = resample(longer, sample_rate * ratio, sample_rate)
    return shifted[: len(audio)] if len(shifted) > len(audio) else pad_to(shifted, len(audio))


def median_f0(
    audio: np.ndarray, sample_rate: int, *, fmin: float = 60.0, fmax: float = 420.0
) -> float | None:
    """Median fundamental frequency of the voiced frames (probabilistic YIN), or None if unvoiced."""
    import librosa  # heavy import, only needed when measuring

    audio = as_mono_float(audio)
    analysis_rate = 16_000
    audio = resample(audio, sample_rate, analysis_rate)
    if len(audio) < analysis_rate // 4:
        return None
    # quarter-semitone bins: plenty for voice matching and much faster than the default 0.1
    # (half-semitone bins lose the voicing decision of low male voices)
    f0, voiced, _ = librosa.pyin(
        audio, fmin=fmin, fmax=fmax, sr=analysis_rate, frame_length=1024, hop_length=256, resolution=0.25
    )
    values = f0[voiced & np.isfinite(f0)]
    return float(np.median(values)) if values.size >= 5 else None


def semitones_between(source_hz: float, target_hz: float) -> float:
    return 12.0 * math.log2(target_hz / source_hz)
