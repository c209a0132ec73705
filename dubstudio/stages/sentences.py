"""Cues are display units, not sentences: join them into sentences, and share a translation out again.

`sentences(segments)` cuts the running text of consecutive cues of one speaker into sentences at
terminal punctuation. A sentence may span cues ("So I" + "found a small place…"), but never a
speaker change or a pause longer than `MAX_PAUSE` (measured between word timestamps), and a cue
that ends a sentence ends it there. `distribute(target, pieces)` cuts a sentence's translation
back into one piece per cue: at punctuation first when the source was cut at punctuation, else at
the word boundary closest to the source's proportion of words and time.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from dubstudio.core.project import Segment

#: a silence this long between two cues of one speaker ends the sentence even without punctuation
MAX_PAUSE = 1.5
_CLAUSE_END = re.compile(r"[,;:…—–]$")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*$")


@dataclass(frozen=True)
class Piece:
    """The part of a cue's text that belongs to one sentence."""

    cue: int  # index into the segments
    text: str
    words: int
    seconds: float


@dataclass(frozen=True)
class Sentence:
    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return " ".join(piece.text for piece in self.pieces)

    @property
    def cues(self) -> tuple[int, ...]:
        return tuple(piece.cue for piece in self.pieces)


def _ends_sentence(token: str, abbreviations: frozenset[str]) -> bool:
    if not _SENTENCE_END.search(token):
        return False
    word = token.rstrip(".\"'”’»)]")
    return not (token.endswith(".") and not token.endswith("..") and word in abbreviations)


def _pause_before(previous: Segment, following: Segment) -> float:
    end = previous.words[-1].end if previous.words else previous.end
    start = following.words[0].start if following.words else following.start
    return start - end


def _cue_seconds(segment: Segment, share: float) -> float:
    spoken = segment.words[-1].end - segment.words[0].start if segment.words else segment.duration
    return max(spoken, 0.0) * share


def sentences(segments: Sequence[Segment], abbreviations: Sequence[str] = ()) -> list[Sentence]:
    """Every sentence of the cues, in order; each cue's text is covered exactly once."""
    known = frozenset(abbreviations)
    result: list[Sentence] = []
    open_pieces: list[Piece] = []
    for index, segment in enumerate(segments):
        if open_pieces:
            previous = segments[open_pieces[-1].cue]
            if previous.speaker_id != segment.speaker_id or _pause_before(previous, segment) > MAX_PAUSE:
                result.append(Sentence(tuple(open_pieces)))
                open_pieces = []
        tokens = segment.original_text.split()
        current: list[str] = []
        for position, token in enumerate(tokens):
            current.append(token)
            if _ends_sentence(token, known) or position == len(tokens) - 1:
                share = len(current) / len(tokens)
                open_pieces.append(
                    Piece(index, " ".join(current), len(current), _cue_seconds(segment, share))
                )
                current = []
                if _ends_sentence(token, known):
                    result.append(Sentence(tuple(open_pieces)))
                    open_pieces = []
        if not tokens:
            result.append(Sentence((Piece(index, "", 0, 0.0),)))
    if open_pieces:
        result.append(Sentence(tuple(open_pieces)))
    return result


def distribute(target: str, pieces: Sequence[Piece]) -> list[str]:
    """One part of `target` per piece, in order, none empty while there are words enough.

    Each cut goes to the target word boundary closest (in characters) to the source's share of
    words and speaking time before it; a boundary after punctuation is preferred where the source
    cue ended at punctuation, and avoided where it did not.
    """
    if len(pieces) <= 1:
        return [target]
    words = target.split()
    ends = list(itertools.accumulate(len(word) + 1 for word in words))  # characters up to each word
    total_words = sum(p.words for p in pieces) or 1
    total_seconds = sum(p.seconds for p in pieces)
    cuts: list[int] = []
    done_words, done_seconds = 0, 0.0
    for number, piece in enumerate(pieces[:-1]):
        done_words += piece.words
        done_seconds += piece.seconds
        share = done_words / total_words
        if total_seconds > 0:
            share = (share + done_seconds / total_seconds) / 2
        ideal = share * (ends[-1] if ends else 0)
        lowest = (cuts[-1] if cuts else 0) + 1
        highest = len(words) - (len(pieces) - 1 - number)
        candidates = list(range(max(lowest, 1), min(highest, len(words) - 1) + 1))
        if not candidates:
            cuts.append(min(lowest, len(words)))
            continue
        at_clause = bool(_CLAUSE_END.search(piece.text))
        average = ends[-1] / len(words)

        def cost(
            cut: int, at_clause: bool = at_clause, ideal: float = ideal, average: float = average
        ) -> float:
            distance = abs(ends[cut - 1] - ideal) / average  # in words of average length
            punctuated = bool(_CLAUSE_END.search(words[cut - 1]) or _SENTENCE_END.search(words[cut - 1]))
            if punctuated and at_clause:
                return distance - 1.5
            return distance + (0.5 if punctuated != at_clause else 0.0)

        cuts.append(min(candidates, key=cost))
    bounds = [0, *cuts, len(words)]
    return [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
