from __future__ import annotations

import copy

import pytest

from dubstudio.core.project import (
    DubClip,
    GlossaryEntry,
    Project,
    Segment,
    Settings,
    Speaker,
    ValidationIssue,
)
from dubstudio.engines.base import Voice
from dubstudio.stages.validation import validate

CATALOG = [
    Voice(id="kokoro:jf_alpha", engine="kokoro", name="jf_alpha", languages=["es", "en"], gender="female"),
    Voice(id="espeak:de+m3", engine="espeak", name="de+m3", languages=["de"], gender="male"),
]


def _segment(segment_id: str, start: float, end: float, **fields) -> Segment:
    defaults = dict(
        speaker_id="S1",
        original_text="Good morning, how are you?",
        translated_text="Buenos días, ¿cómo estás?",
        tts_text="Buenos días, ¿cómo estás?",
        tts_language="es",
        voice_id="kokoro:jf_alpha",
        confidence=0.93,
    )
    return Segment(segment_id, start, end, **{**defaults, **fields})


def _project(*segments: Segment, **settings) -> Project:
    return Project(
        name="t",
        source_language="en",
        target_language="es",
        speakers=[Speaker("S1")],
        segments=list(segments),
        settings=Settings(**settings),
    )


def _codes(segment: Segment) -> set[str]:
    return {issue.code for issue in segment.issues}


def test_a_clean_project_has_no_issues():
    project = _project(_segment("a", 0.0, 2.5), _segment("b", 3.0, 5.5))
    report = validate(project, CATALOG)
    assert report.ok and report.warnings == [] and report.errors == []
    assert all(segment.issues == [] for segment in project.segments)


def test_seed_codes_are_found_with_their_severity():
    project = _project(
        _segment("low", 0.0, 2.5, confidence=0.31),
        _segment("overlap", 2.0, 4.5),
        _segment("no-tts", 5.0, 7.5, tts_text=""),
        _segment("empty", 8.0, 10.5, translated_text=""),
        _segment("german", 11.0, 13.5, voice_id="espeak:de+m3"),
    )
    report = validate(project, CATALOG)
    by_id = {s.id: s for s in project.segments}
    assert _codes(by_id["low"]) == {"low_confidence_transcript"}
    assert _codes(by_id["overlap"]) == {"timing_overlap"}
    assert _codes(by_id["no-tts"]) == {"missing_tts_text"}
    assert _codes(by_id["empty"]) == {"empty_translation"}
    assert _codes(by_id["german"]) == {"voice_language_mismatch"}
    assert {i.code for i in report.warnings} == {"low_confidence_transcript"}
    assert {i.code for i in report.errors} == {
        "timing_overlap",
        "missing_tts_text",
        "empty_translation",
        "voice_language_mismatch",
    }
    assert not report.ok
    assert all(i.stage == "validation" for s in project.segments for i in s.issues)


def test_quality_checks_length_untranslated_glossary_overflow_and_missing_voice():
    long_text = (
        "Esta es una frase muchísimo más larga que el hueco que tiene para ser pronunciada en voz alta"
    )
    clip = DubClip("clips/x/1.wav", 6.0, 8.0, "kokoro:jf_alpha", "kokoro", "x", overflow=0.7)
    project = _project(
        _segment("long", 0.0, 1.5, tts_text=long_text, translated_text=long_text),
        _segment("same", 2.0, 5.0, tts_text="Good morning, how are you?"),
        _segment("overflow", 6.0, 8.0, clip=clip),
        _segment("gloss", 9.0, 12.0, original_text="Welcome to Lisbon"),
        _segment("novoice", 13.0, 15.5, voice_id=""),
        _segment("unknown", 16.0, 18.5, voice_id="kokoro:missing"),
        glossary=[GlossaryEntry("Lisbon", "Lisboa")],
    )
    report = validate(project, CATALOG)
    by_id = {s.id: s for s in project.segments}
    assert _codes(by_id["long"]) == {"length_overflow", "reading_speed"}  # 95 characters in 1.5 s
    assert by_id["long"].issues[0].value > 0 and "characters" in by_id["long"].issues[0].suggestion
    assert _codes(by_id["same"]) == {"untranslated"}
    overflow = by_id["overflow"].issues[0]
    assert overflow.code == "timing_overflow" and overflow.value == 0.7 and overflow.suggestion
    assert _codes(by_id["gloss"]) == {"glossary_miss"}
    assert _codes(by_id["novoice"]) == {"no_voice"} and _codes(by_id["unknown"]) == {"no_voice"}
    assert {i.code for i in report.errors} == {"no_voice"}


