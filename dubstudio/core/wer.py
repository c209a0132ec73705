"""Word error rate of a recognised text against the text that was spoken (the voice QA's measure).

Both texts are normalised the same way first: lower case, punctuation dropped, whitespace collapsed.
Languages written without spaces are scored per character (CER), which is what WER means there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

#: scored per character: their words are not separated by spaces
SPACELESS_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "km", "bo", "yue"})


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def _tokens(text: str, language: str) -> list[str]:
    normal = normalize(text)
    if language.split("-")[0].lower() in SPACELESS_LANGUAGES:
        return [ch for ch in normal if not ch.isspace()]
    return normal.split()


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Substitutions + deletions + insertions turning `reference` into `hypothesis`."""
    previous = list(range(len(hypothesis) + 1))
    for i, word in enumerate(reference, start=1):
        current = [i]
        for j, heard in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != heard)))
        previous = current
    return previous[-1]


def error_counts(reference: str, hypothesis: str, language: str) -> tuple[int, int]:
    """(errors, reference length) in words (characters for spaceless languages)."""
    expected, heard = _tokens(reference, language), _tokens(hypothesis, language)
    return edit_distance(expected, heard), len(expected)


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str], language: str) -> float:
    """Errors over all pairs divided by the reference words over all pairs (corpus WER)."""
    errors = total = 0
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        count, length = error_counts(reference, hypothesis, language)
        errors, total = errors + count, total + length
    return errors / total if total else 0.0
