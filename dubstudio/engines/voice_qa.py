"""Voice QA: how well a catalog voice is understood in a language, measured once per voice.

The voice speaks a fixed set of everyday sentences of the language (`QA_SENTENCES`); each take is
transcribed back by a fixed judge (faster-whisper base, greedy, temperature 0: deterministic) and
scored against its sentence (word error rate; per character where words have no spaces). The same
takes give the voice's median pitch and its speech rate (letters per second at speed 1.0).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from dubstudio.core.dsp import median_f0, resample, trim_silence
from dubstudio.core.wer import error_counts, word_error_rate
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
#: bump when a measurement changes (sentences, pitch tracker): stored measurements are redone
MEASUREMENT_REVISION = 2


class VoiceJudge(Protocol):
    """Transcribes a take back; `name` keys the stored measurements (another judge measures again)."""

    name: str

    def hear(self, audio_16k: np.ndarray, language: str) -> str: ...


class WhisperJudge:
    """faster-whisper base as the judge: the model the issue's round-trip WER figures use."""

    name = "whisper-base greedy t0"

    def __init__(self, device: str = "auto") -> None:
        self.device = device
        self._transcriber = None

    def hear(self, audio_16k: np.ndarray, language: str) -> str:
        if self._transcriber is None:
            from dubstudio.engines.whisper import FasterWhisperTranscriber

            self._transcriber = FasterWhisperTranscriber(
                "whisper-base", device=self.device, beam_size=1, temperature=0.0, vad=False
            )
        result = self._transcriber.transcribe(audio_16k, language=language)
        return " ".join(segment.text for segment in result.segments).strip()


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

    `on_step` hears the fraction done after each synthesis and each transcription (a voice takes
    seconds, a first run measures several)."""
    sentences = QA_SENTENCES.get(language)
    if not sentences:  # no QA set for the language: pitch only, no intelligibility figure
        sentences, judge = (PITCH_SENTENCE,), None
    steps = len(sentences) * (2 if judge is not None else 1)
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
        measurement.heard = []
        for take in takes:
            measurement.heard.append(judge.hear(resample(take, rate, RECOGNITION_RATE), language))
            step()
        measurement.wer = round(word_error_rate(list(sentences), measurement.heard, language), 4)
    return measurement


def take_errors(
    audio: np.ndarray, sample_rate: int, text: str, language: str, judge: VoiceJudge
) -> tuple[int, int, str]:
    """A dub take transcribed back: (word errors, words of `text`, what the judge heard)."""
    heard = judge.hear(resample(trim_silence(audio, sample_rate), sample_rate, RECOGNITION_RATE), language)
    errors, words = error_counts(text, heard, language)
    return errors, words, heard
