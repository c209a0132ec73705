"""chrF of the bundled sample's Spanish against a hand-written reference, before and after stage 3's
sentence-level translation with the en-es language data.

"before" is what stage 3 produced until now: Apertium on each cue as it is (the glossary is empty
for the sample, so that was the plain engine output); "after" is `translate_segments` as the
pipeline runs it. The cues are the sample's script lines (reference.srt), so the score measures
translation, not recognition; with `--project DIR` the translations in a dubbed project folder
(e.g. from `dubstudio dub resources/sample/dialogue.mp4 --to es --out DIR`) are scored too, as one
document (cues and script lines need not align). The reference is resources/sample/reference_es.txt.

Run: `.venv/bin/python bench/translation_quality.py [--project DIR]` (needs sacrebleu, a dev dependency)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "stages"))

from sacrebleu.metrics import CHRF  # noqa: E402
from translation_helpers import sample_cues  # noqa: E402

from dubstudio.core.project import Settings  # noqa: E402
from dubstudio.core.store import load_project  # noqa: E402
from dubstudio.engines.apertium import ApertiumTranslator  # noqa: E402
from dubstudio.stages.translation import translate_segments  # noqa: E402


def reference_lines() -> list[str]:
    lines = (REPO / "resources/sample/reference_es.txt").read_text(encoding="utf-8").splitlines()
    return [line.partition(": ")[2] for line in lines if line.strip() and not line.startswith("#")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="also score the translations of this project folder")
    args = parser.parse_args()
    references = reference_lines()
    cues = sample_cues()
    apertium = ApertiumTranslator()
    before = apertium.translate([c.original_text for c in cues], "en", "es")
    after = [
        s.translated_text
        for s in translate_segments(
            cues,
            apertium,
            source="en",
            subtitle_language="es",
            tts_language="es",
            glossary=[],
            settings=Settings(),
        )
    ]
    chrf = CHRF()
    score_before = chrf.corpus_score(before, [references]).score
    score_after = chrf.corpus_score(after, [references]).score
    print(f"sample script, {len(cues)} lines: chrF before {score_before:.1f}, after {score_after:.1f}")
    for number in (0, 2):
        print(f"  line {number + 1}: {before[number]!r}\n       → {after[number]!r}")
    if args.project:
        project = load_project(args.project)
        document = " ".join(s.translated_text for s in project.segments)
        score = chrf.corpus_score([document], [[" ".join(references)]]).score
        print(f"project {args.project} ({len(project.segments)} cues, recognised speech): chrF {score:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
