"""Stage 1 on the real two-speaker call: WER, DER, speakers, review flags, re-run consistency."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import jiwer
import numpy as np
import pytest
import soundfile as sf
from pyannote.core import Annotation
from pyannote.core import Segment as Span
from pyannote.metrics.diarization import DiarizationErrorRate

from dubstudio.core.errors import Cancelled
from dubstudio.core.progress import CancelToken, ProgressEvent
from dubstudio.core.project import Settings, Word
from dubstudio.engines.base import RecognizedSegment
from dubstudio.engines.whisper import FasterWhisperTranscriber
from dubstudio.stages.transcription import (
    TranscriptionOutcome,
    flag_segment,
    repeated_phrase,
    run_transcription,
    speaker_ids,
    split_by_speaker,
)

RATE = 16_000
#: Word error rate of stage 1 on the call against sample.stm. Measured 0.173 here and 0.198 on a clean
#: clone elsewhere (CPU int8 decoding differs slightly between machines); the ceiling leaves room for that.
MAX_WER = 0.25
#: How far stage 1 may trail a bare faster-whisper decode of the same model (measured 0.210 here, 0.185
#: elsewhere): the two decode differently (quiet-point chunks, denoising, word splits) and which of them
#: wins flips from machine to machine, so "never worse" cannot be asserted; "not clearly worse" can.
WER_TOLERANCE_VS_BARE = 0.03
#: DER of the speaker-attributed words against the reference turns (measured 0.057).
MAX_WORD_DER = 0.09
#: the two callers' embeddings (CAM++, unit length): measured cosine 0.405
MAX_CROSS_SPEAKER_COSINE = 0.6


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", text.lower())).strip()


@pytest.fixture(scope="module")
def sample(pyannote_sample: dict[str, Path]) -> dict:
    audio, rate = sf.read(pyannote_sample["wav"], dtype="float32")
    assert rate == RATE
    stm = [line.split(None, 5) for line in pyannote_sample["stm"].read_text().splitlines() if line.strip()]
    reference = Annotation()
    for line in pyannote_sample["rttm"].read_text().splitlines():
        fields = line.split()
        reference[Span(float(fields[3]), float(fields[3]) + float(fields[4]))] = fields[7]
    return {"audio": audio, "text": " ".join(f[5] for f in stm), "rttm": reference}


@pytest.fixture(scope="module")
def transcriber(whisper_base) -> FasterWhisperTranscriber:
    return whisper_base


@pytest.fixture(scope="module")
def progress_events() -> list[ProgressEvent]:
    return []


@pytest.fixture(scope="module")
def outcome(sample, transcriber, diarizer, progress_events) -> TranscriptionOutcome:
    return run_transcription(
        sample["audio"],
        transcriber,
        diarizer,
        language=None,
        settings=Settings(),
        progress=progress_events.append,
    )


@pytest.mark.slow
def test_wer_is_under_its_ceiling_and_not_clearly_worse_than_bare_faster_whisper(
    sample, transcriber, outcome
) -> None:
    pieces, _ = transcriber.model.transcribe(sample["audio"], **transcriber.decode_options())
    bare = " ".join(piece.text for piece in pieces)
    ours = " ".join(segment.original_text for segment in outcome.segments)
    reference = normalised(sample["text"])
    bare_wer, our_wer = jiwer.wer(reference, normalised(bare)), jiwer.wer(reference, normalised(ours))
    print(f"WER ours {our_wer:.3f} bare faster-whisper {bare_wer:.3f}")
    assert our_wer <= MAX_WER
    assert our_wer <= bare_wer + WER_TOLERANCE_VS_BARE, (our_wer, bare_wer)
    assert outcome.language == "en"


@pytest.mark.slow
def test_words_assigned_to_speakers_match_the_reference(sample, outcome) -> None:
    """DER of the speaker-attributed words (each word a turn) against the reference turns."""
    words = Annotation()
    for segment in outcome.segments:
        assert segment.speaker_id in {s.id for s in outcome.speakers}
        for word in segment.words:
            words[Span(word.start, max(word.end, word.start + 0.01))] = segment.speaker_id
    speech_only = sample["rttm"].crop(words.get_timeline().support())
    der = DiarizationErrorRate(collar=0.25)(speech_only, words)
    print(f"DER of the attributed words {der:.4f}")
    assert der <= MAX_WORD_DER, der


@pytest.mark.slow
def test_segments_are_split_where_the_speaker_changes(outcome) -> None:
    assert [s.id for s in outcome.speakers] == ["S1", "S2"]
    assert len({s.speaker_id for s in outcome.segments}) == 2
    for segment in outcome.segments:
        assert segment.words and segment.start <= segment.words[0].start + 1e-6
        assert segment.words[-1].end <= segment.end + 1e-6
        assert 0.0 <= (segment.confidence or 0.0) <= 1.0
        assert segment.needs_review == bool(segment.review_reasons) == bool(segment.issues)
        assert all(issue.stage == "transcription" for issue in segment.issues)
    starts = [s.start for s in outcome.segments]
    assert starts == sorted(starts)


@pytest.mark.slow
def test_speakers_have_clips_pitch_gender_and_embedding(outcome) -> None:
    for speaker in outcome.speakers:
        embedding = np.asarray(speaker.embedding)
        assert embedding.shape == (192,) and np.isfinite(embedding).all()
        assert np.linalg.norm(embedding) == pytest.approx(1.0, abs=1e-3)
        assert speaker.reference_clips, speaker.id
        assert all(3.0 <= clip.duration <= 10.0 for clip in speaker.reference_clips)
        assert speaker.median_f0 is not None and 170 < speaker.median_f0 < 230
        assert speaker.gender_evidence
    # both callers are women (Diane and Sheila), at 194 and 203 Hz over all their speech
    assert [s.gender for s in outcome.speakers] == ["female", "female"]
    first, second = (np.asarray(s.embedding) for s in outcome.speakers)
    print(f"cosine between the callers {first @ second:.3f}")
    assert first @ second <= MAX_CROSS_SPEAKER_COSINE


@pytest.mark.slow
def test_progress_is_monotonic_and_complete(progress_events) -> None:
    fractions = [e.fraction for e in progress_events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {e.stage for e in progress_events} == {"transcription"}


@pytest.mark.slow
def test_rerun_keeps_speaker_ids_by_voice(sample, diarizer, outcome) -> None:
    """A later run on part of the media (second half only) must reuse the known ids, even renamed."""
    renamed = {"S1": "S7", "S2": "S3"}
    known = [dataclasses.replace(s, id=renamed[s.id]) for s in outcome.speakers]
    half = diarizer.diarize(sample["audio"][15 * RATE :])
    ids = speaker_ids(half, known)
    first_run = {}
    for turn in half.turns:
        middle = 15.0 + (turn.start + turn.end) / 2
        overlapping = [s for s in outcome.segments if s.start <= middle <= s.end]
        if overlapping:
            first_run.setdefault(turn.speaker, renamed[overlapping[0].speaker_id])
    assert first_run and all(ids[label] == first_run[label] for label in first_run)
    # an unknown voice gets the next free number
    only_s7 = [k for k in known if k.id == "S7"]
    other_label = next(label for label in ids if ids[label] != "S7")
    assert speaker_ids(half, only_s7)[other_label] == "S8"


@pytest.mark.slow
def test_cancel_before_diarization(sample, transcriber) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_transcription(
            sample["audio"][: 3 * RATE], transcriber, None, language="en", settings=Settings(), cancel=token
        )


def _recognized(text: str, **stats: float) -> RecognizedSegment:
    words = [Word(i * 0.4, i * 0.4 + 0.3, token, 0.9) for i, token in enumerate(text.split())]
    return RecognizedSegment(0.0, words[-1].end, text, words, **stats)


def _flags(source: RecognizedSegment) -> set[str]:
    segment = split_by_speaker(source, [], spaceless=False)[0]
    flag_segment(segment, source, spaceless=False)
    return {issue.code for issue in segment.issues}


def test_review_flags() -> None:
    assert _flags(_recognized("this is a perfectly normal sentence")) == set()
    assert _flags(_recognized("thank you thank you thank you so much")) == {"likely_hallucination"}
    assert repeated_phrase("thank you thank you thank you") == "thank you"
    assert _flags(_recognized("a sentence", compression_ratio=3.1)) >= {"likely_hallucination"}
    assert _flags(_recognized("some words here", no_speech_prob=0.9)) >= {"likely_hallucination"}
    assert _flags(_recognized("doubtful words here", avg_logprob=-1.4)) == {"low_confidence_transcript"}
    slow = RecognizedSegment(0.0, 6.0, "so", [Word(0.0, 0.2, "so"), Word(5.5, 6.0, "um")])
    assert _flags(slow) == {"speech_rate"}
    fast = _recognized("extraordinarily incomprehensible")
    fast.words = [Word(0.0, 0.5, "extraordinarily"), Word(0.5, 1.0, "incomprehensibilities")]
    assert _flags(fast) == {"speech_rate"}
