"""One language-code normalisation for every layer, and one table of names and container tags."""

from __future__ import annotations

from dubstudio.core.languages import LANGUAGES, base_language, container_tag, language_name, same_language


def test_regional_and_engine_variants_compare_equal():
    assert [base_language(c) for c in ("pt-BR", "en_US", "es-419", "EN", " fr ", "eng_US")] == [
        "pt", "en", "es", "en", "fr", "eng",
    ]  # fmt: skip
    assert same_language("pt-br", "pt_PT") and not same_language("pt", "es")


def test_names_and_container_tags():
    assert language_name("es-MX") == "Spanish" and language_name("xx") == "xx"
    assert container_tag("de") == "ger" and container_tag("zh-CN") == "chi" and container_tag("xx") == "und"
    assert all(len(code) == 2 and len(language.iso639_2) == 3 for code, language in LANGUAGES.items())
