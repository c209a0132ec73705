"""The project folder: layout, atomic saves with backup, autosave recovery, strict loading."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dubstudio.core import store
from dubstudio.core.errors import ProjectFileError
from dubstudio.core.project import DubClip, MediaInfo, Project, Segment, Speaker, Word
from dubstudio.core.schema import to_dict
from dubstudio.core.store import (
    AUTOSAVE_FILE,
    BACKUP_FILE,
    PROJECT_FILE,
    DamagedProjectError,
    NewerProjectError,
    autosave,
    create_project_dir,
    discard_recovery,
    load_project,
    recover,
    recovery_available,
    resolve_inside,
    save_project,
)


def make_project(name: str = "Talk", segments: int = 3) -> Project:
    speakers = [Speaker(id="S1", label="Ana"), Speaker(id="S2")]
    items = []
    for i in range(segments):
        start = i * 2.0
        items.append(
            Segment(
                id=f"seg-{i}",
                start=start,
                end=start + 1.5,
                speaker_id=speakers[i % 2].id,
                original_text=f"hello number {i} — ünïcode",
                words=[Word(start, start + 0.5, "hello", 0.9)],
                translated_text=f"hola {i}",
                clip=DubClip(f"clips/seg-{i}/a.wav", start, start + 1.4, "kokoro:jf_alpha", "kokoro", "hi"),
            )
        )
    return Project(name=name, source_language="en", target_language="es",
                   media=MediaInfo(path="/videos/talk.mp4", duration=60.0, size_bytes=7_340_032_000,
                                   mtime=1_795_303_243.48),
                   speakers=speakers, segments=items)


def write_document(folder: Path, project_data: dict, version: int = store.SCHEMA_VERSION) -> None:
    envelope = {"format": store.FORMAT, "schemaVersion": version, "project": project_data}
    (folder / PROJECT_FILE).write_text(json.dumps(envelope), "utf-8")


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    return create_project_dir(tmp_path / "Talk.dubstudio", make_project())


def test_create_makes_the_layout_and_round_trips(project_dir: Path) -> None:
    for name in ("audio", "cache", "clips", "exports"):
        assert (project_dir / name).is_dir()
    document = json.loads((project_dir / PROJECT_FILE).read_text("utf-8"))
    assert document["format"] == "dubstudio-project"
    assert document["schemaVersion"] == store.SCHEMA_VERSION
    assert load_project(project_dir) == make_project_with_same_times(document)


def make_project_with_same_times(document: dict) -> Project:
    project = make_project()
    project.created = document["project"]["created"]
    project.modified = document["project"]["modified"]
    for segment, saved in zip(project.segments, document["project"]["segments"], strict=True):
        assert segment.clip is not None
        segment.clip.created = saved["clip"]["created"]
    return project


def test_create_refuses_an_existing_project(project_dir: Path) -> None:
    with pytest.raises(ProjectFileError, match="already exists"):
        create_project_dir(project_dir, make_project())


def test_save_keeps_the_previous_file_as_backup(project_dir: Path) -> None:
    first = (project_dir / PROJECT_FILE).read_bytes()
    changed = load_project(project_dir)
    changed.name = "Renamed"
    save_project(project_dir, changed)
    assert (project_dir / BACKUP_FILE).read_bytes() == first
    assert load_project(project_dir).name == "Renamed"
    assert load_project(project_dir, use_backup=True).name == "Talk"
    assert not list(project_dir.glob("*.tmp")) and not list(project_dir.glob(".*.tmp"))


def test_stale_temp_files_of_a_killed_save_are_removed(project_dir: Path) -> None:
    leftover = project_dir / ".project.json.abc123.tmp"
    leftover.write_text("half a document")
    old = os.stat(leftover).st_mtime - store.STALE_TEMP_SECONDS - 5
    os.utime(leftover, (old, old))
    save_project(project_dir, make_project())
    assert not leftover.exists()


def test_autosave_and_recovery(project_dir: Path) -> None:
    assert not recovery_available(project_dir)
    edited = load_project(project_dir)
    edited.segments[0].translated_text = "editado"
    autosave(project_dir, edited)
    assert recovery_available(project_dir)
    assert load_project(project_dir).segments[0].translated_text == "hola 0"  # project.json untouched
    assert recover(project_dir).segments[0].translated_text == "editado"
    discard_recovery(project_dir)
    assert not recovery_available(project_dir)
    assert not (project_dir / AUTOSAVE_FILE).exists()


def test_saving_supersedes_the_autosave(project_dir: Path) -> None:
    autosave(project_dir, make_project("autosaved"))
    save_project(project_dir, make_project("saved"))
    assert not recovery_available(project_dir)


def test_autosave_older_than_project_is_not_offered(project_dir: Path) -> None:
    autosave(project_dir, make_project())
    old = os.stat(project_dir / PROJECT_FILE).st_mtime - 60
    os.utime(project_dir / AUTOSAVE_FILE, (old, old))
    assert not recovery_available(project_dir)


def test_field_errors_name_the_file_and_field(project_dir: Path) -> None:
    data = to_dict(make_project(segments=5))
    data["segments"][3]["start"] = "abc"
    write_document(project_dir, data)
    with pytest.raises(ProjectFileError) as caught:
        load_project(project_dir)
    message = str(caught.value)
    assert str(project_dir / PROJECT_FILE) in message
    assert "segments[3].start: expected a number" in message


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["segments"][1].update(id="seg-0"), r"segments\[1\]\.id: the id 'seg-0' is used twice"),
        (lambda d: d["segments"][2].update(start=0.1, end=0.2), r"segments\[2\]\.start: .*sorted"),
        (lambda d: d["segments"][0].update(speakerId="S9"), r"segments\[0\]\.speakerId: no speaker .*'S9'"),
        (lambda d: d["speakers"][1].update(id="S1"), r"speakers\[1\]\.id: the id 'S1' is used twice"),
        (lambda d: d["segments"][0]["clip"].update(path="../../etc/passwd"), r"segments\[0\]\.clip\.path"),
        (lambda d: d["segments"][0]["clip"].update(path="/etc/passwd"), r"clip\.path: .*absolute"),
        (lambda d: d.update(colour="red"), "unknown field 'colour'"),
        (lambda d: d.update(name=None), "name: expected text, got None"),
    ],
)
def test_semantic_and_type_checks(project_dir: Path, mutate, expected: str) -> None:
    data = to_dict(make_project())
    mutate(data)
    write_document(project_dir, data)
    with pytest.raises(ProjectFileError, match=expected):
        load_project(project_dir)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "not valid JSON"),
        (b'{"format": "dubstudio-project", "schemaVersion": 1, "project": {"name": "x"', "not valid JSON"),
        (b"\xff\xfe garbage", "not UTF-8"),
        (b'{"format": "something-else"}', "not a DubStudio project"),
        (b'{"format": "dubstudio-project", "schemaVersion": 1, "project": {"name": NaN}}', "NaN"),
        (b'{"format": "dubstudio-project", "schemaVersion": 1, "schemaVersion": 1}', "appears twice"),
        (b'{"format": "dubstudio-project", "schemaVersion": "1", "project": {}}', "schemaVersion"),
        (b"[" * 100_000, "damaged"),
    ],
)
def test_corrupt_files_are_project_file_errors(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / PROJECT_FILE).write_bytes(content)
    with pytest.raises(ProjectFileError, match=expected):
        load_project(tmp_path)


def test_corrupt_project_with_good_backup_offers_the_backup(project_dir: Path) -> None:
    save_project(project_dir, make_project("second"))
    (project_dir / PROJECT_FILE).write_bytes(b'{"format": "dubstudio-pro')
    with pytest.raises(DamagedProjectError) as caught:
        load_project(project_dir)
    assert caught.value.backup_path == project_dir / BACKUP_FILE
    assert "use_backup=True" in str(caught.value)
    assert load_project(project_dir, use_backup=True).name == "Talk"


def test_newer_schema_version_asks_to_update(project_dir: Path) -> None:
    write_document(project_dir, to_dict(make_project()), version=store.SCHEMA_VERSION + 1)
    with pytest.raises(NewerProjectError, match=r"newer DubStudio.*Update DubStudio"):
        load_project(project_dir)


def test_migration_chain_upgrades_an_old_document(project_dir: Path, monkeypatch) -> None:
    """A synthetic version 0 that called the project name "title": the registered step renames it."""
    data = to_dict(make_project())
    data["title"] = data.pop("name")
    write_document(project_dir, data, version=0)
    with pytest.raises(ProjectFileError, match="too old"):
        load_project(project_dir, use_backup=False)

    def rename_title(old: dict) -> dict:
        new = dict(old)
        new["name"] = new.pop("title")
        return new

    monkeypatch.setitem(store.MIGRATIONS, 0, rename_title)
    assert load_project(project_dir).name == "Talk"


def test_migrate_runs_every_step_in_order() -> None:
    steps = {1: lambda d: {**d, "log": [*d["log"], "1→2"]}, 2: lambda d: {**d, "log": [*d["log"], "2→3"]}}
    assert store.migrate({"log": []}, 1, migrations=steps, target=3) == {"log": ["1→2", "2→3"]}


def test_missing_folder_and_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="folder does not exist"):
        load_project(tmp_path / "nope")
    with pytest.raises(ProjectFileError, match=r"project\.json: the file does not exist"):
        load_project(tmp_path)


def test_resolve_inside_accepts_relative_paths(tmp_path: Path) -> None:
    assert resolve_inside(tmp_path, "clips/a/take.wav") == tmp_path.resolve() / "clips/a/take.wav"
    assert resolve_inside(tmp_path, "./audio") == tmp_path.resolve() / "audio"


@pytest.mark.parametrize(
    "relative", ["../x", "clips/../../x", "/etc/passwd", "C:/Windows/x", "clips\\..\\x", "", "a\x00b"]
)
def test_resolve_inside_refuses_escapes(tmp_path: Path, relative: str) -> None:
    with pytest.raises(ProjectFileError):
        resolve_inside(tmp_path, relative)


def test_resolve_inside_refuses_symlinks_leading_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "p"
    project.mkdir()
    (project / "clips").symlink_to(outside)
    (project / "inner").mkdir()
    (project / "ok").symlink_to(project / "inner")
    with pytest.raises(ProjectFileError, match="outside the project folder"):
        resolve_inside(project, "clips/take.wav")
    assert resolve_inside(project, "ok/take.wav") == (project / "inner/take.wav").resolve()
