"""Apertium en→es on real dialogue: the translator's running chain against Apertium's one-shot command.

Times, in one run: the translator's first call (it starts the mode's chain), one cue through the
running chain (warm, what a re-translate in the editor costs), the whole batch through it, and one
cue through `apertium -f txt eng-spa` (a fresh chain of a dozen processes per call, what the
translator did before it kept its chain); and checks that both give the same bytes.

Run: `.venv/bin/python bench/apertium_batch.py [--rounds N]`
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dubstudio.core.subtitles import import_subtitles  # noqa: E402
from dubstudio.engines.apertium import ApertiumTranslator  # noqa: E402

MODE = "eng-spa"


def _one_shot(text: str) -> str:
    return subprocess.run(
        ["apertium", "-f", "txt", MODE], input=text, capture_output=True, text=True, check=True
    ).stdout


def _seconds(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    texts = [
        s.original_text
        for s in import_subtitles(REPO / "tests/data/subtitles/farmhouse_dialogue_en.srt").segments
    ]
    cue = texts[0] + "\n"
    apertium = ApertiumTranslator()
    try:
        first = _seconds(lambda: apertium.translate([texts[0]], "en", "es"))
        warm = [_seconds(lambda: apertium.translate_txt(cue, MODE)) for _ in range(args.rounds)]
        batch = _seconds(lambda: apertium.translate(texts, "en", "es"))
        one_shot = [_seconds(lambda: _one_shot(cue)) for _ in range(args.rounds)]
        joined = "\n\n".join(" ".join(text.split()) for text in texts) + "\n"
        identical = apertium.translate_txt(joined, MODE) == _one_shot(joined)
    finally:
        apertium.close()
    warm_s, one_shot_s = statistics.median(warm), statistics.median(one_shot)
    print(f"one cue ({len(cue) - 1} characters), median of {args.rounds}: running chain "
          f"{warm_s * 1000:.0f} ms, "
          f"'apertium -f txt' {one_shot_s * 1000:.0f} ms (×{one_shot_s / warm_s:.0f}); the first call, which "
          f"starts the chain, {first * 1000:.0f} ms")  # fmt: skip
    print(f"{len(texts)} cues in one batch through the running chain: {batch * 1000:.0f} ms; "
          f"the same bytes as 'apertium -f txt': {identical}")  # fmt: skip
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
