"""The orchestrator on real engines (Apertium, Kokoro) and real media; the transcript comes from a
subtitle file so these tests do not load the recogniser (the CLI test runs that path)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dubstudio.core.errors import Cancelled, MediaError, UnsupportedLanguageError
from dubstudio.core.progress import CancelToken, ProgressEvent
from dubstudio.core.project import STAGES, Settings
from dubstudio.core.schema import to_dict
from dubstudio.core.store import load_project
from dubstudio.engines.factory import Engines
from dubstudio.pipeline.contracts import StageContractError
from dubstudio.pipeline.orchestrator import Pipeline


def _create(dialogue, folder: Path, engines: Engines, target: str = "es") -> Pipeline:
    return Pipeline.create(
        dialogue.video,
        folder,
        source_language="en",
        target_language=target,
        settings=Settings(device="cpu"),
        subtitles=dialogue.transcript,
        engines=engines,
    )


@pytest.fixture(scope="module")
def finished(dialogue, tmp_path_factory, engines) -> Path:
    """A project folder after one complete run."""
    folder = tmp_path_factory.mktemp("finished") / "project"
    _create(dialogue, folder, engines).run()
    return folder


def _copy(finished: Path, tmp_path: Path, engines: Engines) -> Pipeline:
    folder = tmp_path / "copy"
    shutil.copytree(finished, folder)
    return Pipeline(folder, load_project(folder), engines)


@pytest.mark.slow
def test_a_full_run_fills_every_stage_and_saves_it(finished, engines):
    project = load_project(finished)
    assert len(project.segments) == 3
    assert {s.speaker_id for s in project.segments} == {"S1", "S2"}
    for segment in project.segments:
        assert segment.translated_text and segment.tts_text and segment.tts_language == "es"
        assert segment.voice_id.startswith("kokoro:")
        assert segment.clip is not None and (finished / segment.clip.path).is_file()
        assert segment.clip.start == pytest.approx(segment.start - segment.clip.lead)  # never later
        assert segment.stale == []
    voices = {s.speaker_id: s.voice_id for s in project.segments}
    assert voices["S1"] != voices["S2"]  # two speakers, two voices
    assert set(project.diagnostics.stage_keys) == set(STAGES)
    assert {"segmentation", "translation", "voiceMatching", "synthesis", "validation"} <= set(
        project.diagnostics.stage_durations_ms
    )
    assert any((finished / "cache" / stage).glob("*.json") for stage in ("translation", "synthesis"))


@pytest.mark.slow
def test_a_rerun_of_a_finished_project_does_nothing(finished, tmp_path, engines):
    pipeline = _copy(finished, tmp_path, engines)
    before = to_dict(pipeline.project.segments)
    pipeline.run()
    assert pipeline.last_run == {stage: "" for stage in STAGES[:-1]} | {"validation": "full"}
    assert to_dict(pipeline.project.segments) == before


@pytest.mark.slow
def test_a_stage_that_changes_an_earlier_stage_fact_is_stopped(finished, tmp_path, engines):
    pipeline = _copy(finished, tmp_path, engines)
    saved = (pipeline.project_dir / "project.json").read_bytes()

    def misbehaving_translation(work, progress, cancel):
        pipeline.project.segments[1].start += 0.25  # translation must never retime a cue
        pipeline.project.segments[1].translated_text = "otra cosa"

    pipeline.steps["translation"] = misbehaving_translation
    pipeline.project.mark_stale(pipeline.project.segments[1], "translation")
    with pytest.raises(StageContractError, match="translation changed start"):
        pipeline.run()
    assert (pipeline.project_dir / "project.json").read_bytes() == saved

    def misbehaving_voices(work, progress, cancel):
        pipeline.project.segments[0].tts_text = "rewritten"

    pipeline.steps["voiceMatching"] = misbehaving_voices
    pipeline.project.diagnostics.stage_keys.pop("voiceMatching")
    pipeline.steps["translation"] = lambda work, progress, cancel: None
    with pytest.raises(StageContractError, match="voiceMatching changed tts_text"):
        pipeline.run()


@pytest.mark.slow
def test_cancel_mid_synthesis_leaves_a_consistent_project_and_the_rerun_resumes(dialogue, tmp_path, engines):
    folder = tmp_path / "project"
    pipeline = _create(dialogue, folder, engines)
    token = CancelToken()

    def cancel_during_synthesis(event: ProgressEvent) -> None:
        if event.stage == "synthesis" and 0.0 < event.fraction < 1.0:
            token.cancel()

    with pytest.raises(Cancelled):
        pipeline.run(progress=cancel_during_synthesis, cancel=token)
    saved = load_project(folder)
    assert to_dict(saved) == to_dict(pipeline.project)  # the saved file is the object's state
    assert set(saved.diagnostics.stage_keys) == {
        "transcription",
        "segmentation",
        "translation",
        "voiceMatching",
    }
    assert all(s.tts_text and s.voice_id and s.clip is None for s in saved.segments)

    resumed = Pipeline(folder, saved, engines)
    resumed.run()
    assert resumed.last_run == {
        "transcription": "",
        "segmentation": "",
        "translation": "",
        "voiceMatching": "",
        "synthesis": "full",
        "validation": "full",
    }
    assert all(s.clip is not None for s in resumed.project.segments)


@pytest.mark.slow
def test_editing_one_transcript_redoes_only_that_cue(finished, tmp_path, engines):
    pipeline = _copy(finished, tmp_path, engines)
    project = pipeline.project
    edited, *others = project.segments
    clip_files = {s.id: pipeline.project_dir / s.clip.path for s in project.segments}
    stamps = {i: (p.stat().st_mtime_ns, p.read_bytes()) for i, p in clip_files.items()}
    other_texts = [(s.translated_text, s.clip.path) for s in others]
    old_translation, old_clip = edited.translated_text, edited.clip.path

    edited.original_text = "My friends, the weather is nice today."
    project.mark_stale(edited, "translation")
    pipeline.run()

    assert pipeline.last_run["translation"] == "partial" and pipeline.last_run["synthesis"] == "partial"
    # stages return new Segment objects: look the cues up again
    edited = project.segment(edited.id)
    assert edited.translated_text != old_translation and edited.clip.path != old_clip
    assert [
        (project.segment(s.id).translated_text, project.segment(s.id).clip.path) for s in others
    ] == other_texts
    for segment in others:
        path = clip_files[segment.id]
        assert (path.stat().st_mtime_ns, path.read_bytes()) == stamps[segment.id]
    assert all(s.stale == [] for s in project.segments)


@pytest.mark.slow
def test_a_stage_is_restored_from_its_cache(finished, tmp_path, engines):
    pipeline = _copy(finished, tmp_path, engines)
    expected = [(s.translated_text, s.tts_text) for s in pipeline.project.segments]
    pipeline.project.diagnostics.stage_keys.pop("translation")
    for segment in pipeline.project.segments:
        segment.translated_text = segment.tts_text = ""
    pipeline.run()
    assert pipeline.last_run["translation"] == "cached"
    assert [(s.translated_text, s.tts_text) for s in pipeline.project.segments] == expected


@pytest.mark.slow
def test_resynthesize_renders_that_cue_again_and_nothing_else(finished, tmp_path, engines):
    pipeline = _copy(finished, tmp_path, engines)
    target, *others = reversed(pipeline.project.segments)
    stamps = {
        s.id: (pipeline.project_dir / s.clip.path).stat().st_mtime_ns for s in pipeline.project.segments
    }
    pipeline.resynthesize([target.id])
    target = pipeline.project.segment(target.id)
    assert pipeline.last_run["synthesis"] == "partial"
    assert (pipeline.project_dir / target.clip.path).stat().st_mtime_ns > stamps[target.id]
    for segment in others:
        assert (pipeline.project_dir / segment.clip.path).stat().st_mtime_ns == stamps[segment.id]


@pytest.mark.slow
def test_unsupported_language_pair_is_a_user_error(dialogue, tmp_path, engines):
    pipeline = _create(dialogue, tmp_path / "project", engines, target="ja")
    with pytest.raises(UnsupportedLanguageError):
        pipeline.run()
    assert "translation" not in load_project(tmp_path / "project").diagnostics.stage_keys


def test_unreadable_media_is_a_media_error(tmp_path):
    bogus = tmp_path / "not-a-video.mp4"
    bogus.write_bytes(b"this is not media" * 100)
    with pytest.raises(MediaError):
        Pipeline.create(bogus, tmp_path / "project", source_language="en", target_language="es")
    assert not (tmp_path / "project" / "project.json").exists()


@pytest.mark.slow
def test_speakers_of_imported_subtitles_are_measured_from_their_cues(finished):
    """The subtitles say who speaks when; the audio of those cues says what each speaker sounds like,
    so Kennedy (an orator at a high pitch, a man by his vocal tract) gets a man's voice."""
    project = load_project(finished)
    kennedy = next(s for s in project.speakers if s.display_name == "Kennedy")
    assert kennedy.gender == "male" and kennedy.median_f0 and kennedy.gender_evidence
    assert kennedy.reference_clips  # his 4.9 s cue is long enough to serve as a reference clip
    voice = next(s.voice_id for s in project.segments if s.speaker_id == kennedy.id)
    assert voice in {"kokoro:em_alex", "kokoro:em_santa"}, voice  # the native Spanish men
    assert not any("Nothing is known" in i.message for i in project.diagnostics.issues)
