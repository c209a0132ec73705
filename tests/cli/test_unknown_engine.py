"""A project file naming an engine this build does not have is a user error naming the file, in the
CLI as in the editor (tests/ui/test_editor_jobs.py), before any engine loads."""

from __future__ import annotations

import pytest

from dubstudio.cli.main import EXIT_USER_ERROR, main
from dubstudio.core.project import Project, Settings
from dubstudio.core.store import PROJECT_FILE, create_project_dir


@pytest.mark.parametrize(("setting", "value"), [("synthesizer", "festival"), ("translator", "deepl")])
def test_resuming_a_project_with_an_unknown_engine_says_which_file_and_what_to_set(
    tmp_path, capsys, setting, value
):
    folder = create_project_dir(
        tmp_path / "p.dubstudio", Project(name="p", settings=Settings(**{setting: value}))
    )
    code = main(["dub", str(tmp_path / "video.mp4"), "--to", "es", "--out", str(folder)])
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_USER_ERROR
    assert f"{folder / PROJECT_FILE}: the project's {setting} is '{value}'" in err
    assert f"Set settings.{setting} to one of: auto," in err and "Traceback" not in err
    code = main(["open", str(folder), "--screenshot", str(tmp_path / "x.png")])
    assert code == EXIT_USER_ERROR and f"{setting} is '{value}'" in " ".join(capsys.readouterr().err.split())
