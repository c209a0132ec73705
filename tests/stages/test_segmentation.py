"""Stage 2 on real dialogue: readable cues, and never a changed, lost or reordered word."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dubstudio.core.project import Segment, Settings, ValidationIssue, Word
from dubstudio.stages.segmentation import line_break, segment_cues

LIMITS = Settings()


def words_over(text: str, start: float, end: float, leading_space: bool = True) -> list[Word]:
    """Words of `text` with times spread over start–end by length (like a forced aligner would)."""
    tokens = text.split()
    total = sum(len(t) + 1 for t in tokens)
    result, elapsed = [], 0
    for token in tokens:
        word_start = start + (end - start) * elapsed / total
        elapsed += len(token) + 1
        word_end = start + (end - start) * elapsed / total
        result.append(Word(word_start, word_end - 0.02, (" " if leading_space else "") + token, 0.9))
    return result


def stm_segments(stm: Path) -> list[Segment]:
    segments = []
    for index, line in enumerate(stm.read_text().splitlines()):
        _, _, speaker, start, end, text = line.split(" ", 5)
        words = words_over(text, float(start), float(end))
        segments.append(Segment(f"t{index}", float(start), float(end), speaker, text, words, 0.9))
    return segments


def assert_contract(inputs: list[Segment], cues: list[Segment]) -> None:
    """The stage-2 contract: same words in the same order, chronological, no overlap, same speakers."""
    assert [w for c in cues for w in c.words] == [w for s in inputs for w in s.words]
    text_of = " ".join(s.original_text for s in sorted(inputs, key=lambda s: s.start)).split()
    assert " ".join(c.original_text for c in cues).split() == text_of
    for cue, following in itertools.pairwise(cues):
        assert cue.start <= cue.end <= following.start
    speaker_of_word = {id(w): s.speaker_id for s in inputs for w in s.words}
    for cue in cues:
        assert all(speaker_of_word[id(w)] == cue.speaker_id for w in cue.words)
        if cue.words:
            assert cue.start <= cue.words[0].start and cue.words[-1].end <= cue.end + 1e-9
    assert len({c.id for c in cues}) == len(cues)


def assert_readable(cues: list[Segment], limits: Settings) -> None:
    for cue in cues:
        if len(cue.original_text.split()) == 1:
            continue  # a single word is a cue whatever its length
        lines = line_break(cue.original_text, limits.max_chars_per_line, limits.max_lines).split("\n")
        assert len(lines) <= limits.max_lines
        assert all(len(line) <= limits.max_chars_per_line for line in lines), lines
        spoken = cue.words[-1].end - cue.words[0].start if cue.words else cue.duration
        assert spoken <= limits.max_cue_duration + 1e-9


def test_real_two_speaker_call_keeps_words_speakers_and_limits(pyannote_sample):
    inputs = stm_segments(pyannote_sample["stm"])
    cues = segment_cues(inputs, LIMITS)
    assert_contract(inputs, cues)
    assert_readable(cues, LIMITS)
    assert {c.speaker_id for c in cues} == {"Diane", "Sheila"}
    # "Oh, hello." + "I didn't know you were there." (Diane, 40 ms apart) are short enough to share a cue
    assert any(c.original_text == "Oh, hello. I didn't know you were there." for c in cues)


def test_long_monologue_is_cut_after_sentences_within_limits():
    text = (
        "Well, I told you we should have left an hour ago. Nobody listens to me in this house, "
        "nobody ever does. Fine. Let's go then, before the storm gets here and we are stuck all night."
    )
    segment = Segment("m", 0.5, 19.0, "A", text, words_over(text, 0.5, 19.0), 0.8)
    cues = segment_cues([segment], LIMITS)
    assert_contract([segment], cues)
    assert_readable(cues, LIMITS)
    assert len(cues) >= 3
    assert cues[0].original_text.endswith("an hour ago.")
    assert [c.id for c in cues] == [f"m.{n}" for n in range(1, len(cues) + 1)]
    assert all(c.confidence == 0.8 and c.speaker_id == "A" for c in cues)


def test_speaker_change_and_long_pause_always_cut():
    a = Segment("a", 0.0, 1.0, "A", "Who is there?", words_over("Who is there?", 0.0, 1.0))
    b = Segment("b", 1.1, 1.8, "B", "Only me.", words_over("Only me.", 1.1, 1.8))
    c = Segment("c", 4.0, 4.6, "B", "Come in.", words_over("Come in.", 4.0, 4.6))
    cues = segment_cues([a, b, c], LIMITS)
    assert [cue.original_text for cue in cues] == ["Who is there?", "Only me.", "Come in."]
    assert [cue.id for cue in cues] == ["a", "b", "c"]  # unchanged segments keep their ids
    assert cues[0].end <= cues[1].start


def test_fragments_merge_and_inherit_review_state():
    first = Segment(
        "f1",
        2.0,
        2.6,
        "A",
        "And then",
        words_over("And then", 2.0, 2.6),
        0.7,
        needs_review=True,
        review_reasons=["low confidence"],
        issues=[
            ValidationIssue("f1", "low_confidence_transcript", "unclear", stage="transcription"),
            ValidationIssue("f1", "untranslated", "old stage-3 finding", stage="translation"),
        ],
    )
    second = Segment("f2", 2.7, 3.5, "A", "she left.", words_over("she left.", 2.7, 3.5), 0.95)
    cues = segment_cues([first, second], LIMITS)
    assert len(cues) == 1
    cue = cues[0]
    assert cue.original_text == "And then she left."
    assert cue.confidence == 0.7 and cue.needs_review and cue.review_reasons == ["low confidence"]
    assert [(i.code, i.subtitle_id) for i in cue.issues] == [("low_confidence_transcript", cue.id)]
    assert cue.end - cue.start >= LIMITS.min_cue_duration  # lengthened into the silence after it


def test_words_without_leading_spaces_join_with_spaces():
    text = "Neither did I."
    segment = Segment("n", 0.0, 1.0, "B", text, words_over(text, 0.0, 1.0, leading_space=False))
    assert segment_cues([segment], LIMITS)[0].original_text == text


def test_imported_cue_without_words_is_kept_unless_too_long():
    short = Segment("imp1", 1.0, 3.0, "", "Hello there.\nHow are you?", translated_text="Hola.")
    long_text = (
        "This imported subtitle is far too long for one cue, it runs on and on, "
        "and it has no word timestamps at all, so only its text can be cut."
    )
    long = Segment("imp2", 4.0, 16.0, "", long_text)
    cues = segment_cues([short, long], LIMITS)
    assert cues[0] is short
    rest = cues[1:]
    assert len(rest) >= 2 and all(not c.words for c in rest)
    assert " ".join(c.original_text for c in rest) == long_text
    assert rest[0].start == 4.0 and abs(rest[-1].end - 16.0) < 1e-9
    assert_readable(rest, LIMITS)


def test_limits_are_configurable():
    text = "Turn on the television. Maybe there is news about the roads tonight."
    segment = Segment("s", 0.0, 6.0, "A", text, words_over(text, 0.0, 6.0))
    narrow = Settings(max_chars_per_line=20, max_lines=1)
    cues = segment_cues([segment], narrow)
    assert_contract([segment], cues)
    assert all(len(c.original_text) <= 20 for c in cues)
    assert len(segment_cues([segment], LIMITS)) < len(cues)


def test_line_break_balances_and_prefers_punctuation():
    assert line_break("Short line.", 42, 2) == "Short line."
    broken = line_break("Hello, welcome to the new headquarters of the company and its people.", 42, 2)
    first, second = broken.split("\n")
    assert len(first) <= 42 and len(second) <= 42
    assert abs(len(first) - len(second)) < 15
    assert line_break("Relax, Barbara. It's only a two-hour drive from here.", 42, 2) == (
        "Relax, Barbara.\nIt's only a two-hour drive from here."
    )
    too_long = line_break(" ".join(["word"] * 30), 42, 2)
    assert too_long.count("\n") == 1 and too_long.split() == ["word"] * 30


@st.composite
def transcripts(draw) -> list[Segment]:
    vocabulary = ["yes", "no.", "well,", "the", "extraordinarily", "house", "night?", "go!", "I", "we're"]
    segments, time = [], draw(st.floats(0, 2))
    for index in range(draw(st.integers(1, 6))):
        words = []
        for _ in range(draw(st.integers(1, 25))):
            time += draw(st.sampled_from([0.0, 0.05, 0.3, 0.8, 2.0]))
            length = draw(st.floats(0.1, 1.2))
            words.append(Word(time, time + length, " " + draw(st.sampled_from(vocabulary))))
            time += length
        speaker = draw(st.sampled_from(["A", "B"]))
        text = "".join(w.text for w in words).strip()
        segments.append(Segment(f"s{index}", words[0].start, words[-1].end, speaker, text, words))
    return segments


@settings(max_examples=60, deadline=None)
@given(transcripts(), st.sampled_from([Settings(), Settings(max_chars_per_line=16, max_cps=12.0)]))
def test_every_case_keeps_the_words(inputs, limits):
    cues = segment_cues(inputs, limits)
    assert_contract(inputs, cues)
    assert_readable(cues, limits)


def test_no_cue_is_lengthened_past_the_media_end():
    """The real case: an 11.26 s file whose last word starts at 11.04 s. The minimum display time
    (1 s) ended the last cue at 12.04 s, after the media, and failed the dub: it ends with the media."""
    first = Segment("a", 8.0, 10.2, "A", "We leave at dawn.", words_over("We leave at dawn.", 8.0, 10.2))
    last = Segment("b", 11.04, 11.24, "B", "Go.", words_over("Go.", 11.04, 11.24))
    unclamped = segment_cues([first, last], LIMITS)
    assert unclamped[-1].end == pytest.approx(12.04)  # what the minimum-duration rule asks for
    cues = segment_cues([first, last], LIMITS, media_end=11.26)
    assert_contract([first, last], cues)
    assert [c.original_text for c in cues] == ["We leave at dawn.", "Go."]
    assert cues[-1].end == pytest.approx(11.26) and all(c.end <= 11.26 for c in cues)
    assert cues[0].end == unclamped[0].end  # cues away from the end keep their display time


def test_imported_cues_past_the_media_end_are_cut_back_to_it():
    kept = Segment("imp1", 2.0, 4.0, "", "Still on screen.")
    running_over = Segment("imp2", 9.0, 12.5, "", "This subtitle outlasts the video.")
    cues = segment_cues([kept, running_over], LIMITS, media_end=11.0)
    assert cues[0] is kept
    assert (cues[1].start, cues[1].end, cues[1].original_text) == (9.0, 11.0, running_over.original_text)


def test_a_word_past_the_stated_end_keeps_its_cue_around_it():
    """Words never move: if a word ends after `media_end` (timestamps rounded up), the cue still holds it."""
    segment = Segment("w", 4.0, 5.3, "A", "Right now.", words_over("Right now.", 4.0, 5.32))
    (cue,) = segment_cues([segment], LIMITS, media_end=5.2)
    assert cue.words[-1].end <= cue.end == pytest.approx(cue.words[-1].end)
