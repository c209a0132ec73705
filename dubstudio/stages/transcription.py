"""Stage 1: transcription — what was said, when, by whom, and how sure we are.

Pure function over arrays and dataclasses: the caller loads the 16 kHz mono audio and builds the
engines. Text stays exactly as recognised (no translation, no polishing); doubtful segments are
flagged for review (`needs_review`, `review_reasons`, `issues` with stage="transcription").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dubstudio.core.progress import CancelToken, ProgressCallback, ProgressEvent, stage_reporter
from dubstudio.core.project import Segment, Settings, Speaker, TimeSpan, ValidationIssue, Word, new_id
from dubstudio.engines.base import (
    Diarization,
    Diarizer,
    RecognizedSegment,
    SpeakerTurn,
    Transcriber,
)
from dubstudio.engines.speakers import SAME_SPEAKER_SIMILARITY, exclusive_spans, match_speakers
from dubstudio.stages.speaker_traits import speech_of, voice_traits

STAGE = "transcription"

#: mean word probability under which a segment is low confidence
LOW_CONFIDENCE = 0.55
#: Whisper's own hallucination signals (the thresholds its decoder uses for fallback)
MAX_COMPRESSION_RATIO = 2.4
MAX_NO_SPEECH_PROB = 0.6
MIN_AVG_LOGPROB = -1.0
#: the same 1–4 word phrase this many times in a row is a decoder loop, not speech
MAX_REPEATS = 3
#: speech rate in letters per second over the words' span; spaceless scripts count characters,
#: which carry more speech each (ordinary English runs at 10–16 letters per second)
SPEECH_RATE_LIMITS = {"spaced": (3.0, 25.0), "spaceless": (1.0, 12.0)}
#: below this span the rate is too noisy to judge
MIN_RATE_SPAN = 1.0
#: languages written without spaces between words
SPACELESS_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "km", "bo", "yue"})

#: a speaker's reference clips: single-speaker stretches of this length, at most this many
CLIP_MIN_SECONDS, CLIP_MAX_SECONDS, MAX_CLIPS = 3.0, 10.0, 3


@dataclass
class TranscriptionOutcome:
    language: str
    segments: list[Segment]
    #: the speakers heard in `segments`; ids of `known_speakers` are kept when their voice matches
    speakers: list[Speaker]
    language_probability: float = 1.0


def run_transcription(
    audio_16k: np.ndarray,
    transcriber: Transcriber,
    diarizer: Diarizer | None,
    *,
    language: str | None,
    settings: Settings,
    known_speakers: Sequence[Speaker] = (),
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> TranscriptionOutcome:
    """Recognise, diarize, assign words to speakers, split segments on speaker changes, flag doubts."""
    report = stage_reporter(progress, STAGE) if progress is not None else None
    recognition_share = 0.6 if diarizer is not None else 0.95
    transcription = transcriber.transcribe(
        audio_16k, language=language or None, progress=_scaled(report, 0.0, recognition_share), cancel=cancel
    )
    if cancel is not None:
        cancel.raise_if_cancelled()
    spaceless = transcription.language in SPACELESS_LANGUAGES
    speakers: list[Speaker] = []
    turns: list[SpeakerTurn] = []
    # No speech heard: diarizing hours of silence would only delay the "no speech" failure.
    diarize = diarizer is not None and bool(transcription.segments)
    if diarize:
        diarization = diarizer.diarize(
            audio_16k,
            min_speakers=settings.min_speakers,
            max_speakers=settings.max_speakers,
            progress=_scaled(report, recognition_share, 0.95),
            cancel=cancel,
        )
        ids = speaker_ids(diarization, known_speakers)
        turns = [SpeakerTurn(t.start, t.end, ids[t.speaker]) for t in diarization.turns]
        embeddings = {ids[label]: vector for label, vector in diarization.embeddings.items()}
    segments: list[Segment] = []
    for source in transcription.segments:
        pieces = split_by_speaker(source, turns, spaceless)
        for piece in pieces:
            flag_segment(piece, source, spaceless)
        segments.extend(pieces)
    if diarize:
        used = {s.speaker_id for s in segments}
        heard = [i for i in dict.fromkeys(ids.values()) if i in used]
        speakers = [describe_speaker(i, audio_16k, turns, embeddings.get(i), known_speakers) for i in heard]
    if report is not None:
        report(1.0, f"{len(segments)} segments, {len(speakers)} speakers")
    return TranscriptionOutcome(
        transcription.language, segments, speakers, transcription.language_probability
    )


def _scaled(report: Callable[[float, str], None] | None, low: float, high: float) -> ProgressCallback | None:
    if report is None:
        return None

    def forward(event: ProgressEvent) -> None:
        report(low + (high - low) * event.fraction, event.message)

    return forward


# ---------------------------------------------------------------------------------------- speakers


def speaker_ids(diarization: Diarization, known_speakers: Sequence[Speaker]) -> dict[str, str]:
    """Diarization label → speaker id: a known speaker's id when the voices match, else a new "S<n>"."""
    known = {s.id: np.asarray(s.embedding, dtype=np.float64) for s in known_speakers if s.embedding}
    matched = match_speakers(diarization.embeddings, known, SAME_SPEAKER_SIMILARITY)
    taken = {s.id for s in known_speakers}
    numbers = [int(m.group(1)) for i in taken if (m := re.fullmatch(r"S(\d+)", i))]
    next_number = max(numbers, default=0) + 1
    ids: dict[str, str] = {}
    first_heard = dict.fromkeys(t.speaker for t in sorted(diarization.turns, key=lambda t: t.start))
    for label in [*first_heard, *(label for label in diarization.embeddings if label not in first_heard)]:
        known_id = matched.get(label)
        if known_id:
            ids[label] = known_id
        else:
            ids[label] = f"S{next_number}"
            next_number += 1
    return ids