def test_a_clip_running_into_the_next_cue_is_an_overlap():
    clip = DubClip("clips/a/1.wav", 0.0, 3.4, "kokoro:jf_alpha", "kokoro", "x")
    project = _project(_segment("a", 0.0, 2.5, clip=clip), _segment("b", 3.0, 5.5))
    validate(project, CATALOG)
    assert _codes(project.segments[0]) == {"timing_overlap"}


def test_a_clip_running_into_the_next_take_that_leads_its_cue_is_an_overlap():
    ends_early = DubClip("clips/a/1.wav", 0.0, 2.7, "kokoro:jf_alpha", "kokoro", "x")
    leading = DubClip("clips/b/1.wav", 2.5, 5.0, "kokoro:jf_alpha", "kokoro", "y", lead=0.5)
    project = _project(_segment("a", 0.0, 2.5, clip=ends_early), _segment("b", 3.0, 5.5, clip=leading))
    validate(project, CATALOG)
    (overlap,) = [i for i in project.segments[0].issues if i.code == "timing_overlap"]
    assert overlap.value == pytest.approx(0.2)


def test_validation_never_rewrites_content():
    project = _project(_segment("a", 0.0, 1.0, confidence=0.2, tts_text="x" * 80), _segment("b", 0.5, 2.0))
    before = copy.deepcopy(project)
    validate(project, CATALOG)
    for old, new in zip(before.segments, project.segments, strict=True):
        new_fields = {k: v for k, v in vars(new).items() if k != "issues"}
        assert new_fields == {k: v for k, v in vars(old).items() if k != "issues"}
    assert project.speakers == before.speakers and project.settings == before.settings


def test_rerun_replaces_own_issues_keeps_user_decisions_and_other_stages():
    project = _project(_segment("a", 0.0, 2.5, confidence=0.3, tts_text="Good morning, how are you?"))
    segment = project.segments[0]
    translation_issue = ValidationIssue("a", "untranslated", "from stage 3", stage="translation")
    segment.issues.append(translation_issue)
    validate(project, CATALOG)
    # stage 3 already reported "untranslated": validation does not repeat it
    assert [(i.code, i.stage) for i in segment.issues] == [
        ("untranslated", "translation"),
        ("low_confidence_transcript", "validation"),
    ]
    segment.issues[1].status = "ignored"
    report = validate(project, CATALOG)
    assert [(i.code, i.status) for i in segment.issues] == [
        ("untranslated", "open"),
        ("low_confidence_transcript", "ignored"),
    ]
    assert [i.code for i in report.warnings] == ["untranslated"]  # handled issues are not reported
    segment.confidence = 0.95
    validate(project, CATALOG)
    assert [i.code for i in segment.issues] == ["untranslated"]


def test_without_a_catalog_voices_are_only_checked_for_presence():
    project = _project(_segment("a", 0.0, 2.5, voice_id="espeak:de+m3"), _segment("b", 3.0, 5.5, voice_id=""))
    report = validate(project, None)
    assert [i.code for i in report.errors] == ["no_voice"]


def test_a_subtitle_over_the_reading_speed_limit_is_a_warning():
    """The rule behind the editor's red CPS cell (stages.cue_metrics), reported for the CLI too."""
    fast = "Buenos días, ¿cómo estás? Muy bien."  # 35 characters in 1.5 s: 23.3 per second
    project = _project(
        _segment("fast", 0.0, 1.5, translated_text=fast, tts_text="Hola."),
        _segment("calm", 2.0, 5.0),
        max_cps=20.0,
    )
    report = validate(project, CATALOG)
    issue = project.segments[0].issues[0]
    assert (issue.code, issue.severity) == ("reading_speed", "warning")
    assert issue.value == pytest.approx(35 / 1.5)
    assert "23.3" in issue.message and "20" in issue.message and issue.suggestion
    assert project.segments[1].issues == []
    assert report.ok  # a quality warning never blocks success
