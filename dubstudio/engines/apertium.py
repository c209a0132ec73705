"""Rule-based translation with the Debian `apertium` command (offline, fast, literal).

A whole batch goes through one `apertium` process: cues are joined by blank lines, which the `txt`
format keeps as paragraph breaks (and each paragraph is translated as its own sentence); the output
is split on them again. The `line` format is not used: it let words of one line drift into the
next in our measurements. Unknown-word marks (`*word`, and `#`/`@` for generation/transfer
errors) are kept in the process output so stage 3 can flag untranslated words, then removed.
Apertium is rule-based: it has no use for the preceding sentence as context.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from dubstudio.core.errors import UnsupportedLanguageError

#: ISO 639-1 ↔ the ISO 639-3 codes Apertium names its modes and Debian packages with
ISO_TO_APERTIUM = {
    "af": "afr", "an": "arg", "ast": "ast", "be": "bel", "bg": "bul", "br": "bre", "ca": "cat",
    "da": "dan", "de": "deu", "en": "eng", "eo": "epo", "es": "spa", "eu": "eus", "fr": "fra",
    "gl": "glg", "hi": "hin", "id": "ind", "is": "isl", "it": "ita", "mk": "mkd", "ms": "zlm",
    "nb": "nob", "nl": "nld", "nn": "nno", "no": "nor", "oc": "oci", "pl": "pol", "pt": "por",
    "ro": "ron", "ru": "rus", "sc": "srd", "sh": "hbs", "sl": "slv", "sv": "swe", "uk": "ukr",
    "ur": "urd",
}  # fmt: skip
APERTIUM_TO_ISO = {three: two for two, three in ISO_TO_APERTIUM.items()}

#: Debian packages of Apertium language pairs (both directions are in one package)
DEBIAN_PAIR_PACKAGES = (
    "apertium-afr-nld", "apertium-arg-cat", "apertium-bel-rus", "apertium-br-fr", "apertium-cat-ita",
    "apertium-cat-srd", "apertium-dan-nor", "apertium-en-gl", "apertium-eng-cat", "apertium-eng-spa",
    "apertium-eo-ca", "apertium-eo-en", "apertium-eo-es", "apertium-eo-fr", "apertium-es-gl",
    "apertium-es-pt", "apertium-es-ro", "apertium-eu-en", "apertium-eu-es", "apertium-fr-es",
    "apertium-fra-cat", "apertium-hbs-eng", "apertium-hbs-mkd", "apertium-hbs-slv", "apertium-ind-zlm",
    "apertium-isl-eng", "apertium-isl-swe", "apertium-mkd-bul", "apertium-mkd-eng", "apertium-nno-nob",
    "apertium-oc-ca", "apertium-oc-es", "apertium-oci-fra", "apertium-pol-szl", "apertium-por-cat",
    "apertium-pt-gl", "apertium-rus-ukr", "apertium-spa-arg", "apertium-spa-ast", "apertium-spa-cat",
    "apertium-spa-ita", "apertium-srd-ita", "apertium-swe-dan", "apertium-swe-nor", "apertium-urd-hin",
)  # fmt: skip

_MARKED = re.compile(r"([*#@])(\w[\w'’-]*)")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
#: seconds per call plus per character (generous: the machine may be busy)
_TIMEOUT_BASE, _TIMEOUT_PER_CHAR = 30.0, 0.01


def to_apertium_code(code: str) -> str:
    return ISO_TO_APERTIUM.get(code, code)


def to_iso_code(code: str) -> str:
    """'eng' → 'en'; a variant like 'eng_US' → 'en'; unknown codes pass through."""
    base = code.split("_")[0]
    return APERTIUM_TO_ISO.get(base, base)


def debian_package_for(source: str, target: str) -> str | None:
    """The Debian package that adds `source`→`target`, if Debian has one."""
    codes = {to_apertium_code(source), to_apertium_code(target)}
    short = {source, target}
    for name in DEBIAN_PAIR_PACKAGES:
        parts = set(name.removeprefix("apertium-").split("-"))
        if parts in (codes, short):
            return name
    return None


def install_hint(source: str, target: str) -> str:
    package = debian_package_for(source, target)
    if package:
        return f"apt install {package}"
    return f"Debian has no Apertium package for {source}→{target} (see 'apt-cache search apertium')"


@dataclass(frozen=True)
class MarkedTranslation:
    """A translation and the source words Apertium did not know (left untranslated)."""

    text: str
    unknown_words: tuple[str, ...]


#: an unknown word followed by a capitalised one: Apertium capitalises the word after an unknown
#: word at the start of a sentence ("*Priya Dijo que…")
_CAPITAL_AFTER_UNKNOWN = re.compile(r"(\*\w[\w'’-]*\s+)([A-ZÁÉÍÓÚÑ])([a-záéíóúñü]+)")


def _clean(output: str, source: str) -> MarkedTranslation:
    """Remove Apertium's marks (unless the source itself had the marked form) and tidy spacing."""
    unknown = []
    source_words = set(re.findall(r"\w+", source))

    def lower_after_unknown(match: re.Match[str]) -> str:
        word = match.group(2) + match.group(3)
        return (
            match.group(0)
            if word in source_words
            else match.group(1) + match.group(2).lower() + match.group(3)
        )

    output = _CAPITAL_AFTER_UNKNOWN.sub(lower_after_unknown, output)

    def unmark(match: re.Match[str]) -> str:
        if match.group(0) in source:
            return match.group(0)
        if match.group(1) == "*":
            unknown.append(match.group(2))
        return match.group(2)

    text = _MARKED.sub(unmark, output)
    text = re.sub(r"[ \t]+", " ", text).strip()
    return MarkedTranslation(text, tuple(unknown))


