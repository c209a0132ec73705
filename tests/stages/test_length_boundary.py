"""The 15 % length check at its boundary: a dub estimated at 1.14× its cue passes, 1.16× is flagged,
in stage 3 (translation) and in stage 5 (validation) alike."""

from __future__ import annotations

import pytest

from dubstudio.core.project import Project, Segment, Settings, Speaker
from dubstudio.stages.speech_rate import estimate_duration
from dubstudio.stages.translation import translate_segments
from dubstudio.stages.validation import validate

TEXT = "We should have left the city an hour ago, before the roads closed."


def _cue(ratio: float) -> Segment:
    """A cue whose slot makes the estimated dub exactly `ratio` times as long as the cue."""
    slot = estimate_duration(TEXT, "en") / ratio
    return Segment("c1", 1.0, 1.0 + slot, "S1", TEXT, tts_text=TEXT, translated_text=TEXT, tts_language="en")


@pytest.mark.parametrize(("ratio", "flagged"), [(1.14, False), (1.1499, False), (1.1501, True), (1.16, True)])
def test_translation_flags_a_dub_over_115_percent(ratio: float, flagged: bool) -> None:
    (cue,) = translate_segments(
        [_cue(ratio)],
        None,
        source="en",
        subtitle_language="en",
        tts_language="en",
        glossary=[],
        settings=Settings(),
    )
    overflow = [issue for issue in cue.issues if issue.code == "length_overflow"]
    assert bool(overflow) is flagged
    if flagged:
        assert overflow[0].value == pytest.approx(ratio, abs=1e-3)
        assert overflow[0].severity == "warning" and "characters" in overflow[0].suggestion


@pytest.mark.parametrize(("ratio", "flagged"), [(1.14, False), (1.16, True)])
def test_validation_flags_a_dub_over_115_percent(ratio: float, flagged: bool) -> None:
    project = Project("t", "en", "en", speakers=[Speaker("S1")], segments=[_cue(ratio)], settings=Settings())
    validate(project)
    overflow = [issue for issue in project.segments[0].issues if issue.code == "length_overflow"]
    assert bool(overflow) is flagged


def test_the_tolerance_is_the_projects_setting() -> None:
    project = Project(
        "t",
        "en",
        "en",
        speakers=[Speaker("S1")],
        segments=[_cue(1.16)],
        settings=Settings(length_tolerance=0.2),
    )
    validate(project)
    assert not [issue for issue in project.segments[0].issues if issue.code == "length_overflow"]
