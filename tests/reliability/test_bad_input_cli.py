"""Bad input through the real CLI: a clear message (which file, what is wrong, what to do), exit code
2 and never a traceback; awkward but valid input (audio only, 8 channels, 192 kHz, legacy encodings)
must simply work.

Every test runs `python -m dubstudio` in a child process on real files. Runs that need a dub use
`--subtitles` with the real timing of the speech, so they exercise media, translation, synthesis,
mix and export without loading the recogniser; the recogniser runs only where the input is about
speech itself (three hours of silence, a damaged recogniser model).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf
from badinput import (
    assert_no_crash,
    assert_user_error,
    eight_channel,
    high_rate,
    jfk_srt,
    one_line,
    run_dubstudio,
    sparse_silence_wav,
    speech_mp4,
    truncated_copy,
    video_without_audio,
    zero_byte,
)
from conftest import data_dir_with_models
from suite_timeouts import scaled_s

from dubstudio.core.store import PROJECT_FILE, load_project

THREE_HOURS = 3 * 3600.0
#: "fail fast": three hours of silence must be rejected well within this (measured and printed)
SILENCE_BUDGET_S = 240


def dub(
    media: Path, out: Path, *extra: str | Path, to: str = "es", **kwargs
) -> subprocess.CompletedProcess[str]:
    return run_dubstudio("dub", media, "--to", to, "--out", out, *extra, **kwargs)


# ---------------------------------------------------------------------------------------------
# broken media


def test_zero_byte_file(tmp_path: Path) -> None:
    media = zero_byte(tmp_path / "empty.mp4")
    result = dub(media, tmp_path / "out")
    assert_user_error(result, names=media, says="the file is empty (0 bytes)", fix="get the file again")
    assert not (tmp_path / "out" / PROJECT_FILE).exists()


def test_truncated_mp4_without_its_index(tmp_path: Path, speech_video: Path) -> None:
    """An MP4 cut short before its index (moov at the end): FFmpeg cannot even read the format."""
    media = truncated_copy(speech_video, tmp_path / "cut.mp4", 0.4)
    result = dub(media, tmp_path / "out")
    assert_user_error(result, names=media, says="truncated or corrupt", fix="get the file again")


@pytest.mark.slow
def test_truncated_faststart_mp4(tmp_path: Path, transcript: Path) -> None:
    """Index first, media data cut in half: it probes fine, and decoding must notice what is missing."""
    whole = speech_mp4(tmp_path / "whole.mp4", faststart=True)
    media = truncated_copy(whole, tmp_path / "half.mp4", 0.5)
    result = dub(media, tmp_path / "out", "--subtitles", transcript, "--from", "en")
    assert_user_error(result, names=media, says="truncated", fix="get the file again")


def test_video_without_audio(tmp_path: Path) -> None:
    media = video_without_audio(tmp_path / "silent-film.mp4")
    result = dub(media, tmp_path / "out")
    assert_user_error(result, names=media, says="no audio track", fix="includes its sound")


# ---------------------------------------------------------------------------------------------
# awkward but valid media: must work


def _check_dubbed(out: Path, source_seconds: float, *, video: bool) -> None:
    project = load_project(out)
    assert project.media is not None and project.media.has_video is video
    assert all(s.translated_text.strip() for s in project.segments)
    dub_info, mix_info = sf.info(str(out / "dub.wav")), sf.info(str(out / "mix.wav"))
    assert abs(dub_info.duration - source_seconds) < 0.05
    assert mix_info.samplerate <= 48000 and mix_info.channels in (1, 2)
    assert "¿" in (out / "target.srt").read_text(encoding="utf-8") or "país" in (
        out / "target.srt"
    ).read_text(encoding="utf-8")
    assert bool(list(out.glob("*.dubbed.*"))) is video


@pytest.fixture(scope="module")
def audio_only_dub(tmp_path_factory: pytest.TempPathFactory, speech_audio: Path) -> Path:
    """Audio-only input with a Windows-1252 subtitle file: both are normal and must just work."""
    folder = tmp_path_factory.mktemp("audio-only")
    legacy_srt = jfk_srt(folder / "jfk-cp1252.srt", "cp1252")
    out = folder / "project"
    result = dub(speech_audio, out, "--subtitles", legacy_srt, "--from", "en")
    assert_no_crash(result)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.mark.slow
def test_audio_only_input_is_dubbed_without_a_video(audio_only_dub: Path) -> None:
    _check_dubbed(audio_only_dub, 8.0, video=False)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "build"), [("7.1.wav", eight_channel), ("192k.wav", high_rate)])
def test_many_channels_and_high_rates_work(tmp_path: Path, transcript: Path, name: str, build) -> None:
    media = build(tmp_path / name)
    result = dub(media, tmp_path / "out", "--subtitles", transcript, "--from", "en")
    assert_no_crash(result)
    assert result.returncode == 0, result.stderr[-3000:]
    _check_dubbed(tmp_path / "out", sf.info(str(media)).duration, video=False)


# ---------------------------------------------------------------------------------------------
# no speech


@pytest.mark.slow
def test_three_hours_of_silence_fail_fast_with_no_speech(tmp_path: Path, model_loads) -> None:
    media = sparse_silence_wav(tmp_path / "silence-3h.wav", THREE_HOURS)
    started = time.perf_counter()
    try:
        result = dub(media, tmp_path / "out", timeout=SILENCE_BUDGET_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"no answer after {scaled_s(SILENCE_BUDGET_S):.0f} s on 3 h of silence: it must be quick")
    elapsed = time.perf_counter() - started
    print(f"3 h of silence rejected in {elapsed:.1f} s")
    assert_user_error(result, names=media, says="no speech", fix="--subtitles")
    # nothing was heard, so nothing was diarized: the diarizer's models were never loaded
    assert {model for model, _pid in model_loads()} == {"whisper-base"}, model_loads()


# ---------------------------------------------------------------------------------------------
# subtitle files


GARBAGE_SRT = bytes(range(256)) * 12


def test_translate_reads_a_legacy_encoded_srt(tmp_path: Path) -> None:
    source = jfk_srt(tmp_path / "latin.srt", "cp1252")
    source.write_bytes(source.read_bytes().replace(b"Americans", "Américains".encode("cp1252")))
    result = run_dubstudio("translate", source, "--from", "en", "--to", "es", "-o", tmp_path / "es.srt")
    assert_no_crash(result)
    assert result.returncode == 0, result.stderr
    translated = (tmp_path / "es.srt").read_text(encoding="utf-8")
    assert translated.count("-->") == 2 and "país" in translated


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (GARBAGE_SRT, "no subtitle cue could be read"),
        (b"", "no subtitle cue could be read"),
        (
            b"1\n00:00:01,000 --> 00:00:99,000\nA cue with an impossible end.\n",
            "no subtitle cue could be read",
        ),
    ],
    ids=["binary", "empty", "bad-timecode"],
)
def test_translate_refuses_a_malformed_srt(tmp_path: Path, content: bytes, says: str) -> None:
    source = tmp_path / "broken-subs.srt"
    source.write_bytes(content)
    result = run_dubstudio("translate", source, "--from", "en", "--to", "es", "-o", tmp_path / "es.srt")
    assert_user_error(result, names=source, says=says, fix="subtitle file")
    assert not (tmp_path / "es.srt").exists()


def test_dub_refuses_a_malformed_subtitles_file(tmp_path: Path, speech_video: Path) -> None:
    source = tmp_path / "broken-subs.srt"
    source.write_bytes(GARBAGE_SRT)
    result = dub(speech_video, tmp_path / "out", "--subtitles", source)
    assert_user_error(result, names=source, says="no subtitle cue could be read", fix="subtitle file")
    assert not (tmp_path / "out" / PROJECT_FILE).exists()


# ---------------------------------------------------------------------------------------------
# hostile project.json


def _valid_document(media: Path) -> dict:
    return {
        "format": "dubstudio-project",
        "schemaVersion": 1,
        "project": {
            "name": "hostile",
            "sourceLanguage": "en",
            "targetLanguage": "es",
            "media": {"path": str(media), "duration": 8.0, "hasVideo": True, "hasAudio": True},
            "speakers": [{"id": "S1"}],
            "segments": [
                {"id": "a", "start": 0.3, "end": 5.2, "speakerId": "S1", "originalText": "Ask not."}
            ],
        },
    }


def _clip(path: str) -> dict:
    return {"path": path, "start": 0.3, "end": 5.0, "voiceId": "espeak:es", "engine": "espeak", "text": "x"}


#: (id, change to the document, raw text replacing the "__RAW__" placeholder, expected phrase)
HOSTILE = [
    ("parent-path", lambda p: p["segments"][0].update(clip=_clip("clips/../../../etc/passwd")), None,
     "climbs to a parent folder"),
    ("absolute-path", lambda p: p["segments"][0].update(clip=_clip("/etc/passwd")), None, "is absolute"),
    ("huge-number", lambda p: p["segments"][0].update(end="__RAW__"), "1e400", "out of range"),
    ("huge-integer", lambda p: p["media"].update(width="__RAW__"), "9" * 5000, "damaged"),
    ("wrong-type", lambda p: p["segments"][0].update(start="zero"), None, "expected a number"),
    ("list-as-object", lambda p: p.update(segments={"a": 1}), None, "expected a list"),
]  # fmt: skip


def _write_hostile(folder: Path, media: Path, change, raw: str | None, *, version: int = 1) -> Path:
    document = copy.deepcopy(_valid_document(media))
    document["schemaVersion"] = version
    change(document["project"])
    text = json.dumps(document)
    if raw is not None:
        text = text.replace('"__RAW__"', raw)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PROJECT_FILE).write_text(text, encoding="utf-8")
    return folder / PROJECT_FILE


@pytest.mark.parametrize(("change", "raw", "says"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_dub_resuming_a_hostile_project_says_what_is_wrong(
    tmp_path: Path, speech_video: Path, change, raw: str | None, says: str
) -> None:
    project_file = _write_hostile(tmp_path / "project", speech_video, change, raw)
    before = project_file.read_bytes()
    result = dub(speech_video, tmp_path / "project")
    assert_user_error(result, names=project_file, says=says, fix="")
    assert project_file.read_bytes() == before, "a rejected project file must be left as it was"


def test_dub_refuses_a_project_from_a_newer_version(tmp_path: Path, speech_video: Path) -> None:
    project_file = _write_hostile(tmp_path / "project", speech_video, lambda p: None, None, version=99)
    result = dub(speech_video, tmp_path / "project")
    assert_user_error(result, names=project_file, says="made by a newer DubStudio", fix="Update DubStudio")


@pytest.mark.gui
@pytest.mark.parametrize("case", ["parent-path", "wrong-type", "newer-version"])
def test_open_refuses_a_hostile_project_before_showing_the_window(
    tmp_path: Path, speech_video: Path, case: str
) -> None:
    """`dubstudio open DIR` must print the problem and exit 2; a modal dialog in a headless run
    (or a window that opens on a broken project) would leave a script waiting forever."""
    assert os.environ.get("DISPLAY"), "no display: pytest-xvfb (a dev dependency) and Xvfb provide one"
    if case == "newer-version":
        project_file = _write_hostile(tmp_path / "project", speech_video, lambda p: None, None, version=99)
    else:
        _id, change, raw, _says = next(h for h in HOSTILE if h[0] == case)
        project_file = _write_hostile(tmp_path / "project", speech_video, change, raw)
    try:
        result = run_dubstudio(
            "open", tmp_path / "project", "--screenshot", tmp_path / "shot.png", timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("dubstudio open hung (a modal error dialog nobody can close) instead of exiting with 2")
    assert_user_error(result, names=project_file, says="", fix="")
    assert not (tmp_path / "shot.png").exists()


# ---------------------------------------------------------------------------------------------
# models


@pytest.mark.slow
@pytest.mark.parametrize(
    ("damaged", "action", "says"),
    [
        ("whisper-base/tokenizer.json", "delete", "missing"),
        ("whisper-base/model.bin", "corrupt", "corrupted"),
    ],
    ids=["deleted", "corrupted"],
)
def test_dub_names_a_damaged_model_and_how_to_repair_it(
    tmp_path: Path, speech_video: Path, installed_models: Path, damaged: str, action: str, says: str
) -> None:
    data = data_dir_with_models(tmp_path / "data", installed_models, damaged=damaged, action=action)
    result = dub(speech_video, tmp_path / "out", env={"DUBSTUDIO_DATA_DIR": str(data)})
    assert_user_error(result, names="whisper-base", says=says, fix="dubstudio models install whisper-base")
    assert damaged.split("/")[1] in result.stderr


# ---------------------------------------------------------------------------------------------
# languages


def test_translate_names_an_unsupported_pair_and_what_to_install(tmp_path: Path, transcript: Path) -> None:
    result = run_dubstudio("translate", transcript, "--from", "en", "--to", "de", "-o", tmp_path / "de.srt")
    assert_no_crash(result)
    assert result.returncode == 2
    assert "en→de" in result.stderr and "install" in one_line(result.stderr).lower()
    assert not (tmp_path / "de.srt").exists()


def test_dub_names_an_unsupported_pair_before_synthesizing(
    tmp_path: Path, speech_video: Path, transcript: Path
) -> None:
    result = dub(speech_video, tmp_path / "out", "--from", "en", "--subtitles", transcript, to="de")
    assert_no_crash(result)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "en→de" in result.stderr and "install" in one_line(result.stderr).lower()
    synthesized = list((tmp_path / "out").glob("clips/*/*"))
    assert not synthesized, "no speech may be synthesized for a pair it cannot translate"


# ---------------------------------------------------------------------------------------------
# full disk


#: Exports a finished project the way `dubstudio dub` does after its run (through the CLI's own
#: error handling), with files limited to `argv[2]` bytes from the export on.
EXPORT_WITH_FILE_SIZE_LIMIT = """
import resource, sys
from pathlib import Path
from dubstudio.cli.main import run_command
from dubstudio.core.store import load_project
from dubstudio.pipeline.orchestrator import Pipeline

