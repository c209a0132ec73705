"""chrF of stage 3's Spanish against hand-written references, before and after its sentence-level
translation with the en-es language data.

Two texts: the bundled sample's script (resources/sample/reference_es.txt) — the en-es rules and
phrasebook were written while looking at its output, so its "after" is an optimistic number — and
the farmhouse test dialogue (tests/data/subtitles/farmhouse_dialogue_es_reference.txt), a held-out
text whose reference was written after the rules, which they were not tuned on.

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

from dubstudio.core.project import Segment, Settings  # noqa: E402
from dubstudio.core.store import load_project  # noqa: E402
from dubstudio.core.subtitles import import_subtitles  # noqa: E402
from dubstudio.engines.apertium import ApertiumTranslator  # noqa: E402
from dubstudio.stages.translation import translate_segments  # noqa: E402


def reference_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if line.strip() and not line.startswith("#")]
    return [line.partition(": ")[2] if ": " in line[:12] else line for line in lines]


def before_and_after(cues: list[Segment]) -> tuple[list[str], list[str]]:
    """Apertium cue by cue (stage 3 until now; no glossary), and stage 3 now."""
    apertium = ApertiumTranslator()
    before = apertium.translate([" ".join(c.original_text.split()) for c in cues], "en", "es")
    after = translate_segments(
        cues,
        apertium,
        source="en",
        subtitle_language="es",
        tts_language="es",
        glossary=[],
        settings=Settings(),
    )
    return before, [s.translated_text for s in after]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="also score the translations of this project folder")
    args = parser.parse_args()
    chrf = CHRF()
    references = reference_lines(REPO / "resources/sample/reference_es.txt")
    before, after = before_and_after(sample_cues())
    scores = [chrf.corpus_score(text, [references]).score for text in (before, after)]
    print(
        f"sample script, {len(before)} lines (rules written on it): "
        f"chrF before {scores[0]:.1f}, after {scores[1]:.1f}"
    )
    for number in (0, 2):
        print(f"  line {number + 1}: {before[number]!r}\n       → {after[number]!r}")
    farmhouse = REPO / "tests/data/subtitles"
    held_out = reference_lines(farmhouse / "farmhouse_dialogue_es_reference.txt")
    before, after = before_and_after(import_subtitles(farmhouse / "farmhouse_dialogue_en.srt").segments)
    scores = [chrf.corpus_score(text, [held_out]).score for text in (before, after)]
    print(
        f"farmhouse dialogue, {len(before)} cues (held out): chrF before {scores[0]:.1f}, "
        f"after {scores[1]:.1f}"
    )
    if args.project:
        project = load_project(args.project)
        document = " ".join(s.translated_text for s in project.segments)
        score = chrf.corpus_score([document], [[" ".join(references)]]).score  # alignment-free
        print(f"project {args.project} ({len(project.segments)} cues, recognised speech): chrF {score:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
