"""Jobs of a batch from file names and manifests: names, per-file overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from dubstudio.batch.jobs import FileEntry, parse_languages, plan_jobs, read_manifest
from dubstudio.core.errors import UserError
from dubstudio.pipeline.dub_job import DubRequest

DEFAULTS = DubRequest(Path(), Path(), "", source_language="en", voices={"S1": "kokoro:em_alex"})


def _manifest(folder: Path, text: str) -> Path:
    path = folder / "manifest.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_manifest_rows_override_the_command_per_file(tmp_path):
    (tmp_path / "season").mkdir()
    manifest = _manifest(
        tmp_path,
        "\ufeffInput,From,To,Subtitles,Glossary,Voices\n"  # a spreadsheet's BOM and capitals
        "season/ep01.mp4,fr,es;it,season/ep01.srt,terms.tsv,S1=kokoro:ef_dora;S2=espeak:es\n"
        ",,,,,\n"  # a blank row is skipped
        "ep02.mkv,,,,,\n",
    )
    first, second = read_manifest(manifest)
    assert first.media == tmp_path / "season" / "ep01.mp4"  # relative to the manifest's folder
    assert (first.source_language, first.targets) == ("fr", ["es", "it"])
    assert first.subtitles == tmp_path / "season" / "ep01.srt" and first.glossary == tmp_path / "terms.tsv"
    assert first.voices == {"S1": "kokoro:ef_dora", "S2": "espeak:es"}
    assert (second.source_language, second.targets, second.subtitles) == ("", [], None)

    jobs = plan_jobs([first, second], DEFAULTS, ["es"], tmp_path / "out")
    assert [job.name for job in jobs] == ["ep01.es", "ep01.it", "ep02.es"]
    ep01 = jobs[0].request
    assert ep01.out == (tmp_path / "out" / "ep01.es").resolve() and ep01.target_language == "es"
    assert ep01.source_language == "fr" and ep01.voices == {"S1": "kokoro:ef_dora", "S2": "espeak:es"}
    ep02 = jobs[2].request
    assert ep02.source_language == "en" and ep02.voices == {"S1": "kokoro:em_alex"}  # the command's


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("file,to\nep01.mp4,es\n", "no 'input' column"),
        ("input,langauge\nep01.mp4,es\n", "unknown column 'langauge'"),
        ("input,to\n,es\n", "line 2 has no input file"),
        ("input,to\nep01.mp4,es\nep02.mp4,spanish\n", "line 3: to names 'spanish'"),
        (
            "input,voices\nep01.mp4,S1 kokoro:ef_dora\n",
            "line 2: --voice 'S1 kokoro:ef_dora' is not SPEAKER=VOICE",
        ),
        ("input,to\n", "lists no files"),
    ],
)
def test_a_bad_manifest_is_one_clear_message(tmp_path, text, says):
    manifest = _manifest(tmp_path, text)
    with pytest.raises(UserError) as raised:
        read_manifest(manifest)
    assert raised.value.path == str(manifest) and says in raised.value.message and raised.value.fix


def test_names_are_unique_and_kept_from_run_to_run(tmp_path):
    a, b = tmp_path / "a" / "ep01.mp4", tmp_path / "b" / "ep01.mp4"
    jobs = plan_jobs([FileEntry(a), FileEntry(b)], DEFAULTS, ["es"], tmp_path / "out")
    assert [job.name for job in jobs] == ["ep01.es", "ep01-2.es"]
    names = {job.key: job.name for job in jobs}
    again = plan_jobs([FileEntry(b)], DEFAULTS, ["es"], tmp_path / "out", names=names)
    assert again[0].name == "ep01-2.es"  # the same file keeps its folder


def test_sidecar_subtitles_are_found_beside_the_media(tmp_path):
    media = tmp_path / "ep01.mp4"
    (tmp_path / "ep01.vtt").write_text("WEBVTT\n", encoding="utf-8")
    (job,) = plan_jobs([FileEntry(media)], DEFAULTS, ["es"], tmp_path / "out", sidecars=True)
    assert job.request.subtitles == tmp_path / "ep01.vtt"
    (plain,) = plan_jobs([FileEntry(media)], DEFAULTS, ["es"], tmp_path / "out")
    assert plain.request.subtitles is None


def test_languages_are_checked():
    assert parse_languages("es, FR;pt-br,es") == ["es", "fr", "pt-br"]
    with pytest.raises(UserError, match=r"'español', which is not a language code"):
        parse_languages("español")
    with pytest.raises(UserError, match=r"no dub language for ep01\.mp4"):
        plan_jobs([FileEntry(Path("ep01.mp4"))], DEFAULTS, [], Path("out"))
