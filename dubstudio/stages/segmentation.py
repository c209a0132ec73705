"""Stage 2: cut transcript segments into readable subtitle cues without changing a single word.

Cues are chosen per *block* — a run of words by one speaker without a long pause — by dynamic
programming over the possible cut points: every cue must fit the line limits and the maximum cue
duration; among those cuttings the cheapest wins, where a cue costs a little by itself (so
fragments merge), cutting after a sentence end or in a pause is cheap, cutting mid-phrase is dear,
a sentence end inside a cue costs (so sentences prefer their own cue when they are long enough),
and too-fast reading or too-short display costs in proportion.

Words never change: a cue's words are a contiguous slice of the input words and its text is those
words joined as stage 1 joined them. Segments without words (imported subtitles) are kept as they
are unless they break the limits; then their text is cut the same way, with times interpolated by
character count.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from dubstudio.core.project import Segment, Settings, Word

#: a silence this long always ends a cue (a cue should not hang on screen over a long pause)
HARD_PAUSE = 1.5
#: the longest cue the search considers, in words (far above what fits two 42-character lines)
MAX_WORDS_PER_CUE = 40
SENTENCE_END = (".", "?", "!", "…", "。", "？", "！")
CLAUSE_END = (",", ";", ":", "—", "–", "-", "、", "，")
CLOSING_QUOTES = "\"'”’»)]"

CUE_COST = 1.0
INNER_SENTENCE_END_COST = 1.5
MID_PHRASE_CUT_COST = 2.5
CLAUSE_CUT_COST = 0.6
PAUSE_CUT_BONUS = 1.5  # per second of pause at the cut, up to one second
INNER_PAUSE_COST = 2.0  # per second of pause above INNER_PAUSE_ALLOWED inside a cue
INNER_PAUSE_ALLOWED = 0.5
FAST_READING_COST = 3.0
SHORT_CUE_COST = 2.0
#: in characters of the longest line: a line break mid-phrase must buy that much balance
LINE_CUT_MID_PHRASE_COST = 15.0


@dataclass(frozen=True)
class _Token:
    """One word in the cutting search: its text as it is glued to the previous word, and its source."""

    piece: str
    start: float
    end: float
    source: int
    word: Word | None


def _ends_with(text: str, endings: tuple[str, ...]) -> bool:
    return text.rstrip().rstrip(CLOSING_QUOTES).endswith(endings)


def _wrapped_line_count(text: str, max_chars: int) -> int:
    """Lines a greedy wrap needs; greedy is optimal for the count, and a too-long word counts as a line."""
    lines, current = 0, 0
    for word in text.split():
        if current and current + 1 + len(word) <= max_chars:
            current += 1 + len(word)
        else:
            lines, current = lines + 1, len(word)
    return lines


def fits_lines(text: str, max_chars: int, max_lines: int) -> bool:
    return (
        all(len(w) <= max_chars for w in text.split()) and _wrapped_line_count(text, max_chars) <= max_lines
    )


def line_break(text: str, max_chars: int = 42, max_lines: int = 2) -> str:
    """`text` as display lines joined by "\\n": the fewest lines that fit, balanced, cut after punctuation.

    When the text cannot fit, it is spread over `max_lines` lines as evenly as possible. Only the
    spaces between words change; the words themselves never do.
    """
    words = text.split()
    if not words:
        return ""
    needed = _wrapped_line_count(" ".join(words), max_chars)
    line_count = max(1, min(len(words), max_lines if needed > max_lines else needed))

    @dataclass
    class _Best:
        cost: float
        cuts: tuple[int, ...]

    def line_cost(first: int, stop: int) -> float:
        length = len(" ".join(words[first:stop]))
        overflow = max(0, length - max_chars)
        return overflow * 1000 + length

    # best[k][j]: cheapest way to set words[:j] on k lines; the cost is the longest line (balance)
    # plus overflow, plus a penalty for each cut that is not after punctuation.
    best: list[dict[int, _Best]] = [{0: _Best(0.0, ())}]
    for lines in range(1, line_count + 1):
        row: dict[int, _Best] = {}
        for stop in range(lines, len(words) + 1):
            for first, previous in best[lines - 1].items():
                if first >= stop:
                    continue
                cut_penalty = 0.0
                if first > 0 and not _ends_with(words[first - 1], SENTENCE_END + CLAUSE_END):
                    cut_penalty = LINE_CUT_MID_PHRASE_COST
                cost = max(previous.cost, line_cost(first, stop)) + cut_penalty
                if stop not in row or cost < row[stop].cost:
                    row[stop] = _Best(cost, (*previous.cuts, first) if first else previous.cuts)
        best.append(row)
    cuts = (*best[line_count][len(words)].cuts, len(words))
    bounds = [0, *cuts]
    return "\n".join(" ".join(words[a:b]) for a, b in itertools.pairwise(bounds))


def _joins_by_concatenation(segment: Segment) -> bool:
    """Whether stage 1 glued the words as-is (leading spaces in the words, or a script without spaces)."""
    return "".join(w.text for w in segment.words).strip() == segment.original_text.strip()


def _word_tokens(segment: Segment, source: int) -> list[_Token]:
    concatenated = _joins_by_concatenation(segment)
    return [
        _Token(w.text if concatenated else " " + w.text.strip(), w.start, w.end, source, w)
        for w in segment.words
    ]


def _text_tokens(segment: Segment, source: int) -> list[_Token]:
    """Words of a segment without timestamps, with times spread over the segment by character count."""
    words = segment.original_text.split()
    weights = [len(w) + 1 for w in words]
    total = sum(weights)
    tokens, elapsed = [], 0
    for word, weight in zip(words, weights, strict=True):
        start = segment.start + segment.duration * elapsed / total
        elapsed += weight
        end = segment.start + segment.duration * elapsed / total
        tokens.append(_Token(" " + word, start, end, source, None))
    return tokens


def _text(tokens: Sequence[_Token]) -> str:
    return "".join(t.piece for t in tokens).strip()


class _Cutter:
    """The cost model and search for one block of tokens."""

    def __init__(self, tokens: list[_Token], limit: float, settings: Settings) -> None:
        self.tokens = tokens
        self.limit = limit  # the latest time a cue of this block may stay on screen
        self.settings = settings
        self.max_chars = settings.max_chars_per_line * settings.max_lines

    def next_start(self, stop: int) -> float:
        return self.tokens[stop].start if stop < len(self.tokens) else self.limit

    def feasible(self, first: int, stop: int, text: str) -> bool:
        if stop - first == 1:
            return True  # a single word is always a cue, however long
        duration = self.tokens[stop - 1].end - self.tokens[first].start
        return (
            duration <= self.settings.max_cue_duration
            and len(text) <= self.max_chars
            and fits_lines(text, self.settings.max_chars_per_line, self.settings.max_lines)
        )

    def cost(self, first: int, stop: int, text: str) -> float:
        tokens, settings = self.tokens, self.settings
        cost = CUE_COST
        if stop < len(tokens):
            last = tokens[stop - 1].piece
            if _ends_with(last, SENTENCE_END):
                cut = 0.0
            elif _ends_with(last, CLAUSE_END):
                cut = CLAUSE_CUT_COST
            else:
                cut = MID_PHRASE_CUT_COST
            pause = tokens[stop].start - tokens[stop - 1].end
            cost += max(0.0, cut - PAUSE_CUT_BONUS * min(pause, 1.0))
        for k in range(first, stop - 1):
            if _ends_with(tokens[k].piece, SENTENCE_END):
                cost += INNER_SENTENCE_END_COST
            cost += INNER_PAUSE_COST * max(0.0, tokens[k + 1].start - tokens[k].end - INNER_PAUSE_ALLOWED)
        shown = min(settings.max_cue_duration, self.next_start(stop) - tokens[first].start)
        cps = len(text) / max(shown, 0.01)
        if cps > settings.max_cps:
            cost += FAST_READING_COST * (cps / settings.max_cps - 1)
        if shown < settings.min_cue_duration:
            cost += SHORT_CUE_COST * (settings.min_cue_duration - shown) / settings.min_cue_duration
        return cost

    def cut(self) -> list[tuple[int, int]]:
        """The cheapest feasible cutting as (first, stop) token ranges."""
        count = len(self.tokens)
        best = [0.0] + [math.inf] * count
        previous = [0] * (count + 1)
        for stop in range(1, count + 1):
            for first in range(stop - 1, max(-1, stop - 1 - MAX_WORDS_PER_CUE), -1):
                text = _text(self.tokens[first:stop])
                if not self.feasible(first, stop, text):
                    break  # longer cues ending here only get worse
                total = best[first] + self.cost(first, stop, text)
                if total < best[stop]:
                    best[stop], previous[stop] = total, first
        ranges, stop = [], count
        while stop > 0:
            ranges.append((previous[stop], stop))
            stop = previous[stop]
        return ranges[::-1]

    def cue_end(self, first: int, stop: int, text: str) -> float:
        """Last word end, lengthened into the following silence for a minimum display and reading time."""
        settings = self.settings
        start, end = self.tokens[first].start, self.tokens[stop - 1].end
        wanted = min(settings.max_cue_duration, max(settings.min_cue_duration, len(text) / settings.max_cps))
        return max(end, min(start + wanted, self.next_start(stop)))


def _needs_cutting(segment: Segment, settings: Settings) -> bool:
    return segment.duration > settings.max_cue_duration or not fits_lines(
        segment.original_text, settings.max_chars_per_line, settings.max_lines
    )


def _blocks(segments: Sequence[Segment], settings: Settings) -> list[list[_Token]]:
    """Runs of tokens that may share cues: one speaker, no long pause; a text-only segment stands alone."""
    blocks: list[list[_Token]] = []
    previous: Segment | None = None
    for index, segment in enumerate(segments):
        if not segment.words:
            blocks.append(_text_tokens(segment, index))
            previous = None
            continue
        tokens = _word_tokens(segment, index)
        joinable = (
            previous is not None
            and previous.speaker_id == segment.speaker_id
            and tokens[0].start - blocks[-1][-1].end < HARD_PAUSE
        )
        if joinable:
            blocks[-1].extend(tokens)
        else:
            blocks.append(tokens)
        previous = segment
    return [part for block in blocks for part in _split_at_pauses(block)]


def _split_at_pauses(tokens: list[_Token]) -> list[list[_Token]]:
    parts: list[list[_Token]] = [[tokens[0]]]
    for before, token in itertools.pairwise(tokens):
        if token.start - before.end >= HARD_PAUSE and token.word is not None:
            parts.append([token])
        else:
            parts[-1].append(token)
    return parts


def _merge_sources(sources: list[Segment], new_id: str) -> dict:
    """The stage-1 facts a cue inherits from the segments its words came from."""
    confidences = [s.confidence for s in sources if s.confidence is not None]
    reasons = list(dict.fromkeys(r for s in sources for r in s.review_reasons))
    issues = [
        dataclasses.replace(issue, subtitle_id=new_id)
        for s in sources
        for issue in s.issues
        if issue.stage == "transcription"
    ]
    return {
        "confidence": min(confidences) if confidences else None,
        "needs_review": any(s.needs_review for s in sources),
        "review_reasons": reasons,
        "issues": issues,
    }


def segment_cues(
    segments: Sequence[Segment], settings: Settings, media_end: float | None = None
) -> list[Segment]:
    """Cut `segments` into subtitle cues (see the module doc); the input is not modified.

    A segment that comes out as exactly one cue with its own words keeps its id (and every other
    field); other cues get "<source id>.<n>", numbered per source segment of their first word.
    With `media_end` (the media's real duration) no cue is lengthened past it, and an imported cue
    running past it is cut back to it: a cue never ends after the last word nor after the media.
    """
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    kept: set[int] = {i for i, s in enumerate(ordered) if not s.words and not _needs_cutting(s, settings)}
    to_cut = [s for i, s in enumerate(ordered) if i not in kept]
    index_of = {id(s): i for i, s in enumerate(ordered)}
    blocks = _blocks(to_cut, settings)
    starts = sorted([b[0].start for b in blocks] + [ordered[i].start for i in kept])

    cues: list[Segment] = [ordered[i] for i in kept]
    numbering: dict[int, int] = {}
    for block in blocks:
        later = [t for t in starts if t > block[-1].end]
        limit = min(later) if later else block[-1].end + settings.max_cue_duration
        if media_end is not None:
            limit = max(min(limit, media_end), block[-1].end)
        cutter = _Cutter(block, limit, settings)
        for first, stop in cutter.cut():
            tokens = block[first:stop]
            text = _text(tokens)
            source_segments = [to_cut[i] for i in dict.fromkeys(t.source for t in tokens)]
            owner = source_segments[0]
            words = [t.word for t in tokens if t.word is not None]
            if len(source_segments) == 1 and words == owner.words and text == owner.original_text.strip():
                cues.append(
                    dataclasses.replace(owner, start=tokens[0].start, end=cutter.cue_end(first, stop, text))
                )
                continue
            owner_index = index_of[id(owner)]
            numbering[owner_index] = numbering.get(owner_index, 0) + 1
            cue_id = f"{owner.id}.{numbering[owner_index]}"
            cues.append(
                Segment(
                    id=cue_id,
                    start=tokens[0].start,
                    end=cutter.cue_end(first, stop, text),
                    speaker_id=owner.speaker_id,
                    original_text=text,
                    words=words,
                    **_merge_sources(source_segments, cue_id),
                )
            )
    cues.sort(key=lambda s: (s.start, s.end))
    if media_end is not None:
        cues = [_within(cue, media_end) for cue in cues]
    return _without_overlaps(cues)


def _within(cue: Segment, media_end: float) -> Segment:
    """`cue` ending no later than the media (or its last word, which stage 2 never moves)."""
    latest = max(media_end, cue.words[-1].end if cue.words else 0.0)
    if cue.end <= latest:
        return cue
    return dataclasses.replace(cue, start=min(cue.start, latest), end=latest)


def _without_overlaps(cues: list[Segment]) -> list[Segment]:
    """Trim each cue to end where the next begins (overlapping speakers, or a kept cue overlapping)."""
    result = []
    for cue, following in zip(cues, [*cues[1:], None], strict=True):
        if following is not None and cue.end > following.start:
            cue = dataclasses.replace(cue, end=max(cue.start, following.start))
        result.append(cue)
    return result
