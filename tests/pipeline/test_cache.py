from __future__ import annotations

from dubstudio.core.project import GlossaryEntry, Settings
from dubstudio.pipeline.cache import KEEP_PER_STAGE, StageCache, input_hash


def test_input_hash_is_stable_and_sensitive():
    settings = Settings(glossary=[GlossaryEntry("Lisbon", "Lisboa")])
    assert input_hash("translation", {"b": 1, "a": 2}, settings) == input_hash(
        "translation", {"a": 2, "b": 1}, Settings(glossary=[GlossaryEntry("Lisbon", "Lisboa")])
    )
    assert input_hash("translation", settings) != input_hash("translation", Settings())
    assert input_hash("translation", "x") != input_hash("synthesis", "x")


def test_store_load_and_damaged_entries_are_misses(tmp_path):
    cache = StageCache(tmp_path)
    assert cache.load("translation", "k1") is None
    cache.store("translation", "k1", {"outputs": {"seg-1": {"fields": {"ttsText": "hola"}}}})
    assert cache.path("translation", "k1") == tmp_path / "cache" / "translation" / "k1.json"
    assert cache.load("translation", "k1") == {"outputs": {"seg-1": {"fields": {"ttsText": "hola"}}}}
    cache.path("translation", "k1").write_text("{not json", encoding="utf-8")
    assert cache.load("translation", "k1") is None


def test_old_entries_are_pruned(tmp_path):
    cache = StageCache(tmp_path)
    for number in range(KEEP_PER_STAGE + 3):
        cache.store("synthesis", f"k{number}", {"n": number})
    kept = sorted(p.stem for p in (tmp_path / "cache" / "synthesis").glob("*.json"))
    assert len(kept) == KEEP_PER_STAGE
    assert cache.load("synthesis", f"k{KEEP_PER_STAGE + 2}") == {"n": KEEP_PER_STAGE + 2}