folder = Path(sys.argv[1])
pipeline = Pipeline(folder, load_project(folder))
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
sys.exit(run_command(lambda _args: pipeline.export(folder), None))
"""


@pytest.mark.slow
def test_export_on_a_full_disk_says_which_file_and_what_to_do(tmp_path: Path, audio_only_dub: Path) -> None:
    """A file-size limit is the unprivileged way to make writes fail like on a full disk (mounting a
    tiny file system needs root, and /dev/full cannot stand in for files that are renamed into
    place). Python ignores SIGXFSZ, so its writes fail with OSError(EFBIG). The limit is applied
    only around the export: helper programs (espeak-ng's audio setup) need big files themselves."""
    project = shutil.copytree(audio_only_dub, tmp_path / "project", symlinks=True)
    (project / "dub.wav").unlink()
    # the subtitles fit in 200 kB; 8 s of 16 kHz dub audio (256 kB) does not
    result = subprocess.run(
        [sys.executable, "-c", EXPORT_WITH_FILE_SIZE_LIMIT, str(project), "200000"],
        capture_output=True,
        text=True,
        timeout=scaled_s(300),
    )
    assert_user_error(
        result, names=project / "dub.wav", says="not enough disk space", fix="free some disk space"
    )
    assert not list(project.glob(".dub.wav.*")), "the partial file must be removed"
    assert not (project / "dub.wav").exists()
    load_project(project)


@pytest.mark.slow
def test_a_hostile_project_name_cannot_write_outside_the_folder(
    tmp_path: Path, audio_only_dub: Path, speech_video: Path
) -> None:
    """The muxed video is named after the project; a name with '../' must not escape the folder.

    The finished audio-only project is pointed at the same speech with a video, so resuming it only
    re-extracts the audio and exports, muxed video included.
    """
    project_dir = shutil.copytree(audio_only_dub, tmp_path / "nest" / "project", symlinks=True)
    document = json.loads((project_dir / PROJECT_FILE).read_text(encoding="utf-8"))
    document["project"]["name"] = "../../escaped"
    media = document["project"]["media"]
    media.update(path=str(speech_video), hasVideo=True, videoCodec="h264", width=160, height=120, fps=10.0)
    (project_dir / PROJECT_FILE).write_text(json.dumps(document), encoding="utf-8")
    result = dub(Path("unused.m4a"), project_dir)
    assert_no_crash(result)
    escaped = [p for p in tmp_path.rglob("*escaped*") if project_dir not in p.parents]
    assert not escaped, f"wrote outside the project folder: {escaped}"
