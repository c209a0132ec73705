"""Rule-based translation with Debian Apertium (offline, fast, literal).

A whole batch is one exchange: cues are joined by blank lines, which the `txt` format keeps as
paragraph breaks (and each paragraph is translated as its own sentence); the output is split on
them again. The `line` format is not used: it let words of one line drift into the next in our
measurements. Unknown-word marks (`*word`, and `#`/`@` for generation/transfer errors) are kept in
the output so stage 3 can flag untranslated words, then removed. Apertium is rule-based: it has no
use for the preceding sentence as context.

Speed. `apertium -f txt <mode>` starts a dozen programs that load the pair's dictionaries: about
0.25 s idle and 0.6 s on a busy machine, most of a one-cue re-translate. So each mode's chain stays
running, in null-flush mode (`-z`: every program answers an input ending in "\0" at once with
output ending in "\0"), for the translator's lifetime. The wrapper's own `-z` cannot serve that
here: `apertium-destxt` drops the "\0" and the wrapper's gawk stage holds it back waiting for more
input, so the chain is the one the wrapper builds (`apertium-wblank-mode -z` on the mode file, run
as the wrapper runs it) and the `txt` deformatter and reformatter run per call (a few ms each).
The output is byte-identical to the one-shot command's (tests/engines/test_apertium_pipeline.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.core.languages import base_language
from dubstudio.engines.null_flush import NullFlushProcess

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
#: the `txt` format's deformatter and reformatter, run per call as `apertium -f txt` runs them
_DEFORMAT, _REFORMAT = "apertium-destxt", "apertium-retxt"
#: what `apertium -f txt` passes the mode's programs: $1 (lt-proc's generation: `-g` marks unknown
#: words) and $2 (the tagger's: empty, no ambiguity shown)
_MODE_ARGUMENTS = ("-g", "")


def to_apertium_code(code: str) -> str:
    return ISO_TO_APERTIUM.get(code, code)


def to_iso_code(code: str) -> str:
    """'eng' → 'en'; a variant like 'eng_US' → 'en'; unknown codes pass through."""
    base = base_language(code)
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


def _utf8_locale() -> str:
    """The first UTF-8 locale, as `apertium` picks it for its programs' LC_CTYPE."""
    listing = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout.split()
    return next((name for name in listing if re.search(r"utf[.-]*8", name, re.IGNORECASE)), "C.UTF-8")


class ApertiumTranslator:
    """`Translator` over the installed Apertium modes, one running chain per mode used (see the
    module docstring); `close()` ends them (so does interpreter exit)."""

    name = "apertium"

    def __init__(self, executable: str = "apertium") -> None:
        self.executable = shutil.which(executable)
        self._chains: dict[str, NullFlushProcess] = {}
        self._chains_lock = threading.Lock()

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
        """Translate all `texts` in one exchange with the mode's chain, reporting unknown words per text."""
        mode = self.mode(source, target)
        flat = [" ".join(text.split()) for text in texts]
        wanted = [i for i, text in enumerate(flat) if text]
        results = [MarkedTranslation("", ())] * len(flat)
        if not wanted:
            return results
        output = self.translate_txt("\n\n".join(flat[i] for i in wanted) + "\n", mode)
        outputs = _PARAGRAPH_BREAK.split(output.strip("\n"))
        if len(outputs) != len(wanted):
            raise RuntimeError(
                f"apertium {mode} returned {len(outputs)} paragraphs for {len(wanted)} cues; "
                "the batch separator was not preserved"
            )
        for index, output_text in zip(wanted, outputs, strict=True):
            results[index] = _clean(output_text, flat[index])
        return results

    def translate_txt(self, text: str, mode: str) -> str:
        """What `apertium -f txt <mode>` prints for `text` (marks included), from the mode's running chain."""
        timeout = _TIMEOUT_BASE + _TIMEOUT_PER_CHAR * len(text)
        stream = self._format(_DEFORMAT, text.encode(), timeout)
        translated = self._chain(mode).exchange(stream, timeout)
        return self._format(_REFORMAT, translated, timeout).decode()

    def close(self) -> None:
        """End the running chains (the window closes, or the engine set is replaced)."""
        with self._chains_lock:
            chains = list(self._chains.values())
        for chain in chains:
            chain.close()

    # ---- the processes -------------------------------------------------------------------------
    @cached_property
    def _bin_dir(self) -> Path:
        """Where `apertium` and its programs are (the wrapper puts it first on their PATH)."""
        assert self.executable is not None  # `mode()` found a mode: Apertium is installed
        return Path(self.executable).resolve().parent

    def _format(self, program: str, data: bytes, timeout: float) -> bytes:
        """`data` through the `txt` deformatter or reformatter (small programs: a few ms a call)."""
        completed = subprocess.run(
            [str(self._bin_dir / program)], input=data, capture_output=True, timeout=timeout, check=False
        )
        if completed.returncode != 0:
            message = completed.stderr.decode(errors="replace").strip()
            raise RuntimeError(f"{program} failed ({completed.returncode}): {message}")
        return completed.stdout

    def _chain(self, mode: str) -> NullFlushProcess:
        """The running chain of `mode`'s programs (created on first use, started by its first exchange)."""
        with self._chains_lock:
            if mode not in self._chains:
                self._chains[mode] = NullFlushProcess(
                    ["bash", "-c", self._mode_script(mode), f"apertium-{mode}", *_MODE_ARGUMENTS],
                    name=f"apertium {mode}",
                    env={**os.environ, "PATH": f"{self._bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                         "LC_CTYPE": _utf8_locale()},
                )  # fmt: skip
            return self._chains[mode]

    def _mode_script(self, mode: str) -> str:
        """The shell pipeline `apertium -z` runs for `mode`: its mode file through `apertium-wblank-mode -z`
        (word-bound blanks attached and detached, `-z` on every program)."""
        data_dir = Path(os.environ.get("APERTIUM_DATADIR") or self._bin_dir.parent / "share" / "apertium")
        mode_file = data_dir / "modes" / f"{mode}.mode"
        completed = subprocess.run(
            [str(self._bin_dir / "apertium-wblank-mode"), "-z", str(mode_file)],
            capture_output=True, text=True, timeout=_TIMEOUT_BASE, check=False,
        )  # fmt: skip
        if completed.returncode != 0 or not completed.stdout.strip():
            raise RuntimeError(f"apertium-wblank-mode could not read {mode_file}: {completed.stderr.strip()}")
        return completed.stdout