def describe_speaker(
    speaker_id: str,
    audio: np.ndarray,
    turns: Sequence[SpeakerTurn],
    embedding: np.ndarray | None,
    known_speakers: Sequence[Speaker],
) -> Speaker:
    """Reference clips, median F0 and gender from this run (every stretch the speaker speaks alone:
    `speaker_traits`); user choices of a known speaker kept."""
    spans = exclusive_spans(turns).get(speaker_id, [])
    clips = reference_clips(spans)
    traits = voice_traits(speech_of(audio, spans))
    measured = {
        "gender": traits.gender,
        "gender_evidence": traits.evidence,
        "median_f0": traits.median_f0,
        "embedding": [float(x) for x in embedding] if embedding is not None else [],
        "reference_clips": clips,
    }
    previous = next((s for s in known_speakers if s.id == speaker_id), None)
    if previous is not None:
        return dataclasses.replace(previous, **measured)
    return Speaker(id=speaker_id, **measured)


def describe_imported_speakers(
    audio_16k: np.ndarray, segments: Sequence[Segment], speakers: Sequence[Speaker]
) -> list[Speaker]:
    """The speakers of an imported transcript, measured from the audio of their own cues: the
    subtitles say who speaks when, the audio what they sound like (pitch, gender, reference clips),
    so voice matching gets a man's voice for a man rather than the default."""
    turns = [SpeakerTurn(s.start, s.end, s.speaker_id) for s in segments]
    return [describe_speaker(s.id, audio_16k, turns, None, speakers) for s in speakers]


def reference_clips(spans: Sequence[tuple[float, float]]) -> list[TimeSpan]:
    """Up to three of the longest single-speaker stretches of 3–10 s (longer ones are cut to 10 s)."""
    long_enough = sorted((s for s in spans if s[1] - s[0] >= CLIP_MIN_SECONDS), key=lambda s: s[0] - s[1])
    return [TimeSpan(start, min(end, start + CLIP_MAX_SECONDS)) for start, end in long_enough[:MAX_CLIPS]]


def assign_speaker(start: float, end: float, turns: Sequence[SpeakerTurn]) -> str:
    """The speaker overlapping [start, end] the most; without overlap, the nearest turn's speaker."""
    if not turns:
        return ""
    overlaps: dict[str, float] = {}
    for turn in turns:
        overlap = min(end, turn.end) - max(start, turn.start)
        if overlap > 0:
            overlaps[turn.speaker] = overlaps.get(turn.speaker, 0.0) + overlap
    if overlaps:
        return max(overlaps, key=lambda speaker: overlaps[speaker])
    middle = (start + end) / 2
    return min(turns, key=lambda t: max(t.start - middle, middle - t.end)).speaker


# ---------------------------------------------------------------------------------------- segments


