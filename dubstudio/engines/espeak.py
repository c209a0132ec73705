"""espeak-ng: the last-resort synthesizer for any language, and the IPA phonemizer Kokoro reads.

Everything goes through subprocess argument lists (never a shell). Voices are the espeak-ng
languages with male/female variants ("espeak:es+m3"); native speed is `-s` (words per minute).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from functools import cache

import numpy as np
import soundfile as sf

from dubstudio.core.dsp import as_mono_float
from dubstudio.core.errors import ModelMissingError, UserError
from dubstudio.core.languages import base_language
from dubstudio.engines.base import SynthesisRequest, SynthesizedAudio, Voice
from dubstudio.engines.prosody import nudge_for

ENGINE = "espeak"
_DEFAULT_WPM = 175
_DEFAULT_PITCH = 50
_DEFAULT_AMPLITUDE = 100
#: two of each gender per language, so distinct speakers can get distinct voices
_VARIANTS: tuple[tuple[str, str], ...] = (("m3", "male"), ("f3", "female"), ("m4", "male"), ("f4", "female"))
#: the espeak-ng voice used for a bare ISO 639-1 code where espeak has no voice of that exact name
_PREFERRED: dict[str, str] = {"en": "en-us", "fr": "fr-fr", "pt": "pt-br"}

# Clause punctuation is kept out of espeak's input (it would end the clause and be lost) and put
# back between the phonemized pieces. A comma or period between digits is part of a number.
_CLAUSE_BREAK = re.compile(r"((?:[.,](?!\d)|[;:!?¡¿…—()\"“”«»])+)")


def espeak_binary() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise ModelMissingError(
            "espeak-ng is not installed",
            fix="Install it with your package manager (Debian/Ubuntu: 'apt-get install espeak-ng').",
        )
    return path


def _run(args: list[str], *, stdin: str | None = None, text: bool = True) -> subprocess.CompletedProcess:
    """Run espeak-ng; text to speak goes through stdin so a leading "-" is never read as an option."""
    data = None if stdin is None else " ".join(stdin.split()) + "\n"
    return subprocess.run(
        [espeak_binary(), *args],
        input=data if text or data is None else data.encode("utf-8"),
        capture_output=True,
        check=True,
        text=text,
        timeout=120,
    )


@cache
def espeak_version() -> str:
    output = _run(["--version"]).stdout
    match = re.search(r"text-to-speech:\s*([\w.\-]+)", output)
    return match.group(1) if match else output.strip()


@cache
def espeak_languages() -> tuple[str, ...]:
    """The espeak-ng language codes (e.g. "es", "es-419", "en-us"), from `espeak-ng --voices`."""
    codes = []
    for line in _run(["--voices"]).stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2:
            codes.append(fields[1])
    return tuple(codes)


def espeak_voice_for(language: str) -> str | None:
    """The espeak-ng language code to speak `language` (ISO code or espeak code), or None."""
    codes = espeak_languages()
    wanted = language.lower()
    if wanted in codes and wanted not in _PREFERRED:
        return wanted
    preferred = _PREFERRED.get(base_language(wanted))
    if preferred in codes:
        return preferred
    return next((code for code in codes if base_language(code) == base_language(wanted)), None)


def phonemize(text: str, language: str) -> str:
    """IPA with stress marks and clause punctuation kept, diphthongs/affricates tied with "^".

    `language` is an ISO code or an espeak-ng code. Each clause is phonemized on its own so the
    punctuation between clauses survives (espeak-ng drops it from its IPA output).
    """
    voice = espeak_voice_for(language)
    if voice is None:
        raise UserError(
            f"espeak-ng has no voice for the language '{language}'", fix="Choose another language."
        )
    pieces = []
    for part in _CLAUSE_BREAK.split(text):
        if not part.strip():
            continue
        if _CLAUSE_BREAK.fullmatch(part):
            pieces.append(part.strip())
            continue
        result = _run(["-q", "--ipa", "--tie=^", "-b", "1", "-v", voice], stdin=part)
        ipa = " ".join(line.strip() for line in result.stdout.splitlines() if line.strip())
        if ipa:
            pieces.append(" " + ipa if pieces else ipa)
    return "".join(pieces).strip()


class EspeakSynthesizer:
    """espeak-ng formant synthesis: robotic but available for ~130 languages, and instant."""

    name = ENGINE
    native_speed = True

    @property
    def version(self) -> str:
        return f"espeak-ng {espeak_version()}"

    def voices(self) -> list[Voice]:
        voices = []
        for code in espeak_languages():
            for variant, gender in _VARIANTS:
                voice_name = f"{code}+{variant}"
                voices.append(
                    Voice(
                        id=f"{ENGINE}:{voice_name}",
                        engine=ENGINE,
                        name=voice_name,
                        languages=[base_language(code)],
                        gender=gender,  # type: ignore[arg-type]
                    )
                )
        return voices

    def synthesize(self, request: SynthesisRequest) -> SynthesizedAudio:
        """Speak with `-s` for speed; the style nudge moves pitch (`-p`) and amplitude (`-a`)."""
        nudge = nudge_for(request.style, request.register)
        words_per_minute = round(_DEFAULT_WPM * request.speed * nudge.speed)
        pitch = min(99, max(0, round(_DEFAULT_PITCH + 6 * nudge.semitones)))
        amplitude = min(200, max(0, round(_DEFAULT_AMPLITUDE * nudge.loudness)))
        args = [
            "-b", "1", "--stdout",
            "-v", request.voice.name,
            "-s", str(min(450, max(80, words_per_minute))),
            "-p", str(pitch),
            "-a", str(amplitude),
        ]  # fmt: skip
        wav = _run(args, stdin=request.text, text=False).stdout
        audio, rate = sf.read(io.BytesIO(wav), dtype="float32")
        return SynthesizedAudio(as_mono_float(np.asarray(audio)), int(rate))
