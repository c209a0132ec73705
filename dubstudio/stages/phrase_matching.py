"""One matching engine for the glossary and the phrasebook: fixed renderings found in a source text.

A `Phrase` is a source expression and the target text it must become. Matching is
- case-insensitive unless the phrase says otherwise;
- on word boundaries (a phrase never matches inside a longer word);
- longest first, leftmost, never overlapping ("New York Times" beats "New York");
- inflection-tolerant where the source language allows it: the last word may carry one of the
  language's suffixes ("farmhouse" also finds "farmhouses"), and the rendering is then inflected
  with the target language's plural rules ("granja" → "granjas");
- for a clause phrase (greetings, interjections, short replies), only where the phrase fills a
  whole clause: between the start or end of the text and punctuation ("Great." or "Morning,
  Daniel." but never "a great idea").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

Scope = Literal["word", "clause"]

#: what may stand between a clause phrase and the start/end of its clause
_CLAUSE_EDGE_BEFORE = r"(?:^\s*|(?<=[.,;:!?…—–¿¡\"“«(])\s*)"
_CLAUSE_EDGE_AFTER = r"(?=\s*(?:$|[.,;:!?…—–\"”»)]))"


@dataclass(frozen=True)
class Phrase:
    source: str
    target: str
    case_sensitive: bool = False
    scope: Scope = "word"
    #: follow the source's capitalisation ("Great" → "Genial", "great" → "genial"); glossary
    #: renderings are written exactly as the user gave them
    adapt_case: bool = False
    #: "glossary" (the user's terms: they win any overlap, and a lost one is reported) or "phrasebook"
    kind: str = "glossary"


@dataclass(frozen=True)
class PhraseMatch:
    start: int
    end: int
    phrase_index: int
    rendering: str


def _inflect(word: str, rules: Sequence[tuple[str, str]]) -> str:
    for pattern, replacement in rules:
        inflected, count = re.subn(pattern, replacement, word, count=1)
        if count:
            return inflected
    return word


def _with_case_of(text: str, source: str) -> str:
    if not text or not source:
        return text
    if source[0].isupper() and text[0].islower():
        return text[0].upper() + text[1:]
    if source[0].islower() and text[0].isupper() and not text.isupper():
        return text[0].lower() + text[1:]
    return text


class PhraseMatcher:
    """Finds `phrases` in texts; `suffixes` are the source language's tolerated inflections of the
    last word, `plural_rules` the target's (regex, replacement) rules for the rendering's last word."""

    def __init__(
        self,
        phrases: Sequence[Phrase],
        *,
        suffixes: Sequence[str] = (),
        plural_rules: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.phrases = list(phrases)
        self.suffixes = sorted(suffixes, key=len, reverse=True)
        self.plural_rules = list(plural_rules)

    @cached_property
    def _patterns(self) -> list[tuple[int, re.Pattern[str]]]:
        def priority(index: int) -> tuple[bool, int]:
            return self.phrases[index].kind != "glossary", -len(self.phrases[index].source)

        order = sorted(range(len(self.phrases)), key=priority)
        return [(index, self._compile(self.phrases[index])) for index in order]

    def _compile(self, phrase: Phrase) -> re.Pattern[str]:
        words = [re.escape(word) for word in phrase.source.split()]
        body = r"\s+".join(words)
        inflectable = self.suffixes and phrase.source[-1:].isalpha()
        suffix = "(?P<suffix>" + "|".join(map(re.escape, self.suffixes)) + ")?" if inflectable else ""
        if phrase.scope == "clause":
            pattern = rf"{_CLAUSE_EDGE_BEFORE}(?P<body>{body}){suffix}{_CLAUSE_EDGE_AFTER}"
        else:
            pattern = rf"(?<!\w)(?P<body>{body}){suffix}(?!\w)"
        return re.compile(pattern, 0 if phrase.case_sensitive else re.IGNORECASE)

    def _rendering(self, phrase: Phrase, match: re.Match[str]) -> str:
        rendering = phrase.target or phrase.source
        if match.groupdict().get("suffix") and phrase.target:
            head, _, last = rendering.rpartition(" ")
            rendering = f"{head} {_inflect(last, self.plural_rules)}".strip()
        return _with_case_of(rendering, match.group("body")) if phrase.adapt_case else rendering

    def find(self, text: str) -> list[PhraseMatch]:
        """Non-overlapping matches in text order; a glossary term wins over a phrasebook entry, and a
        longer phrase over one it contains."""
        taken: list[PhraseMatch] = []
        for index, pattern in self._patterns:
            for match in pattern.finditer(text):
                start, end = match.start("body"), match.end()
                if any(start < other.end and other.start < end for other in taken):
                    continue
                taken.append(PhraseMatch(start, end, index, self._rendering(self.phrases[index], match)))
        return sorted(taken, key=lambda m: m.start)

    def contains(self, text: str, phrase: Phrase) -> bool:
        """Whether `phrase`'s rendering occurs in `text` as a whole word sequence (for lost-term checks)."""
        rendering = phrase.target or phrase.source
        return PhraseMatcher([Phrase(rendering, rendering)], suffixes=self.suffixes).find(text) != []
