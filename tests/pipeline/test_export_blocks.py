"""The export mixes a film block by block (source read in slices, takes read while a block needs
them, scratch files between the mastering passes): on a short real project its dub.wav and mix.wav
must equal a straightforward whole-array computation, with no click where two blocks meet.

The project: real speech of two speakers (44.1 kHz stereo, `conftest.make_dialogue_video`) and
real-speech takes at 24 kHz (Kokoro's rate) with a few hard clicks, so the limiter has work to do
across block boundaries. Only the export runs (no model loads).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from conftest import DialogueMedia
from dubbed_projects import write_dubbed_project

from dubstudio.core.dsp import resample
from dubstudio.core.media import load_wav, source_wav_path
from dubstudio.core.progress import ignore_progress
from dubstudio.core.project import Project
from dubstudio.pipeline.export import export_project
from dubstudio.pipeline.mastering import limit_true_peak, true_peak_db
from dubstudio.pipeline.mix import duck_gain
from dubstudio.pipeline.preview import render_preview

DATA = Path(__file__).resolve().parents[1] / "data"
TAKE_RATE = 24_000
BLOCK = 16_384
#: (cue start, take source): takes from other real recordings than the source's speech
TAKES = [
    (0.4, "en_librivox_sas_0880.wav"),
    (5.7, "en_librivox_sas_0890.wav"),
    (12.0, "en_librivox_sas_0920.wav"),
]


def _project(folder: Path, media: Path) -> Project:
    takes = []
    for start, name in TAKES:
        audio, rate = load_wav(DATA / name)
        take = resample(audio, rate, TAKE_RATE)
        take[:: TAKE_RATE // 3] = 0.95  # hard clicks: the limiter must act on them
        takes.append((start, take))
    return write_dubbed_project(folder, media, takes, TAKE_RATE, subtype="FLOAT")


def _whole_array_inputs(project: Project, folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """source, dub and the unmastered mix the plain way: every signal whole in memory."""
    source, rate = load_wav(source_wav_path(folder))
    dub = np.zeros(len(source), dtype=np.float32)
    clips = []
    for segment in project.segments:
        audio, take_rate = load_wav(folder / segment.clip.path)
        audio = resample(audio, take_rate, rate)
        start = round(segment.clip.start * rate)
        dub[start : start + len(audio)] += audio[: len(source) - start]
        clips.append(type("Clip", (), {"start_sample": start, "frames": len(audio)}))
    gain = duck_gain(clips, len(source), rate, project.settings.duck_db)
    return source, dub, source * gain[:, None] + dub[:, None], rate


def _whole_array_mix(project: Project, folder: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """The mastered dub and mix and the source loudness the plain way (pyloudnorm on whole arrays)."""
    source, dub, mix, rate = _whole_array_inputs(project, folder)
    meter = pyloudnorm.Meter(rate)
    target = meter.integrated_loudness(source.astype(np.float64))
    mastered = []
    for track in (dub, mix):
        level = np.float32(10 ** ((target - meter.integrated_loudness(track.astype(np.float64))) / 20))
        mastered.append(limit_true_peak(track * level, rate, block_frames=len(track)))
    return mastered[0], mastered[1], target


@pytest.fixture(scope="module")
def exported(dialogue: DialogueMedia, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("blocks") / "project"
    project = _project(folder, dialogue.video)
    result = export_project(project, folder, folder, block_frames=BLOCK)
    return project, folder, result


def test_blockwise_export_equals_the_whole_array_mix(exported) -> None:
    project, folder, result = exported
    dub, mix, source_lufs = _whole_array_mix(project, folder)
    written_mix, rate = sf.read(result.files["mix.wav"], dtype="float32")
    written_dub, _rate = sf.read(result.files["dub.wav"], dtype="float32")
    assert rate == 44_100 and written_mix.shape == mix.shape and len(mix) > 20 * BLOCK
    assert true_peak_db(mix) == pytest.approx(-1.1, abs=0.05)  # the limiter did work
    step = 1 / 32768  # the WAVs are 16-bit
    assert np.abs(written_mix - mix).max() <= 1.01 * step
    assert np.abs(written_dub - dub).max() <= 1.01 * step
    meter = pyloudnorm.Meter(rate)
    assert result.source_lufs == pytest.approx(source_lufs, abs=0.1)
    mix_lufs = meter.integrated_loudness(mix.astype(np.float64))
    assert result.mix_lufs == pytest.approx(mix_lufs, abs=0.1)
    assert meter.integrated_loudness(written_mix.astype(np.float64)) == pytest.approx(mix_lufs, abs=0.1)
    assert result.mix_true_peak_db <= -1.0


def test_no_click_where_two_blocks_meet(exported) -> None:
    """At every block boundary the step from one sample to the next is the whole-array mix's step."""
    project, folder, result = exported
    _dub, mix, _lufs = _whole_array_mix(project, folder)
    written, _rate = sf.read(result.files["mix.wav"], dtype="float32")
    boundaries = np.arange(BLOCK, len(mix), BLOCK)
    jumps = np.abs(np.diff(written, axis=0)[boundaries - 1] - np.diff(mix, axis=0)[boundaries - 1])
    assert jumps.max() <= 2.01 / 32768


def test_the_export_leaves_no_scratch_file(exported) -> None:
    _project, folder, _result = exported
    assert not [path.name for path in folder.iterdir() if path.name.startswith(".scratch")]


def test_the_editors_preview_is_the_unmastered_mix_block_by_block(exported) -> None:
    project, folder, _result = exported
    _source, dub, mix, _rate = _whole_array_inputs(project, folder)
    dub_path, mix_path = render_preview(
        folder, project, progress=ignore_progress, cancel=None, block_frames=BLOCK
    )
    step = 1 / 32768
    assert np.abs(sf.read(mix_path, dtype="float32")[0] - np.clip(mix, -1, 1)).max() <= 1.01 * step
    assert np.abs(sf.read(dub_path, dtype="float32")[0] - np.clip(dub, -1, 1)).max() <= 1.01 * step
