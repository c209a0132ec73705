"""Language codes: one normalisation and one table for the whole program.

A project stores ISO 639-1 codes ("es"); engines and users also write regional or engine variants
("pt-BR", "en_US", "es-419", "EN"). `base_language` is how every layer compares them, and
`LANGUAGES` names them (the dialogs) and gives the ISO 639-2/B tag that MP4 and Matroska language
metadata use (the export). Engines keep their own naming tables where theirs differs (Apertium's
ISO 639-3 mode names, Kokoro's espeak-ng voices).
"""

from __future__ import annotations

from typing import NamedTuple


class Language(NamedTuple):
    name: str
    #: ISO 639-2/B ("bibliographic"), what container language tags use
    iso639_2: str


#: code → name and container tag, in the order the dialogs offer them (the common dub languages first)
LANGUAGES: dict[str, Language] = {
    "en": Language("English", "eng"), "es": Language("Spanish", "spa"), "fr": Language("French", "fre"),
    "de": Language("German", "ger"), "it": Language("Italian", "ita"), "pt": Language("Portuguese", "por"),
    "ca": Language("Catalan", "cat"), "gl": Language("Galician", "glg"), "nl": Language("Dutch", "dut"),
    "pl": Language("Polish", "pol"), "ru": Language("Russian", "rus"), "uk": Language("Ukrainian", "ukr"),
    "ja": Language("Japanese", "jpn"), "zh": Language("Chinese", "chi"), "ko": Language("Korean", "kor"),
    "ar": Language("Arabic", "ara"), "hi": Language("Hindi", "hin"), "tr": Language("Turkish", "tur"),
    "sv": Language("Swedish", "swe"), "eo": Language("Esperanto", "epo"), "cs": Language("Czech", "cze"),
    "da": Language("Danish", "dan"), "el": Language("Greek", "gre"), "eu": Language("Basque", "baq"),
    "fa": Language("Persian", "per"), "fi": Language("Finnish", "fin"), "he": Language("Hebrew", "heb"),
    "hu": Language("Hungarian", "hun"), "id": Language("Indonesian", "ind"),
    "no": Language("Norwegian", "nor"), "ro": Language("Romanian", "rum"), "th": Language("Thai", "tha"),
    "vi": Language("Vietnamese", "vie"),
}  # fmt: skip
#: the tag of an unknown language in containers
UNDETERMINED = "und"


def base_language(code: str) -> str:
    """The ISO 639-1 part of a code: "pt-BR" → "pt", "en_US" → "en", "ES" → "es"."""
    return code.strip().lower().replace("_", "-").split("-")[0]


def same_language(first: str, second: str) -> bool:
    return base_language(first) == base_language(second)


def language_name(code: str) -> str:
    """ "Spanish"; the code itself for a language the table does not name."""
    language = LANGUAGES.get(base_language(code))
    return language.name if language else code


def container_tag(code: str) -> str:
    """The ISO 639-2/B tag for MP4/Matroska metadata ("und" when unknown)."""
    language = LANGUAGES.get(base_language(code))
    return language.iso639_2 if language else UNDETERMINED
