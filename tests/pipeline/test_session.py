"""One engine set per editor window: shared while the engine settings stay, rebuilt when one changes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from process_groups import started_groups

from dubstudio.core.project import Settings
from dubstudio.engines.factory import Engines, UnknownEngineError, engine_key
from dubstudio.pipeline.session import WARM_UP_CHARACTERS, WARM_UP_TEXT, EngineSession, warm_up_text


def test_the_same_engines_serve_every_job_until_an_engine_setting_changes():
    session = EngineSession(isolate_recognition=False)
    first = session.engines(Settings(device="cpu", synthesizer="espeak"))
    # settings that shape the stages' output but not the engines keep the engines
    assert session.engines(Settings(device="cpu", synthesizer="espeak", max_cps=12.0, max_speed=1.1)) is first
    rebuilt = session.engines(Settings(device="cpu", synthesizer="kokoro"))
    assert rebuilt is not first and session.builds == 2
    assert engine_key(Settings(beam_size=3)) != engine_key(Settings(beam_size=5))


def test_engines_handed_in_are_used_whatever_the_settings():
    engines = Engines(Settings(device="cpu", synthesizer="espeak"))
    session = EngineSession(engines)
    assert session.engines(Settings(synthesizer="kokoro")) is engines and session.builds == 0


def test_two_threads_asking_at_once_get_one_engine():
    engines = Engines(Settings(device="cpu", synthesizer="espeak"))
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(engines.synthesizers())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(r["espeak"]) for r in results}) == 1


def test_an_unknown_engine_names_the_project_file_and_the_choices(tmp_path: Path):
    with pytest.raises(UnknownEngineError) as raised:
        EngineSession.check_settings(Settings(translator="deepl"), tmp_path / "project.json")
    assert raised.value.path == str(tmp_path / "project.json")
    assert "translator is 'deepl'" in raised.value.problem and "argos, apertium" in raised.value.fix
    with pytest.raises(UnknownEngineError):
        Engines(Settings(synthesizer="festival"))


def test_the_voice_list_comes_from_the_shared_engines():
    session = EngineSession(isolate_recognition=False)
    settings = Settings(device="cpu", synthesizer="espeak")
    choices = session.voice_choices(settings, "es")
    assert choices and all(voice_id.startswith("espeak:es") for voice_id, _label in choices)
    assert session.builds == 1
    session.voice_choices(settings, "fr")
    assert session.builds == 1


def test_a_closed_session_starts_no_recognition_process():
    session = EngineSession()
    child = session.recognition_process()
    assert child is not None and not child.alive  # started on its first call only
    session.close()
    with pytest.raises(Exception, match="window was closed"):
        session.recognition_process()


def test_replacing_the_engines_or_closing_the_session_ends_the_apertium_chains():
    before = started_groups()
    session = EngineSession(isolate_recognition=False)

    def translate(synthesizer: str) -> None:
        engines = session.engines(Settings(device="cpu", translator="apertium", synthesizer=synthesizer))
        engines.translator("en", ["es"]).translate(["Good morning."], "en", "es")

    translate("espeak")
    translate("espeak")
    assert len(started_groups() - before) == 1  # one chain for the window's jobs
    translate("kokoro")  # an engine setting changed: a new set, the old one's chain ended
    assert len(started_groups() - before) == 1 and session.builds == 2
    session.close()
    assert started_groups() - before == set()


def test_a_warm_up_speaks_a_real_cue_cut_at_a_word():
    """A one-word warm-up left the first real redo paying for buffers sized for a few tokens."""
    long_cue = (
        "Mañana revisaremos el presupuesto juntos y decidiremos qué proyectos seguirán adelante este año."
    )
    text = warm_up_text(long_cue)
    assert len(text) <= WARM_UP_CHARACTERS and long_cue.startswith(text)
    assert text.endswith("adelante")  # the last whole word inside the limit, never half a word
    assert warm_up_text("Buenos días.") == "Buenos días."
    assert warm_up_text("   ") == WARM_UP_TEXT  # a project without dub text yet
