"""Stage 3: translate each cue for the on-screen subtitles and for the dub, and flag risky cues.

Per cue two outputs: `translated_text` in the subtitle language and `tts_text` in the dubbing
language (`tts_language`). One translation serves both when the languages are equal; a language
equal to the source gets the original text. Timestamps, speakers and words are never touched.

Each cue is translated on its own (the neighbouring cues go along as `context`), with glossary terms
protected by placeholders. The findings are stage-3 issues (`stage="translation"`):
`empty_translation` (error), `untranslated`, `glossary_miss`, `idiom`, `length_overflow`
(warnings). Re-translating a selection (`only_ids`) replaces the stage-3 issues of those cues only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.core.progress import CancelToken, ProgressCallback, ignore_progress, stage_reporter
from dubstudio.core.project import GlossaryEntry, Segment, Settings, ValidationIssue
from dubstudio.engines.base import Translator
from dubstudio.engines.translators import MarkingTranslator
from dubstudio.stages import translation_checks as checks
from dubstudio.stages.glossary import Protected, is_placeholder, protect, restore
from dubstudio.stages.speech_rate import DEFAULT_ENGINE, calibrated_engines, estimate_duration, speech_rate

STAGE = "translation"
#: cues per engine call: big enough for Apertium's one-process batches, small enough to cancel quickly
BATCH_SIZE = 24


@dataclass
class _Output:
    """One translation of one cue, with what went wrong on the way."""

    text: str = ""
    unknown_words: list[str] = field(default_factory=list)
    lost_terms: list[str] = field(default_factory=list)


def _issue(segment: Segment, code: str, message: str, severity: str = "warning", **extra) -> ValidationIssue:
    return ValidationIssue(segment.id, code, message, severity=severity, stage=STAGE, **extra)  # type: ignore[arg-type]


def _translate_language(
    cues: Sequence[Segment],
    neighbours: Sequence[tuple[str, str]],
    translator: Translator,
    source: str,
    target: str,
    glossary: Sequence[GlossaryEntry],
    report,
    cancel: CancelToken | None,
) -> list[_Output]:
    protected = [protect(" ".join(cue.original_text.split()), glossary) for cue in cues]
    outputs: list[_Output] = []
    for first in range(0, len(cues), BATCH_SIZE):
        if cancel is not None:
            cancel.raise_if_cancelled()
        batch = protected[first : first + BATCH_SIZE]
        texts = [p.text for p in batch]
        context = (neighbours[first][0], neighbours[min(first + BATCH_SIZE, len(cues)) - 1][1])
        if isinstance(translator, MarkingTranslator):
            marked = translator.translate_marked(texts, source, target)
            results = [(m.text, list(m.unknown_words)) for m in marked]
        else:
            results = [(text, []) for text in translator.translate(texts, source, target, context=context)]
        for item, (text, unknown) in zip(batch, results, strict=True):
            outputs.append(_restore(text, unknown, item, glossary))
        report((first + len(batch)) / len(cues), f"{source}→{target}")
    return outputs


def _restore(text: str, unknown: list[str], item: Protected, glossary: Sequence[GlossaryEntry]) -> _Output:
    restored, lost = restore(text, item, glossary)
    return _Output(restored, [w for w in unknown if not is_placeholder(w)], lost)


def _findings(
    segment: Segment,
    outputs: dict[str, _Output],
    source: str,
    tts_language: str,
    synthesizer: str,
    tolerance: float,
) -> list[ValidationIssue]:
    """Stage-3 issues for one cue; `outputs` maps each translated language to its output."""
    issues: list[ValidationIssue] = []
    original = " ".join(segment.original_text.split())
    for language, output in outputs.items():
        label = f"{language} translation"
        if original and not output.text.strip():
            issues.append(_issue(segment, "empty_translation", f"the {label} is empty", "error"))
            continue
        reasons = []
        if checks.words(original) and output.text.casefold() == original.casefold():
            reasons.append("it is identical to the source")
        common = [w for w in output.unknown_words if w[:1].islower()]
        if common:
            reasons.append("the engine did not know: " + ", ".join(dict.fromkeys(common)))
        if checks.wrong_script(output.text, language):
            reasons.append(f"it is not written in the script of '{language}'")
        elif checks.guess_language(output.text, {source, language}) == source:
            reasons.append(f"it still reads as '{source}'")
        if reasons:
            issues.append(
                _issue(
                    segment,
                    "untranslated",
                    f"the {label} may be untranslated: {'; '.join(reasons)}",
                    suggestion="Translate the cue by hand or check the language pair.",
                )
            )
        if output.lost_terms:
            issues.append(
                _issue(
                    segment,
                    "glossary_miss",
                    f"glossary term(s) lost in the {label}: {', '.join(output.lost_terms)}",
                    suggestion="Put the glossary rendering back in by hand.",
                )
            )
        issues.extend(_cultural_findings(segment, original, output.text, label, source))
    if tts_language in outputs or tts_language == source:
        issues.extend(_length_findings(segment, tts_language, synthesizer, tolerance))
    return _one_issue_per_code(issues)


def _cultural_findings(segment: Segment, original: str, translated: str, label: str, source: str) -> list:
    problems = []
    if source == "en":
        problems += [f"idiom '{idiom}'" for idiom in checks.idioms(original)]
    translated_words = {w.casefold() for w in checks.words(translated)}
    problems += [
        f"name '{n}' was translated"
        for n in checks.proper_nouns(original)
        if n.casefold() not in translated_words
    ]
    if checks.numbers(original) != checks.numbers(translated):
        problems.append(
            "numbers differ: "
            + ", ".join(checks.numbers(original))
            + " → "
            + ", ".join(checks.numbers(translated))
        )
    if not problems:
        return []
    return [
        _issue(
            segment,
            "idiom",
            f"check the {label}: {'; '.join(problems)}",
            suggestion="Idioms, names and numbers need a human check.",
        )
    ]


def _length_findings(segment: Segment, language: str, synthesizer: str, tolerance: float) -> list:
    if segment.duration <= 0 or not segment.tts_text.strip():
        return []
    estimate = estimate_duration(segment.tts_text, language, synthesizer)
    ratio = estimate / segment.duration
    if ratio <= 1 + tolerance:
        return []
    fitting = int(segment.duration * (1 + tolerance) * speech_rate(language, synthesizer))
    return [
        _issue(
            segment,
            "length_overflow",
            f"the dub needs about {estimate:.1f} s but the cue lasts {segment.duration:.1f} s ({ratio:.0%})",
            value=round(ratio, 3),
            suggestion=f"Shorten the dub text to about {fitting} characters (now {len(segment.tts_text)}).",
        )
    ]


def _one_issue_per_code(issues: list[ValidationIssue]) -> list[ValidationIssue]:
    """Merge same-code findings of the subtitle and the dub translation into one issue."""
    merged: dict[str, ValidationIssue] = {}
    for issue in issues:
        if issue.code in merged:
            first = merged[issue.code]
            merged[issue.code] = dataclasses.replace(first, message=f"{first.message}; {issue.message}")
        else:
            merged[issue.code] = issue
    return list(merged.values())


def _synthesizer_for_rates(settings: Settings) -> str:
    return settings.synthesizer if settings.synthesizer in calibrated_engines() else DEFAULT_ENGINE


def translate_segments(
    segments: Sequence[Segment],
    translator: Translator | None,
    *,
    source: str,
    subtitle_language: str,
    tts_language: str,
    glossary: Sequence[GlossaryEntry],
    settings: Settings,
    only_ids: set[str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[Segment]:
    """New Segments with the stage-3 fields and issues set for the selected cues (all, or `only_ids`).

    Cues outside `only_ids` are returned as they are. `translator` must cover source→subtitle and
    source→tts languages that differ from the source (it may be None when neither does).
    """
    report = stage_reporter(progress or ignore_progress, STAGE)
    targets = list(dict.fromkeys(lang for lang in (subtitle_language, tts_language) if lang != source))
    for target in targets:
        if translator is None or (source, target) not in translator.pairs():
            engine = translator.name if translator is not None else "no engine"
            raise UnsupportedLanguageError(
                f"the translation engine ({engine}) cannot translate {source}→{target}",
                fix="Pick another engine or install the language pair in the model manager.",
            )
    chosen = [i for i, s in enumerate(segments) if only_ids is None or s.id in only_ids]
    cues = [segments[i] for i in chosen]
    texts = [" ".join(s.original_text.split()) for s in segments]
    neighbours = [(texts[i - 1] if i > 0 else "", texts[i + 1] if i + 1 < len(texts) else "") for i in chosen]
    by_language: dict[str, list[_Output]] = {}
    for step, target in enumerate(targets):

        def sub_report(fraction: float, message: str = "", step: int = step) -> None:
            report((step + fraction) / max(1, len(targets)), message)

        assert translator is not None
        by_language[target] = _translate_language(
            cues, neighbours, translator, source, target, glossary, sub_report, cancel
        )

    synthesizer = _synthesizer_for_rates(settings)
    result = list(segments)
    for position, (index, cue) in enumerate(zip(chosen, cues, strict=True)):
        outputs = {language: by_language[language][position] for language in targets}
        subtitle = outputs[subtitle_language].text if subtitle_language in outputs else cue.original_text
        dub = outputs[tts_language].text if tts_language in outputs else cue.original_text
        translated = dataclasses.replace(
            cue, translated_text=subtitle, tts_text=dub, tts_language=tts_language
        )
        kept = [issue for issue in cue.issues if issue.stage != STAGE]
        findings = _findings(
            translated, outputs, source, tts_language, synthesizer, settings.length_tolerance
        )
        result[index] = dataclasses.replace(translated, issues=kept + findings)
    report(1.0, "done")
    return result
