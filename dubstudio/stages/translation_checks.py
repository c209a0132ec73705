"""Cheap checks that tell a reviewer where a machine translation is likely wrong.

- idioms: a curated list of English idioms and phrasal patterns that literal engines mangle;
- names and numbers: a capitalised word inside a sentence that vanished from the translation (an
  engine translated a name: "Mr. Smith" → "Señor Herrero"), or digits that changed;
- language: a stopword vote (and the script, for non-Latin languages) on what language a text is,
  to notice a translation that is still in the source language.
"""

from __future__ import annotations

import re
from collections import Counter

ENGLISH_IDIOMS = (
    r"a dime a dozen", r"a penny for your thoughts", r"beat(?:s|ing)? around the bush", r"beats me",
    r"big deal", r"bit(?:e|es|ing) the bullet", r"break a leg", r"break(?:s|ing)? the ice",
    r"by the skin of (?:my|your|his|her|our|their) teeth", r"call(?:s|ed|ing)? it a day",
    r"cat got your tongue", r"cost(?:s|ing)? an arm and a leg", r"cut it out", r"drop dead",
    r"for crying out loud", r"get(?:s|ting)? cold feet", r"get a grip", r"get lost", r"give me a break",
    r"go figure", r"hang in there", r"hands down", r"hit(?:s|ting)? the (?:road|sack|hay)",
    r"hold your horses", r"in hot water", r"jump(?:s|ed|ing)? the gun",
    r"keep(?:s|ing)? an eye on", r"kick(?:s|ed|ing)? the bucket", r"knock it off",
    r"let the cat out of the bag", r"make(?:s)? ends meet", r"my bad", r"no way", r"no big deal",
    r"on thin ice", r"once in a blue moon", r"out of the blue", r"over the moon", r"piece of cake",
    r"pull(?:s|ed|ing)? (?:my|your|his|her|their) leg", r"rain check",
    r"raining cats and dogs", r"sit tight", r"sleep on it", r"son of a gun", r"spill(?:s|ed)? the beans",
    r"sure thing", r"take it easy", r"the ball is in your court", r"the last straw",
    r"the whole nine yards", r"under the weather", r"up in the air", r"what the hell", r"when pigs fly",
    r"what's up", r"you bet", r"get(?:s|ting)? out of hand", r"give (?:me|us) a hand", r"come on",
    r"cut (?:me|him|her|them) some slack", r"on the same page", r"in the same boat",
)  # fmt: skip
_IDIOM = re.compile(r"(?<!\w)(?:" + "|".join(ENGLISH_IDIOMS) + r")(?!\w)", re.IGNORECASE)

STOPWORDS = {
    "en": "the a an and of to is are was were you i he she it we they that this what not in on with for my",
    "es": "el la los las un una y de que es son en con por para no se lo mi tu su yo él ella pero muy está",
    "fr": "le la les un une et de du des que est sont en avec pour pas ne je tu il elle nous vous ce qui",
    "it": "il lo la gli le un una e di che è sono in con per non mi ti si io tu lui lei ma questo",
    "pt": "o a os as um uma e de que é são em com para não se eu tu ele ela mas muito do da",
    "de": "der die das ein eine und von zu ist sind nicht ich du er sie es wir mit für auf den dem aber",
    "ca": "el la els les un una i de que és són en amb per no em et es jo tu ell ella però",
}  # fmt: skip
_STOPWORDS = {language: set(words.split()) for language, words in STOPWORDS.items()}

#: Unicode ranges of the script a language is written in, for languages not written in Latin
SCRIPTS = {
    "ru": r"\u0400-\u04FF", "uk": r"\u0400-\u04FF", "bg": r"\u0400-\u04FF", "mk": r"\u0400-\u04FF",
    "el": r"\u0370-\u03FF", "ar": r"\u0600-\u06FF", "fa": r"\u0600-\u06FF", "ur": r"\u0600-\u06FF",
    "he": r"\u0590-\u05FF", "hi": r"\u0900-\u097F", "th": r"\u0E00-\u0E7F",
    "zh": r"\u4E00-\u9FFF", "ja": r"\u3040-\u30FF\u4E00-\u9FFF", "ko": r"\uAC00-\uD7AF\u1100-\u11FF",
}  # fmt: skip
LATIN = r"A-Za-z\u00C0-\u024F"

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;\"“«¿¡-]\s*)$")
_TITLE_BEFORE = re.compile(r"(?<!\w)(?:Mr|Mrs|Ms|Dr|St|Sr|Sra|Jr|Prof)\.\s*$")


def idioms(text: str) -> list[str]:
    """English idioms and phrasal patterns in `text` that a literal translation likely gets wrong."""
    return [match.group(0) for match in _IDIOM.finditer(text)]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def guess_language(text: str, candidates: set[str] | None = None) -> str | None:
    """The language whose stopwords (or script) `text` uses most; None when there is too little to tell."""
    letters = [c for c in text if c.isalpha()]
    for language, script in SCRIPTS.items():
        in_script = sum(bool(re.match(f"[{script}]", c)) for c in letters)
        if letters and in_script > len(letters) / 2 and (candidates is None or language in candidates):
            return language
    votes = Counter()
    for word in words(text.lower()):
        for language, stopwords in _STOPWORDS.items():
            if word in stopwords and (candidates is None or language in candidates):
                votes[language] += 1
    if not votes:
        return None
    (best, count), *rest = [*votes.most_common(2), ("", 0)]
    return best if count >= 2 and count > rest[0][1] else None


def wrong_script(text: str, language: str) -> bool:
    """Whether most letters of `text` are not in the script `language` is written in."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 4:
        return False
    script = SCRIPTS.get(language, LATIN)
    return sum(bool(re.match(f"[{script}]", c)) for c in letters) < len(letters) / 2


def proper_nouns(text: str) -> list[str]:
    """Capitalised words that do not start a sentence (likely names), in order, without repeats."""
    found = []
    for match in _WORD.finditer(text):
        word = match.group(0)
        before = text[: match.start()]
        starts_sentence = _SENTENCE_START.search(before) and not _TITLE_BEFORE.search(before)
        if word[0].isupper() and not starts_sentence and word != "I" and not word.startswith(("I'", "I’")):
            found.append(word)
    return list(dict.fromkeys(found))


def numbers(text: str) -> list[str]:
    return sorted(re.sub(r"[.,:]", "", n) for n in _NUMBER.findall(text))
