"""English names of the languages DubStudio's engines speak, for messages ("a native Spanish voice")."""

from __future__ import annotations

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese",
    "ca": "Catalan", "gl": "Galician", "nl": "Dutch", "pl": "Polish", "ru": "Russian", "uk": "Ukrainian",
    "ja": "Japanese", "zh": "Mandarin Chinese", "ko": "Korean", "ar": "Arabic", "hi": "Hindi",
    "tr": "Turkish", "sv": "Swedish", "eo": "Esperanto",
}  # fmt: skip


def language_name(code: str) -> str:
    """ "pt-br" → "Portuguese"; an unknown code is returned as it is."""
    base = code.lower().replace("_", "-").split("-")[0]
    return LANGUAGE_NAMES.get(base, code or "an unknown language")
