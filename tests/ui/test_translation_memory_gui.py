"""The editor and the translation memory: a corrected translation is remembered, a new project from
the same video takes it (marked "TM exact"), and a near-identical line is offered it in the
inspector, one click from applied. Real pipeline (Apertium, espeak-ng) under Xvfb; the transcript
comes from subtitles so the recogniser is not loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_builders import SAMPLE

from dubstudio.core.project import Settings
from dubstudio.pipeline.translation_memory import TranslationMemory
from dubstudio.ui.dialogs.new_project import NewProjectRequest
from dubstudio.ui.segments.model import Column

pytestmark = [pytest.mark.gui, pytest.mark.slow]
JOB_TIMEOUT_MS = 300_000
CORRECTED = "Soy Diane, de Nueva Jersey."
NEAR = "Aunque ahora estoy en Nueva Jersey."


def _vtt(folder: Path, change: dict[str, str]) -> Path:
    """The call's reference transcript as WebVTT; `change` rewrites some lines (another recognition)."""
    lines = ["WEBVTT", ""]
    for number, line in enumerate((SAMPLE / "sample.stm").read_text().splitlines(), start=1):
        _file, _channel, who, start, end, *words = line.split()
        text = " ".join(words)
        stamps = [f"00:00:{float(t):06.3f}" for t in (start, end)]
        lines += [str(number), f"{stamps[0]} --> {stamps[1]}", f"<v {who}>{change.get(text, text)}", ""]
    path = folder / f"call-{len(change)}.vtt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _new_project(window, qtbot, media: Path, folder: Path, transcript: Path) -> None:
    request = NewProjectRequest(
        media, folder, "en", "es", settings=Settings(device="cpu", synthesizer="espeak"), subtitles=transcript
    )
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        assert window.start_new_project(request)
    assert window.last_failure is None


def _cue(window, text: str):
    return next(s for s in window.doc.segments if text in s.original_text)


def _origin_cell(window, segment_id: str) -> str:
    model = window.table.model
    return model.data(model.index(window.doc.row_of(segment_id), Column.ORIGIN))


def test_corrections_are_remembered_and_offered(make_window, qtbot, tmp_path, sample_media, monkeypatch):
    memory_path = tmp_path / "memory.sqlite"
    monkeypatch.setenv("DUBSTUDIO_TRANSLATION_MEMORY", str(memory_path))
    window = make_window()
    _new_project(window, qtbot, sample_media, tmp_path / "first.dubstudio", _vtt(tmp_path, {}))
    inspector = window.inspector
    for text, corrected in (
        ("This is Diane in New Jersey.", CORRECTED),
        ("I'm in New Jersey now though.", NEAR),
    ):
        segment = _cue(window, text)
        assert segment.translation_origin.endswith("apertium")
        window.doc.select(segment.id)
        inspector.translation.setPlainText(corrected)
        inspector.apply_texts()
        assert window.doc.segment(segment.id).translation_origin == "manual"
        assert _origin_cell(window, segment.id) == "edited"
    assert {e.target for e in TranslationMemory(memory_path).entries("en", "es")} == {CORRECTED, NEAR}
    window.save()

    # the same video again, recognised with a comma more in one line
    changed = {"I'm in New Jersey now though.": "I'm in New Jersey now, though."}
    _new_project(window, qtbot, sample_media, tmp_path / "second.dubstudio", _vtt(tmp_path, changed))
    exact = _cue(window, "This is Diane in New Jersey.")
    assert (exact.translated_text, exact.translation_origin) == (CORRECTED, "tm")
    assert _origin_cell(window, exact.id) == "TM exact"

    near = _cue(window, "I'm in New Jersey now, though.")
    assert near.translated_text != NEAR  # a fuzzy match is offered, not applied
    window.doc.select(near.id)
    candidates = inspector.memory_candidates
    assert [c.entry.target for c in candidates.candidates] == [NEAR]
    score = candidates.candidates[0].score
    assert 90 <= score < 100 and f"{score:.0f} %" in candidates.list.item(0).text()
    candidates.apply_button.click()
    applied = window.doc.segment(near.id)
    assert (applied.translated_text, applied.tts_text) == (NEAR, NEAR)
    assert applied.translation_origin == f"tm {score:.0f}%"
    assert _origin_cell(window, near.id) == f"TM fuzzy {score:.0f}%"
    window.undo_stack.undo()
    assert window.doc.segment(near.id).translated_text != NEAR
