"""Voice QA: how well a catalog voice is understood in a language, measured once per voice.

The voice speaks a fixed set of everyday sentences of the language (`QA_SENTENCES`); the takes are
transcribed back by a fixed judge (faster-whisper base, greedy, temperature 0: deterministic) and
each is scored against its sentence (word error rate; per character where words have no spaces).
The same takes give the voice's median pitch and its speech rate (letters per second at speed 1.0).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from dubstudio.core.dsp import median_f0, resample, trim_silence
from dubstudio.core.languages import base_language
from dubstudio.core.wer import SPACELESS_LANGUAGES, error_counts, word_error_rate
from dubstudio.engines.base import RECOGNITION_RATE, SynthesisRequest, Synthesizer, Voice

#: three short everyday sentences per language: different sounds, no numbers or names
QA_SENTENCES: dict[str, tuple[str, ...]] = {
    "es": (
        "Buenos días, ¿cómo está usted hoy?",
        "Mañana vamos a visitar a mis abuelos en el campo.",
        "Por favor, cierra la ventana antes de salir.",
    ),
    "en": (
        "Good morning, how are you today?",
        "Tomorrow we are going to visit my grandparents in the country.",
        "Please close the window before you leave.",
    ),
    "fr": (
        "Bonjour, comment allez-vous aujourd'hui ?",
        "Demain, nous allons rendre visite à mes grands-parents à la campagne.",
        "S'il vous plaît, fermez la fenêtre avant de partir.",
    ),
    "it": (
        "Buongiorno, come sta oggi?",
        "Domani andiamo a trovare i miei nonni in campagna.",
        "Per favore, chiudi la finestra prima di uscire.",
    ),
    "pt": (
        "Bom dia, como vai você hoje?",
        "Amanhã vamos visitar os meus avós no campo.",
        "Por favor, feche a janela antes de sair.",
    ),
    "de": (
        "Guten Morgen, wie geht es Ihnen heute?",
        "Morgen besuchen wir meine Großeltern auf dem Land.",
        "Bitte schließen Sie das Fenster, bevor Sie gehen.",
    ),
    "hi": (
        "नमस्ते, आज आप कैसे हैं?",
        "कल हम गाँव में अपने दादा-दादी से मिलने जाएँगे।",
        "कृपया जाने से पहले खिड़की बंद कर दीजिए।",
    ),
}
#: sentence for measuring the pitch of a voice in a language without a QA set
PITCH_SENTENCE = "Good morning, how are you today?"
#: bump when a measurement changes (sentences, pitch tracker, judge): stored measurements are redone
MEASUREMENT_REVISION = 3
#: silence between takes packed into one recognition window: Whisper's word times miss by tenths of
#: a second, so each word still lands in its own take
_PACK_GAP_SECONDS = 1.0
#: a pack fills at most one of Whisper's 30 s windows, with room for its own padding
_PACK_SECONDS = 28.0


class VoiceJudge(Protocol):
    """Transcribes takes back; `name` keys the stored measurements (another judge measures again)."""

    name: str

    def hear(self, takes_16k: Sequence[np.ndarray], language: str) -> list[str]: ...


class WhisperJudge:
    """faster-whisper base as the judge: the model the issue's round-trip WER figures use.

    Takes are heard packed with silence between them, one Whisper pass per 30 s window: Whisper
    encodes a whole window whatever it holds, so eight short takes cost what one did (a voice's
    three QA takes: 2.3 s instead of 5.3 s). A take heard alone also loses the context that keeps
    Whisper from looping on a short formant-synthesis phrase (espeak-ng es+f3: WER 9.75 alone, 0.25
    packed); Kokoro's Spanish voices score within one word of 24 either way."""

    name = "whisper-base greedy t0"

    def __init__(self, device: str = "auto") -> None:
        self.device = device
        self._transcriber = None

    def hear(self, takes_16k: Sequence[np.ndarray], language: str) -> list[str]:
        if self._transcriber is None:
            from dubstudio.engines.whisper import FasterWhisperTranscriber

            self._transcriber = FasterWhisperTranscriber(
                "whisper-base", device=self.device, beam_size=1, temperature=0.0, vad=False
            )
        heard: list[list[str]] = [[] for _ in takes_16k]
        for pack in _packs([len(take) for take in takes_16k]):
            audio, spans = _joined([takes_16k[index] for index in pack])
            result = self._transcriber.transcribe(audio, language=language)
            for segment in result.segments:
                for piece in segment.words or [segment]:
                    heard[pack[_nearest(spans, (piece.start + piece.end) / 2)]].append(piece.text)
        joiner = "" if base_language(language) in SPACELESS_LANGUAGES else " "
        return [joiner.join(words).strip() for words in heard]