class ApertiumTranslator:
    """`Translator` over the installed Apertium modes."""

    name = "apertium"

    def __init__(self, executable: str = "apertium") -> None:
        self.executable = shutil.which(executable)

    @cached_property
    def _modes(self) -> dict[tuple[str, str], str]:
        """(source, target) ISO pair → mode name; a plain mode wins over a variant like `spa-eng_US`."""
        if self.executable is None:
            return {}
        listing = subprocess.run(
            [self.executable, "-l"], capture_output=True, text=True, timeout=_TIMEOUT_BASE, check=False
        ).stdout
        modes: dict[tuple[str, str], str] = {}
        for mode in sorted(listing.split(), key=lambda m: ("_" in m, m)):
            parts = mode.split("-")
            if len(parts) == 2:
                modes.setdefault((to_iso_code(parts[0]), to_iso_code(parts[1])), mode)
        return modes

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._modes)

    def mode(self, source: str, target: str) -> str:
        try:
            return self._modes[(source, target)]
        except KeyError:
            raise UnsupportedLanguageError(
                f"Apertium cannot translate {source}→{target}",
                fix=f"For Apertium: {install_hint(source, target)}.",
            ) from None

    def translate(
        self, texts: Sequence[str], source: str, target: str, *, context: Sequence[str] = ()
    ) -> list[str]:
        return [marked.text for marked in self.translate_marked(texts, source, target)]

    def translate_marked(self, texts: Sequence[str], source: str, target: str) -> list[MarkedTranslation]:
        """Translate all `texts` in one process call, reporting unknown words per text."""
        mode = self.mode(source, target)
        flat = [" ".join(text.split()) for text in texts]
        wanted = [i for i, text in enumerate(flat) if text]
        results = [MarkedTranslation("", ())] * len(flat)
        if not wanted:
            return results
        joined = "\n\n".join(flat[i] for i in wanted) + "\n"
        completed = subprocess.run(
            [self.executable or "apertium", "-f", "txt", mode],
            input=joined,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_BASE + _TIMEOUT_PER_CHAR * len(joined),
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"apertium {mode} failed ({completed.returncode}): {completed.stderr.strip()}")
        outputs = _PARAGRAPH_BREAK.split(completed.stdout.strip("\n"))
        if len(outputs) != len(wanted):
            raise RuntimeError(
                f"apertium {mode} returned {len(outputs)} paragraphs for {len(wanted)} cues; "
                "the batch separator was not preserved"
            )
        for index, output in zip(wanted, outputs, strict=True):
            results[index] = _clean(output, flat[index])
        return results
