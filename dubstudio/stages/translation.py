"""Stage 3: translate each cue for the on-screen subtitles and for the dub, and flag risky cues.

Per cue two outputs: `translated_text` in the subtitle language and `tts_text` in the dubbing
language (`tts_language`). One translation serves both when the languages are equal; a language
equal to the source gets the original text. Timestamps, speakers and words are never touched.

Cues are display units, so the text is translated sentence by sentence (`sentences.py`: a sentence
may span cues of one speaker) and each sentence's translation is shared out over its cues again;
the sentence before goes along as `context` for engines that use it. Around the engine, the
language pair's data (`language_rules.py`) expands contractions, applies the phrasebook and the
glossary (one matching engine, placeholders the engine passes through), writes numbers, dates and
clock times the target's way, and fixes punctuation and case. Before any of that, a cue whose text
the translation memory has verbatim takes the remembered translation. Each cue records where its
translation came from (`translation_origin`: "tm", "phrasebook", the engine's name, joined by "+";
"manual" once the editor changes it by hand). The findings are stage-3 issues (`stage="translation"`):
`empty_translation` (error), `untranslated`, `glossary_miss`, `idiom`, `length_overflow`,
`dub_text_shortened` (warnings). A dub text the seed's length check finds more than the tolerance
(15 %) over its cue loses the fillers the target language's data lists (`[[condense]]`) before
synthesis has to speed it up; the subtitle keeps the full translation. Re-translating a
selection (`only_ids`) replaces the stage-3 issues of those cues only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.core.progress import CancelToken, ProgressCallback, ignore_progress, stage_reporter
from dubstudio.core.project import GlossaryEntry, Segment, Settings, ValidationIssue
from dubstudio.engines.base import Translator
from dubstudio.engines.translators import MarkingTranslator
from dubstudio.stages import translation_checks as checks
from dubstudio.stages.glossary import is_placeholder
from dubstudio.stages.language_rules import condense, finish, load_pair_rules, prepare, source_abbreviations
from dubstudio.stages.sentences import Sentence, distribute, sentences
from dubstudio.stages.speech_rate import DEFAULT_ENGINE, calibrated_engines, estimate_duration, speech_rate

STAGE = "translation"
#: cues per engine call: big enough for Apertium's one-exchange batches, small enough to cancel quickly
BATCH_SIZE = 24


class MemoryLookup(Protocol):
    """The translation memory as stage 3 sees it (pipeline/translation_memory.py)."""

    def exact_many(
        self, sources: Sequence[str], source_language: str, target_language: str
    ) -> dict[str, str]:
        """Remembered targets of the texts it has verbatim, keyed by whitespace-normalised text."""
        ...


@dataclass
class _Output:
    """One translation of one cue, with what went wrong on the way and where it came from."""

    text: str = ""
    unknown_words: list[str] = field(default_factory=list)
    lost_terms: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    #: source expressions the phrasebook translated
    phrases: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return "+".join(dict.fromkeys(self.origins))


def _issue(segment: Segment, code: str, message: str, severity: str = "warning", **extra) -> ValidationIssue:
    return ValidationIssue(segment.id, code, message, severity=severity, stage=STAGE, **extra)  # type: ignore[arg-type]


def _engine_results(
    translator: Translator, texts: list[str], context: list[str], source: str, target: str
) -> list[tuple[str, list[str]]]:
    if isinstance(translator, MarkingTranslator):
        return [(m.text, list(m.unknown_words)) for m in translator.translate_marked(texts, source, target)]
    return [(text, []) for text in translator.translate(texts, source, target, context=context)]


def _translate_language(
    segments: Sequence[Segment],
    units: Sequence[Sentence],
    chosen: set[int],
    translator: Translator,
    source: str,
    target: str,
    glossary: Sequence[GlossaryEntry],
    memory: MemoryLookup | None,
    rules_dir: Path | None,
    report,
    cancel: CancelToken | None,
) -> dict[int, _Output]:
    """Outputs for the `chosen` cue indexes: translation memory first, then sentence by sentence."""
    rules = load_pair_rules(source, target, rules_dir)
    matcher = rules.matcher(glossary)
    outputs = {index: _Output() for index in chosen}
    remembered = {}
    if memory is not None:
        texts = {index: " ".join(segments[index].original_text.split()) for index in chosen}
        known = memory.exact_many(list(texts.values()), source, target)
        for index, text in texts.items():
            if text in known:
                remembered[index] = known[text]
                outputs[index] = _Output(known[text], origins=["tm"])
    todo = [n for n, u in enumerate(units) if any(c in chosen and c not in remembered for c in u.cues)]
    rule_based = getattr(translator, "rule_based", True)
    prepared = [prepare(units[n].text, rules, matcher, rule_based=rule_based) for n in todo]
    engine_work = [i for i, p in enumerate(prepared) if not p.complete and p.text.strip()]
    results: dict[int, tuple[str, list[str]]] = {}
    for first in range(0, len(engine_work), BATCH_SIZE):
        if cancel is not None:
            cancel.raise_if_cancelled()
        batch = engine_work[first : first + BATCH_SIZE]
        context = [units[todo[i] - 1].text if todo[i] > 0 else "" for i in batch]
        translated = _engine_results(translator, [prepared[i].text for i in batch], context, source, target)
        results.update(zip(batch, translated, strict=True))
        report((first + len(batch)) / max(1, len(engine_work)), f"{source}→{target}")
    for number, (unit_number, item) in enumerate(zip(todo, prepared, strict=True)):
        unit = units[unit_number]
        engine_text, unknown = results.get(number, (item.text if item.complete else "", []))
        text, lost = finish(engine_text, item, rules)
        origins = (["phrasebook"] if item.phrasebook else []) + ([] if item.complete else [translator.name])
        if not item.text.strip():
            origins = []
        unknown = [w for w in unknown if not is_placeholder(w)]
        for piece, part in zip(unit.pieces, distribute(text, unit.pieces), strict=True):
            if piece.cue not in chosen or piece.cue in remembered:
                continue
            output = outputs[piece.cue]
            output.text = f"{output.text} {part}".strip()
            output.unknown_words += [w for w in unknown if w in piece.text]
            output.lost_terms += [term for term in lost if term.casefold() in piece.text.casefold()]
            output.origins += origins
            output.phrases += [p for p in item.phrasebook if p.casefold() in piece.text.casefold()]
    return outputs


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
        issues.extend(_cultural_findings(segment, original, output, label, source))
    if tts_language in outputs or tts_language == source:
        issues.extend(_length_findings(segment, tts_language, synthesizer, tolerance))
    return _one_issue_per_code(issues)


def _cultural_findings(segment: Segment, original: str, output: _Output, label: str, source: str) -> list:
    translated = output.text
    problems = []
    if source == "en":
        handled = [phrase.casefold() for phrase in output.phrases]
        problems += [
            f"idiom '{idiom}'"
            for idiom in checks.idioms(original)
            if not any(idiom.casefold() in phrase for phrase in handled)  # the phrasebook knows it
        ]
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


def _shorter_dub(
    cue: Segment,
    dub: str,
    source: str,
    language: str,
    synthesizer: str,
    settings: Settings,
    rules_dir: Path | None,
) -> str:
    """The dub text without its fillers (`language_rules.condense`) when the seed's length check
    finds it more than the tolerance over its cue; else as it is. The subtitle keeps them."""
    if cue.duration <= 0 or not dub.strip():
        return dub
    if estimate_duration(dub, language, synthesizer) <= cue.duration * (1 + settings.length_tolerance):
        return dub
    shorter = condense(dub, load_pair_rules(source, language, rules_dir))
    return shorter if len(shorter) < len(dub) else dub


def _shortened_issue(cue: Segment, dub: str, shorter: str) -> ValidationIssue:
    return _issue(
        cue,
        "dub_text_shortened",
        f"the dub text is too long for its cue, so its fillers were dropped: “{dub}” → “{shorter}” "
        "(the subtitle keeps them)",
        suggestion="Check that the shorter dub text still says it all, or edit the spoken text.",
        value=round(len(shorter) / len(dub), 3),
    )


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


def translation_units(segments: Sequence[Segment], source: str) -> list[Sentence]:
    """The sentences stage 3 translates (see `sentences.py`), with the source language's abbreviations."""
    return sentences(segments, source_abbreviations(source))


