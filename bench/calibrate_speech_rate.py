"""Measure how fast the installed TTS voices speak, per language, and write `stages/speech_rates.json`.

Stage 3 estimates the spoken duration of each dubbing line from these rates to flag lines that will
not fit their slot (`length_overflow`). The rates are measured, not guessed: a fixed set of everyday
dialogue lines per language (the same eight lines in every language) is synthesized at speed 1.0
with the default voices, leading/trailing silence is trimmed, and the rate is characters of text per
second of speech (whitespace collapsed, punctuation counted, as `estimate_duration` counts them).

Engines: espeak-ng (subprocess, default voice of each language) and Kokoro-82M int8 ONNX run
directly with onnxruntime on espeak-ng IPA phonemes, averaged over a female and a male voice.

Run: `.venv/bin/python bench/calibrate_speech_rate.py` (took 18 min on two busy shared cores).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dubstudio.models.paths import model_dir  # noqa: E402
from dubstudio.stages.speech_rate import RATES_PATH, count_spoken_chars  # noqa: E402

SENTENCES: dict[str, list[str]] = {
    "en": [
        "I told you we should have left an hour ago.",
        "Where did you put the keys to the car?",
        "Nobody has been in this house for years.",
        "Listen to me, we don't have much time left.",
        "She called this morning and said she was fine.",
        "If the road is closed, we'll take the bridge.",
        "Do you really think they will come back tonight?",
        "Thank you, but I can find the way myself.",
    ],
    "es": [
        "Te dije que deberíamos habernos ido hace una hora.",
        "¿Dónde pusiste las llaves del coche?",
        "Nadie ha estado en esta casa desde hace años.",
        "Escúchame, no nos queda mucho tiempo.",
        "Llamó esta mañana y dijo que estaba bien.",
        "Si la carretera está cerrada, cogeremos el puente.",
        "¿De verdad crees que volverán esta noche?",
        "Gracias, pero puedo encontrar el camino yo solo.",
    ],
    "fr": [
        "Je t'avais dit qu'on aurait dû partir il y a une heure.",
        "Où as-tu mis les clés de la voiture ?",
        "Personne n'est entré dans cette maison depuis des années.",
        "Écoute-moi, il ne nous reste plus beaucoup de temps.",
        "Elle a appelé ce matin et elle a dit qu'elle allait bien.",
        "Si la route est fermée, on prendra le pont.",
        "Tu crois vraiment qu'ils vont revenir ce soir ?",
        "Merci, mais je peux trouver le chemin tout seul.",
    ],
    "it": [
        "Te l'avevo detto che dovevamo partire un'ora fa.",
        "Dove hai messo le chiavi della macchina?",
        "Nessuno è entrato in questa casa da anni.",
        "Ascoltami, non ci resta molto tempo.",
        "Ha chiamato stamattina e ha detto che stava bene.",
        "Se la strada è chiusa, prenderemo il ponte.",
        "Pensi davvero che torneranno stasera?",
        "Grazie, ma posso trovare la strada da solo.",
    ],
    "pt": [
        "Eu te disse que devíamos ter saído há uma hora.",
        "Onde você colocou as chaves do carro?",
        "Ninguém entra nesta casa há anos.",
        "Me escuta, não temos muito tempo.",
        "Ela ligou hoje de manhã e disse que estava bem.",
        "Se a estrada estiver fechada, pegamos a ponte.",
        "Você acha mesmo que eles vão voltar hoje à noite?",
        "Obrigado, mas eu consigo achar o caminho sozinho.",
    ],
    "de": [
        "Ich habe dir gesagt, wir hätten vor einer Stunde gehen sollen.",
        "Wo hast du die Autoschlüssel hingelegt?",
        "Seit Jahren war niemand mehr in diesem Haus.",
        "Hör mir zu, wir haben nicht mehr viel Zeit.",
        "Sie hat heute Morgen angerufen und gesagt, dass es ihr gut geht.",
        "Wenn die Straße gesperrt ist, nehmen wir die Brücke.",
        "Glaubst du wirklich, dass sie heute Nacht zurückkommen?",
        "Danke, aber ich finde den Weg allein.",
    ],
    "ca": [
        "T'ho vaig dir, que havíem de marxar fa una hora.",
        "On has posat les claus del cotxe?",
        "Ningú no ha entrat en aquesta casa des de fa anys.",
        "Escolta'm, no ens queda gaire temps.",
        "Ha trucat aquest matí i ha dit que estava bé.",
        "Si la carretera està tancada, agafarem el pont.",
        "De debò creus que tornaran aquesta nit?",
        "Gràcies, però puc trobar el camí tot sol.",
    ],
}

#: espeak-ng voice per ISO 639-1 code (Kokoro uses the same phonemizer voices)
ESPEAK_VOICES = {"en": "en-us", "es": "es", "fr": "fr-fr", "it": "it", "pt": "pt-br", "de": "de", "ca": "ca"}
KOKORO_LANGUAGES = ("en", "es", "fr", "it", "pt", "de")
KOKORO_VOICES = ("jf_alpha", "jm_kumo")
KOKORO_RATE = 24_000
SILENCE_DB = -40.0


def speech_seconds(audio: np.ndarray, sample_rate: int) -> float:
    """Duration between the first and last 10 ms frame louder than -40 dBFS (trims edge silence)."""
    frame = sample_rate // 100
    frames = len(audio) // frame
    if frames == 0:
        return 0.0
    rms = np.sqrt(np.mean(audio[: frames * frame].reshape(frames, frame) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(20 * np.log10(rms) > SILENCE_DB)
    return 0.0 if loud.size == 0 else (loud[-1] - loud[0] + 1) * frame / sample_rate


def espeak_audio(text: str, voice: str) -> tuple[np.ndarray, int]:
    wav = subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True).stdout
    audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    return audio, rate


def espeak_ipa(text: str, voice: str) -> str:
    """IPA for `text`, keeping the punctuation Kokoro turns into pauses (espeak drops it)."""
    pieces = re.findall(r"[^.,;:!?¿¡]+|[.,;:!?¿¡]+", text)
    out = []
    for piece in pieces:
        if re.fullmatch(r"[.,;:!?¿¡]+", piece):
            out.append(piece.replace("¿", "").replace("¡", ""))
            continue
        ipa = subprocess.run(
            ["espeak-ng", "-q", "--ipa", "-v", voice, piece], check=True, capture_output=True, text=True
        ).stdout
        out.append(" " + " ".join(ipa.split()))
    return "".join(out).strip()


class Kokoro:
    def __init__(self) -> None:
        import onnxruntime

        folder = model_dir("kokoro-82m-int8")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = onnxruntime.InferenceSession(str(folder / "kokoro-v1.0.int8.onnx"), options)
        self.voices = np.load(folder / "voices.npz")
        self.vocab: dict[str, int] = json.loads((folder / "vocab.json").read_text())["vocab"]

    def audio(self, text: str, language: str, voice: str) -> np.ndarray:
        phonemes = espeak_ipa(text, ESPEAK_VOICES[language])
        ids = [self.vocab[p] for p in phonemes if p in self.vocab][:510]
        style = self.voices[voice][len(ids)]
        tokens = np.array([[0, *ids, 0]], dtype=np.int64)
        (audio,) = self.session.run(None, {"tokens": tokens, "style": style, "speed": np.ones(1, np.float32)})
        return np.asarray(audio, dtype=np.float32).reshape(-1)


def measure(synthesize, sentences: list[str]) -> dict[str, float]:
    chars = sum(count_spoken_chars(s) for s in sentences)
    seconds = sum(speech_seconds(*synthesize(s)) for s in sentences)
    return {"chars_per_second": round(chars / seconds, 2), "chars": chars, "seconds": round(seconds, 2)}


def main() -> int:
    started = time.perf_counter()
    rates: dict[str, dict[str, dict[str, float]]] = {"espeak-ng": {}, "kokoro": {}}
    for language, sentences in SENTENCES.items():
        voice = ESPEAK_VOICES[language]
        rates["espeak-ng"][language] = measure(lambda s, v=voice: espeak_audio(s, v), sentences)
        print(f"espeak-ng {language}: {rates['espeak-ng'][language]}")
    kokoro = Kokoro()
    for language in KOKORO_LANGUAGES:
        per_voice = [
            measure(
                lambda s, v=v, lang=language: (kokoro.audio(s, lang, v), KOKORO_RATE), SENTENCES[language]
            )
            for v in KOKORO_VOICES
        ]
        seconds = sum(m["seconds"] for m in per_voice) / len(per_voice)
        chars = per_voice[0]["chars"]
        rates["kokoro"][language] = {
            "chars_per_second": round(chars / seconds, 2),
            "chars": chars,
            "seconds": round(seconds, 2),
        }
        print(f"kokoro {language}: {rates['kokoro'][language]}")
    document = {
        "method": (
            "bench/calibrate_speech_rate.py: the same 8 everyday dialogue lines per language synthesized "
            "at speed 1.0; speech duration = first to last 10 ms frame above -40 dBFS; rate = spoken "
            "characters (whitespace collapsed, punctuation counted) per second of speech. espeak-ng 1.51 "
            f"default voice per language; Kokoro-82M int8 ONNX on espeak-ng IPA, mean of {KOKORO_VOICES}."
        ),
        "measured": time.strftime("%Y-%m-%d"),
        "engines": rates,
    }
    RATES_PATH.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RATES_PATH} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
