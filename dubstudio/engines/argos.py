"""Neural translation with the argostranslate packages installed on this machine.

Packages are found where argostranslate looks (its `ARGOS_PACKAGES_DIR` setting, read when
argostranslate is first imported); installing `.argosmodel` files is the model manager's job.
argostranslate's own translation graph composes installed packages, so es→de works through
es→en + en→de when no direct package exists; `pairs()` reports those composed pairs too.

Sentence splitting: argostranslate would split each text with Stanza (which fetches its
resources index on first use) or MiniSBD (which downloads a model unless the package ships one).
Both need the network, and a subtitle cue is at most two lines anyway, so every package is given an
offline punctuation splitter before translating.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from dubstudio.core.errors import UnsupportedLanguageError

_SENTENCE = re.compile(r".+?(?:[.!?…。！？]+[\"'”’»)\]]*(?=\s|$)|$)", re.DOTALL)


def split_sentences(text: str) -> list[str]:
    """Sentences of a short text, cut after terminal punctuation followed by a space or the end."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def installed_package_dirs() -> list[Path]:
    """Folders of installed argostranslate packages, found without importing the translator."""
    from argostranslate import settings

    return [
        package
        for folder in map(Path, settings.package_dirs)
        if folder.is_dir()
        for package in folder.iterdir()
        if (package / "metadata.json").is_file()
    ]


class _PunctuationSentencizer:
    """argostranslate's sentence-boundary interface (`split_sentences`), offline."""

    def split_sentences(self, text: str) -> list[str]:
        return split_sentences(text) or [text]


class ArgosTranslator:
    """`Translator` over installed argostranslate packages (CTranslate2 models)."""

    name = "argos"
    #: a neural model: stage 3 skips the rules written for rule-based engines (language_rules.py)
    rule_based = False

    def __init__(self) -> None:
        self._translate_module = None
        self._prepared: set[int] = set()

    def refresh(self) -> None:
        """Forget argostranslate's cached package graph (after the model manager installed a package)."""
        if self._translate_module is not None:
            self._translate_module.get_installed_languages.cache_clear()
        self._prepared.clear()

    def _languages(self) -> list:
        # argostranslate.translate pulls in spaCy and Stanza (seconds of imports holding the GIL, which
        # freezes the editor while the pipeline runs): import it only when a package is installed.
        if self._translate_module is None:
            if not installed_package_dirs():
                return []
            from argostranslate import translate

            self._translate_module = translate
        return self._translate_module.get_installed_languages()

    def pairs(self) -> set[tuple[str, str]]:
        return {
            (language.code, translation.to_lang.code)
            for language in self._languages()
            for translation in language.translations_from
            if translation.to_lang.code != language.code
        }

    def _translation(self, source: str, target: str):
        languages = {language.code: language for language in self._languages()}
        translation = None
        if source in languages and target in languages and source != target:
            translation = languages[source].get_translation(languages[target])
        if translation is None:
            raise UnsupportedLanguageError(
                f"no installed Argos Translate package translates {source}→{target}",
                fix=f"Import an .argosmodel for {source}→{target} in the model manager.",
            )
        self._use_offline_sentencizer(translation)
        return translation

    def _use_offline_sentencizer(self, translation) -> None:
        """Walk cached/composite translations down to the package ones and swap their splitter."""
        if id(translation) in self._prepared:
            return
        self._prepared.add(id(translation))
        for attribute in ("underlying", "t1", "t2"):
            inner = getattr(translation, attribute, None)
            if inner is not None:
                self._use_offline_sentencizer(inner)
        if hasattr(translation, "sentencizer"):
            translation.sentencizer = _PunctuationSentencizer()

    def translate(
        self, texts: Sequence[str], source: str, target: str, *, context: Sequence[str] = ()
    ) -> list[str]:
        """Each text, conditioned on the sentence before it (`context[i]`) where one is given."""
        translation = self._translation(source, target)
        before = list(context) if len(context) == len(texts) else [""] * len(texts)
        results = []
        for text, previous in zip(texts, before, strict=True):
            flat = " ".join(text.split())
            results.append(_in_context(translation, flat, " ".join(previous.split())) if flat else "")
        return results


def _package_translation(translation):
    """The package translation under argostranslate's cache; None for a composed (pivot) one."""
    while hasattr(translation, "underlying"):
        translation = translation.underlying
    return translation if hasattr(translation, "pkg") else None


def _in_context(translation, text: str, previous: str) -> str:
    """Translate `text` as the continuation of `previous`.

    The model reads "previous text" as one source and is forced to begin its output with its own
    translation of `previous` (CTranslate2's `target_prefix`); what it writes after that prefix is
    the translation of `text`, chosen with the preceding sentence in view (pronouns, agreement,
    register). Without context, through a pivot pair, or if nothing follows the prefix, the text
    is translated on its own.
    """
    package = _package_translation(translation)
    if not previous or package is None:
        return translation.translate(text).strip()
    previous_target = translation.translate(previous).strip()  # also loads the CTranslate2 model
    if package.translator is None or not previous_target:
        return translation.translate(text).strip()
    tokenizer, lead = package.pkg.tokenizer, [package.pkg.target_prefix] if package.pkg.target_prefix else []
    prefix = lead + tokenizer.encode(previous_target)
    own = tokenizer.encode(text)
    (result,) = package.translator.translate_batch(
        [tokenizer.encode(f"{previous} {text}")],
        target_prefix=[prefix],
        beam_size=4,
        # the text is not empty: its translation is at least a token after the prefix (a model
        # may otherwise stop where the sentence before ends, and the context would be lost)
        min_decoding_length=len(prefix) + 1,
        max_decoding_length=len(prefix) + 3 * len(own) + 8,
        replace_unknowns=True,
    )
    continuation = tokenizer.decode(result.hypotheses[0][len(prefix) :]).strip()
    return continuation or translation.translate(text).strip()
