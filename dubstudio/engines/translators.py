"""Which translation engines are usable here, and which one to use for a language pair.

Argos Translate (neural) is preferred when it has the pair; Apertium (rule-based) is the fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.engines.apertium import ApertiumTranslator, MarkedTranslation, install_hint
from dubstudio.engines.argos import ArgosTranslator
from dubstudio.engines.base import Translator

ENGINE_NAMES = ("argos", "apertium")


@runtime_checkable
class MarkingTranslator(Protocol):
    """A translator that can also say which source words it could not translate."""

    def translate_marked(self, texts: Sequence[str], source: str, target: str) -> list[MarkedTranslation]: ...


def create_translator(name: str) -> Translator:
    if name == "argos":
        return ArgosTranslator()
    if name == "apertium":
        return ApertiumTranslator()
    raise ValueError(f"unknown translation engine {name!r} (known: {', '.join(ENGINE_NAMES)})")


def available_translators() -> list[Translator]:
    """The engines that can translate at least one pair now, preferred first."""
    return [t for t in (create_translator(name) for name in ENGINE_NAMES) if t.pairs()]


def pick_translator(source: str, target: str, preferred: str = "auto") -> Translator:
    """The engine for `source`→`target`: `preferred`; "auto" picks Argos if it has the pair, else Apertium."""
    names = ENGINE_NAMES if preferred == "auto" else (preferred,)
    for name in names:
        translator = create_translator(name)
        if (source, target) in translator.pairs():
            return translator
    advice = {
        "argos": f"import an .argosmodel for {source}→{target} in the model manager",
        "apertium": install_hint(source, target),
    }
    raise UnsupportedLanguageError(
        f"no installed translation engine translates {source}→{target} (tried: {', '.join(names)})",
        fix="To add it: " + "; or ".join(advice[name] for name in names) + ".",
    )