def _join(words: Sequence[Word], spaceless: bool) -> str:
    return ("" if spaceless else " ").join(w.text for w in words).strip()


def _segment(source: RecognizedSegment, words: Sequence[Word], speaker_id: str, text: str) -> Segment:
    """A stage-1 segment; a piece of a split recogniser segment spans its own words."""
    whole = len(words) == len(source.words)
    start, end = (source.start, source.end) if whole else (words[0].start, words[-1].end)
    probabilities = [w.probability for w in words]
    confidence = float(np.mean(probabilities)) if probabilities else float(np.exp(source.avg_logprob))
    return Segment(
        id=new_id("seg"),
        start=start,
        end=max(start, end),
        speaker_id=speaker_id,
        original_text=text,
        words=list(words),
        confidence=round(confidence, 4),
    )


def split_by_speaker(
    source: RecognizedSegment, turns: Sequence[SpeakerTurn], spaceless: bool
) -> list[Segment]:
    """One segment per run of consecutive words of the same speaker (each word by maximum overlap)."""
    if not source.words:
        return [_segment(source, [], assign_speaker(source.start, source.end, turns), source.text)]
    runs: list[tuple[str, list[Word]]] = []
    for word in source.words:
        speaker = assign_speaker(word.start, word.end, turns)
        if runs and runs[-1][0] == speaker:
            runs[-1][1].append(word)
        else:
            runs.append((speaker, [word]))
    if len(runs) == 1:
        return [_segment(source, source.words, runs[0][0], source.text)]
    return [_segment(source, words, speaker, _join(words, spaceless)) for speaker, words in runs]


# ---------------------------------------------------------------------------------------- review flags


def repeated_phrase(text: str) -> str:
    """A 1–4 word phrase repeated MAX_REPEATS times in a row (a decoder loop), or ""."""
    tokens = re.findall(r"\w+", text.lower())
    for size in range(1, 5):
        for start in range(len(tokens) - size * MAX_REPEATS + 1):
            phrase = tokens[start : start + size]
            if all(
                tokens[start + k * size : start + (k + 1) * size] == phrase for k in range(1, MAX_REPEATS)
            ):
                return " ".join(phrase)
    return ""


def speech_rate(segment: Segment, spaceless: bool) -> float | None:
    """Letters (or characters, in spaceless scripts) per second over the words' span."""
    if not segment.words:
        return None
    span = segment.words[-1].end - segment.words[0].start
    if span < MIN_RATE_SPAN:
        return None
    letters = sum(len(re.findall(r"\w", w.text)) for w in segment.words)
    return letters / span


def flag_segment(segment: Segment, source: RecognizedSegment, spaceless: bool) -> None:
    """Set needs_review, review_reasons and transcription issues from confidence, hallucination
    signals and speech rate."""
    findings: list[tuple[str, str, float | None]] = []
    confidence = segment.confidence if segment.confidence is not None else 1.0
    if confidence < LOW_CONFIDENCE or source.avg_logprob < MIN_AVG_LOGPROB:
        findings.append(
            ("low_confidence_transcript", f"low recognition confidence ({confidence:.2f})", confidence)
        )
    if source.compression_ratio > MAX_COMPRESSION_RATIO:
        findings.append(
            (
                "likely_hallucination",
                f"repetitive text (compression ratio {source.compression_ratio:.1f})",
                source.compression_ratio,
            )
        )
    if source.no_speech_prob > MAX_NO_SPEECH_PROB:
        findings.append(
            (
                "likely_hallucination",
                f"probably no speech here ({source.no_speech_prob:.2f})",
                source.no_speech_prob,
            )
        )
    if phrase := repeated_phrase(segment.original_text):
        findings.append(("likely_hallucination", f'"{phrase}" repeated {MAX_REPEATS}+ times in a row', None))
    rate = speech_rate(segment, spaceless)
    low, high = SPEECH_RATE_LIMITS["spaceless" if spaceless else "spaced"]
    if rate is not None and not low <= rate <= high:
        pace = "very fast" if rate > high else "very slow"
        findings.append(("speech_rate", f"{pace} speech ({rate:.1f} letters/s)", round(rate, 2)))
    for code, message, value in findings:
        segment.review_reasons.append(message)
        segment.issues.append(
            ValidationIssue(segment.id, code, message, severity="warning", stage=STAGE, value=value)
        )
    segment.needs_review = bool(findings)
