"""Speech DSP used to fit synthesized clips into their slots: trim, time-stretch, pitch shift, F0.

All functions take and return mono float32 numpy arrays with an explicit sample rate and never
touch files. Time-stretching is a WSOLA (waveform-similarity overlap-add) written here: for speech
it keeps the pitch and avoids the "phasiness" of a phase vocoder, with no native dependency.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

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


def shorten_pauses(
    audio: np.ndarray,
    sample_rate: int,
    *,
    longest: float = 0.25,
    threshold_db: float = SILENCE_DB,
    crossfade: float = 0.01,
) -> np.ndarray:
    """Internal silences longer than `longest` seconds cut down to it (crossfaded, no click).

    Speech keeps its words and their pace; only the air between clauses gets shorter. Silence is
    a 10 ms frame `threshold_db` below the loudest one, as for `trim_silence`.
    """
    if audio.size == 0:
        return audio
    frame = max(1, int(0.01 * sample_rate))
    count = len(audio) // frame
    if count < 3:
        return audio
    rms = np.sqrt(np.mean(audio[: count * frame].astype(np.float64).reshape(count, frame) ** 2, axis=1))
    quiet = rms <= rms.max() * 10 ** (threshold_db / 20)
    keep_frames = max(1, round(longest / 0.01))
    pieces, cursor, index = [], 0, 0
    fade = max(1, int(crossfade * sample_rate))
    while index < count:
        if not quiet[index]:
            index += 1
            continue
        run_end = index
        while run_end < count and quiet[run_end]:
            run_end += 1
        internal = index > 0 and run_end < count
        if internal and run_end - index > keep_frames:
            half = keep_frames // 2
            cut_from, cut_to = (index + half) * frame, (run_end - (keep_frames - half)) * frame
            pieces.append(audio[cursor:cut_from])
            cursor = cut_to
        index = run_end
    if not pieces:
        return audio
    pieces.append(audio[cursor:])
    out = pieces[0].astype(np.float32)
    for piece in pieces[1:]:
        length = min(fade, len(out), len(piece))
        ramp = np.linspace(0.0, 1.0, length, dtype=np.float32)
        joint = out[len(out) - length :] * ramp[::-1] + piece[:length] * ramp
        out = np.concatenate([out[: len(out) - length], joint, piece[length:]]).astype(np.float32)
    return out


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


def _resampling_ratio(source_rate: float, target_rate: float) -> Fraction:
    return Fraction(target_rate / source_rate).limit_denominator(1000)


def resample(audio: np.ndarray, source_rate: float, target_rate: float) -> np.ndarray:
    """Band-limited polyphase resampling between any two rates (ratios approximated to 1/1000)."""
    audio = as_mono_float(audio)
    if source_rate == target_rate or audio.size == 0:
        return audio.copy()
    # imported here: scipy.signal takes 1.6 s, and every process imports this module (a CLI
    # answering "no such file" never resamples)
    from scipy.signal import resample_poly

    ratio = _resampling_ratio(source_rate, target_rate)
    return resample_poly(audio, ratio.numerator, ratio.denominator).astype(np.float32)


def resampled_length(frames: int, source_rate: float, target_rate: float) -> int:
    """How many samples `resample` makes of `frames` samples (without reading them)."""
    if source_rate == target_rate:
        return frames
    ratio = _resampling_ratio(source_rate, target_rate)
    return -(-frames * ratio.numerator // ratio.denominator)


def pitch_shift(audio: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """Shift pitch by `semitones` keeping the duration: stretch by the ratio, then resample back."""
    if abs(semitones) < 0.01:
        return as_mono_float(audio).copy()
    ratio = 2.0 ** (semitones / 12.0)
    longer = time_stretch(audio, sample_rate, 1.0 / ratio)
    shifted = resample(longer, sample_rate * ratio, sample_rate)
    return shifted[: len(audio)] if len(shifted) > len(audio) else pad_to(shifted, len(audio))


def f0_track(
    audio: np.ndarray,
    sample_rate: int,
    *,
    fmin: float = 60.0,
    fmax: float = 420.0,
    threshold: float = 0.2,
    silence_db: float = -35.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(F0 in Hz, voiced) per 10 ms frame: YIN over 40 ms frames, vectorised with FFTs.

    A frame is voiced when its cumulative-mean-normalised difference dips below `threshold` (a
    clearly periodic frame) and it is no more than `silence_db` below the loudest frame. About 100×
    faster than probabilistic YIN, so a speaker's every voiced frame can be used, not a sample.
    """
    audio = resample(as_mono_float(audio), sample_rate, 16_000).astype(np.float64)
    rate = 16_000
    frame, hop = int(0.04 * rate), int(0.01 * rate)
    if len(audio) < frame + hop:
        return np.zeros(0), np.zeros(0, dtype=bool)
    count = 1 + (len(audio) - frame) // hop
    frames = audio[np.arange(frame)[None, :] + hop * np.arange(count)[:, None]]
    frames -= frames.mean(axis=1, keepdims=True)
    tau_max, tau_min = min(int(rate / fmin) + 1, frame // 2), max(2, int(rate / fmax))
    window = frame - tau_max
    size = 1 << math.ceil(math.log2(frame + tau_max))
    spectrum = np.fft.rfft(frames, size, axis=1)
    head = np.fft.rfft(frames[:, :window], size, axis=1)
    cross = np.fft.irfft(np.conj(head) * spectrum, size, axis=1)[:, : tau_max + 1]
    energy = np.concatenate([np.zeros((count, 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(tau_max + 1)
    difference = energy[:, [window]] + (energy[:, lags + window] - energy[:, lags]) - 2 * cross
    running = np.cumsum(difference[:, 1:], axis=1) / np.arange(1, tau_max + 1)
    normalised = difference[:, 1:] / np.maximum(running, 1e-12)  # index i is lag i + 1
    search = normalised[:, tau_min - 1 : tau_max - 1]
    below = search < threshold
    lag = np.where(below.any(axis=1), below.argmax(axis=1), search.argmin(axis=1))
    rows = np.arange(count)
    for _ in range(search.shape[1]):  # walk down from the first dip to its local minimum
        step = np.minimum(lag + 1, search.shape[1] - 1)
        better = search[rows, step] < search[rows, lag]
        if not better.any():
            break
        lag = np.where(better, step, lag)
    centre = np.clip(lag, 1, search.shape[1] - 2)
    left, middle, right = search[rows, centre - 1], search[rows, centre], search[rows, centre + 1]
    curvature = left - 2 * middle + right
    offset = np.divide(0.5 * (left - right), curvature, out=np.zeros(count), where=np.abs(curvature) > 1e-12)
    period = tau_min + centre + np.clip(offset, -1, 1)
    loudness = np.sqrt(np.mean(frames**2, axis=1))
    loud = loudness > loudness.max() * 10 ** (silence_db / 20)
    return rate / period, (search[rows, lag] < threshold) & loud


def median_f0(
    audio: np.ndarray, sample_rate: int, *, fmin: float = 60.0, fmax: float = 420.0
) -> float | None:
    """Median fundamental frequency of the voiced frames, or None with under 0.1 s of them."""
    f0, voiced = f0_track(audio, sample_rate, fmin=fmin, fmax=fmax)
    values = f0[voiced]
    return round(float(np.median(values)), 1) if values.size >= 10 else None


def formant_spacing(audio: np.ndarray, sample_rate: int, *, max_frames: int = 400) -> float | None:
    """Median apparent formant spacing in Hz over the voiced frames (None without enough of them).

    The first four formants of a uniform tube sit at (2i - 1)/2 · ΔF with ΔF = c / (2 · vocal tract
    length), so ΔF measures the vocal tract: about 1000 Hz for adult men, 1100–1200 Hz for women,
    whatever the pitch. Formants are the LPC poles (order 18 at 16 kHz) of 25 ms voiced frames.
    """
    from scipy.linalg import solve_toeplitz

    audio = resample(as_mono_float(audio), sample_rate, 16_000).astype(np.float64)
    rate, order, length, hop = 16_000, 18, 400, 160
    _f0, voiced = f0_track(audio, rate)
    emphasised = np.append(audio[:1], audio[1:] - 0.97 * audio[:-1])
    chosen = np.flatnonzero(voiced)
    if chosen.size > max_frames:
        chosen = chosen[np.linspace(0, chosen.size - 1, max_frames).astype(int)]
    window = np.hamming(length)
    estimates = []
    for index in chosen:
        start = index * hop + 120  # the middle 25 ms of the 40 ms pitch frame
        piece = emphasised[start : start + length]
        if len(piece) < length:
            continue
        piece = piece * window
        correlation = np.correlate(piece, piece, "full")[length - 1 : length + order]
        if correlation[0] <= 1e-12:
            continue
        correlation[0] *= 1.0001  # a little white noise keeps the system well conditioned
        coefficients = solve_toeplitz(correlation[:order], -correlation[1 : order + 1])
        roots = np.roots(np.concatenate([[1.0], coefficients]))
        roots = roots[np.imag(roots) > 0]
        frequencies = np.angle(roots) * rate / (2 * np.pi)
        bandwidths = -np.log(np.abs(roots)) * rate / np.pi
        formants = np.sort(frequencies[(bandwidths < 400) & (frequencies > 200) & (frequencies < 5000)])
        if len(formants) >= 4:
            odd = 2 * np.arange(1, 5) - 1
            estimates.append(2 * float(np.sum(formants[:4] * odd)) / float(np.sum(odd * odd)))
    return round(float(np.median(estimates)), 1) if len(estimates) >= 20 else None


def semitones_between(source_hz: float, target_hz: float) -> float:
    return 12.0 * math.log2(target_hz / source_hz)
