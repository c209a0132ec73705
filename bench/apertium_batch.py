"""How much faster one Apertium process per batch is than one process per cue (en→es, real dialogue).

Run: `.venv/bin/python bench/apertium_batch.py`
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dubstudio.core.subtitles import import_subtitles  # noqa: E402
from dubstudio.engines.apertium import ApertiumTranslator  # noqa: E402


def main() -> int:
    texts = [
        s.original_text
        for s in import_subtitles(REPO / "tests/data/subtitles/farmhouse_dialogue_en.srt").segments
    ]
    apertium = ApertiumTranslator()
    started = time.perf_counter()
    batch = apertium.translate(texts, "en", "es")
    batched = time.perf_counter() - started
    started = time.perf_counter()
    single = [apertium.translate([text], "en", "es")[0] for text in texts]
    one_by_one = time.perf_counter() - started
    print(
        f"{len(texts)} cues: batch {batched:.2f} s, one process per cue {one_by_one:.2f} s, "
        f"speed-up ×{one_by_one / batched:.1f}; identical output: {batch == single}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