def _packs(lengths: Sequence[int]) -> list[list[int]]:
    """Consecutive take indices whose takes and gaps fit one window (a longer take goes alone)."""
    limit, gap = _PACK_SECONDS * RECOGNITION_RATE, _PACK_GAP_SECONDS * RECOGNITION_RATE
    packs: list[list[int]] = []
    filled = 0.0
    for index, length in enumerate(lengths):
        if packs and filled + gap + length <= limit:
            packs[-1].append(index)
            filled += gap + length
        else:
            packs.append([index])
            filled = length
    return packs


def _joined(takes: Sequence[np.ndarray]) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The takes one after another with a gap between them, and each take's (start, end) in seconds."""
    gap = np.zeros(round(_PACK_GAP_SECONDS * RECOGNITION_RATE), dtype=np.float32)
    pieces, spans, position = [], [], 0
    for take in takes:
        pieces += [np.asarray(take, dtype=np.float32), gap]
        spans.append((position / RECOGNITION_RATE, (position + len(take)) / RECOGNITION_RATE))
        position += len(take) + len(gap)
    return np.concatenate(pieces[:-1]), spans


def _nearest(spans: Sequence[tuple[float, float]], time: float) -> int:
    """The span holding `time`, else the closest one."""
    return min(range(len(spans)), key=lambda i: max(spans[i][0] - time, time - spans[i][1], 0.0))


@dataclass
class VoiceMeasurement:
    pitch_hz: float | None
    wer: float | None = None
    speech_rate: float | None = None
    heard: list[str] = field(default_factory=list)
    #: the QA takes, trimmed, at 16 kHz (for an embedding; not stored)
    audio_16k: np.ndarray | None = None

    def to_json(self) -> dict:
        return {
            "pitch_hz": self.pitch_hz, "wer": self.wer, "speech_rate": self.speech_rate, "heard": self.heard
        }  # fmt: skip


def _letters(text: str) -> int:
    return len(re.findall(r"\w", text))


def measure_voice(
    voice: Voice,
    synthesizer: Synthesizer,
    language: str,
    judge: VoiceJudge | None,
    on_step: Callable[[float], None] | None = None,
) -> VoiceMeasurement:
    """Speak the language's QA sentences and measure pitch, speech rate and (with a judge) the WER.

    `on_step` hears the fraction done after each synthesis and after the takes are heard (a voice
    takes seconds, a first run measures several)."""
    sentences = QA_SENTENCES.get(language)
    if not sentences:  # no QA set for the language: pitch only, no intelligibility figure
        sentences, judge = (PITCH_SENTENCE,), None
    steps = len(sentences) + (1 if judge is not None else 0)
    done = iter(range(1, steps + 1))

    def step() -> None:
        if on_step is not None:
            on_step(next(done) / steps)

    takes = []
    rate = 0
    for sentence in sentences:
        result = synthesizer.synthesize(SynthesisRequest(sentence, voice, language))
        rate = result.sample_rate
        takes.append(trim_silence(result.audio, result.sample_rate))
        step()
    speech = np.concatenate(takes) if takes else np.zeros(0, dtype=np.float32)
    seconds = sum(len(take) for take in takes) / rate if rate else 0.0
    measurement = VoiceMeasurement(
        pitch_hz=median_f0(speech, rate) if speech.size else None,
        speech_rate=round(sum(_letters(s) for s in sentences) / seconds, 2) if seconds else None,
        audio_16k=resample(speech, rate, RECOGNITION_RATE) if speech.size else None,
    )
    if judge is not None:
        measurement.heard = judge.hear([resample(take, rate, RECOGNITION_RATE) for take in takes], language)
        step()
        measurement.wer = round(word_error_rate(list(sentences), measurement.heard, language), 4)
    return measurement


def round_trip_errors(
    takes: Sequence[tuple[np.ndarray, int, str]], language: str, judge: VoiceJudge
) -> list[tuple[int, int, str]]:
    """Dub takes (audio, sample rate, the text spoken) transcribed back: (word errors, words of the
    text, what the judge heard) per take."""
    heard = judge.hear(
        [resample(trim_silence(audio, rate), rate, RECOGNITION_RATE) for audio, rate, _text in takes],
        language,
    )
    return [
        (*error_counts(text, what, language), what)
        for (_audio, _rate, text), what in zip(takes, heard, strict=True)
    ]
