"""Stage 3 on what the recogniser really hears: the bundled sample and the real two-speaker call,
recognised with Whisper base and diarized (temperature 0), cut into cues, translated en→es.

Recognised cues end mid-sentence and carry the recogniser's slips ("So I" closing a turn, "e
-mail"), which is where literal cue-by-cue translation left English words behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from translation_helpers import SAMPLE, leftover_source_words, require_apertium_version

from dubstudio.core.project import Settings
from dubstudio.engines.apertium import ApertiumTranslator
from dubstudio.engines.factory import Engines
from dubstudio.engines.whisper import FasterWhisperTranscriber
from dubstudio.pipeline.recognition import recognize
from dubstudio.stages.segmentation import segment_cues
from dubstudio.stages.translation import translate_segments

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engines() -> Engines:
    transcriber = FasterWhisperTranscriber("whisper-base", device="cpu", temperature=0.0)
    return Engines(Settings(device="cpu"), transcriber=transcriber)


@pytest.fixture(scope="module")
def sample_wav(tmp_path_factory) -> Path:
    wav = tmp_path_factory.mktemp("sample") / "dialogue.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(SAMPLE / "dialogue.mp4"),
            "-ac",
            "1",
            "-ar",
            "16000",
            str(wav),
        ],
        check=True,
    )
    return wav


def _translated(wav: Path, engines: Engines):
    settings = Settings(device="cpu")
    outcome = recognize(wav, settings, "en", [], progress=lambda _event: None, engines=engines)
    cues = segment_cues(outcome.segments, settings)
    return translate_segments(
        cues, ApertiumTranslator(), source="en", subtitle_language="es", tts_language="es", glossary=[],
        settings=settings,
    )  # fmt: skip


def test_no_recognised_cue_keeps_an_english_word_the_engine_knows(engines, sample_wav, pyannote_sample):
    require_apertium_version()
    sample = _translated(sample_wav, engines)
    call = _translated(pyannote_sample["wav"], engines)
    leftovers = {
        (cue.original_text, cue.translated_text): words
        for cue in [*sample, *call]
        if (words := leftover_source_words(cue.original_text, cue.translated_text))
    }
    assert leftovers == {}
    by_text = {cue.original_text: cue.translated_text for cue in sample}
    assert by_text["Morning, Daniel."] == "Buenos días, Daniel."
    lisbon = next(cue for cue in sample if "Lisbon conference" in cue.original_text)
    assert "¿Viste el correo sobre la conferencia de Lisboa?" in lisbon.translated_text
    assert all(cue.translated_text for cue in [*sample, *call] if cue.original_text.strip())