def cue_inputs(segments: Sequence[Segment], source: str) -> dict[str, list[str]]:
    """Per cue, the texts its translation depends on: its own and its whole sentence(s).

    Editing one cue changes the inputs of every cue sharing a sentence with it, and of no other
    (the pipeline's per-cue staleness hashes these).
    """
    inputs: dict[str, list[str]] = {s.id: [s.original_text, s.speaker_id] for s in segments}
    for unit in translation_units(segments, source):
        if len(unit.pieces) > 1:
            for cue in unit.cues:
                inputs[segments[cue].id].append(unit.text)
    return inputs


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
    memory: MemoryLookup | None = None,
    rules_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[Segment]:
    """New Segments with the stage-3 fields and issues set for the selected cues (all, or `only_ids`).

    A selected cue takes its whole sentence along: the other cues of that sentence are translated
    again too, except those the user translated by hand (`translation_origin == "manual"`). Cues
    outside are returned as they are. `translator` must cover source→subtitle and source→tts
    languages that differ from the source (it may be None when neither does). `memory`: exact
    matches of a cue's text are used instead of the engine. `rules_dir`: the user's additions to
    the language data (none: the shipped rules only).
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
    units = translation_units(segments, source)
    selected = {i for i, s in enumerate(segments) if only_ids is None or s.id in only_ids}
    chosen = set(selected)
    for unit in units:
        if selected.intersection(unit.cues):
            chosen |= {c for c in unit.cues if c in selected or segments[c].translation_origin != "manual"}
    by_language: dict[str, dict[int, _Output]] = {}
    for step, target in enumerate(targets):

        def sub_report(fraction: float, message: str = "", step: int = step) -> None:
            report((step + fraction) / max(1, len(targets)), message)

        assert translator is not None
        by_language[target] = _translate_language(
            segments,
            units,
            chosen,
            translator,
            source,
            target,
            glossary,
            memory,
            rules_dir,
            sub_report,
            cancel,
        )

    synthesizer = _synthesizer_for_rates(settings)
    result = list(segments)
    for index in sorted(chosen):
        cue = segments[index]
        outputs = {language: by_language[language][index] for language in targets}
        subtitle = outputs[subtitle_language].text if subtitle_language in outputs else cue.original_text
        dub = outputs[tts_language].text if tts_language in outputs else cue.original_text
        first = outputs.get(subtitle_language) or outputs.get(tts_language)
        shortened = []
        if tts_language in outputs:
            shorter = _shorter_dub(cue, dub, source, tts_language, synthesizer, settings, rules_dir)
            if shorter != dub:
                shortened = [_shortened_issue(cue, dub, shorter)]
                dub = shorter
        translated = dataclasses.replace(
            cue,
            translated_text=subtitle,
            tts_text=dub,
            tts_language=tts_language,
            translation_origin=first.origin if first is not None else "source",
        )
        kept = [issue for issue in cue.issues if issue.stage != STAGE]
        findings = shortened + _findings(
            translated, outputs, source, tts_language, synthesizer, settings.length_tolerance
        )
        result[index] = dataclasses.replace(translated, issues=kept + findings)
    report(1.0, "done")
    return result
