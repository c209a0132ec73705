"""One crash-report writer for the CLI and the editor: the user log folder, the traceback, and a
child process's traceback in the details only."""

from __future__ import annotations

from pathlib import Path

import pytest

from dubstudio.cli.main import EXIT_INTERNAL_ERROR, run_command
from dubstudio.core.crash_log import error_details, error_summary, log_dir, write_crash_report
from dubstudio.pipeline.isolation import ChildProcessFailure


@pytest.fixture
def logs(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DUBSTUDIO_LOG_DIR", str(tmp_path / "logs"))
    return tmp_path / "logs"


def _bug(_args) -> None:
    raise RuntimeError("the mixer lost a sample\nsecond line of the message")


def test_the_cli_writes_its_crash_report_with_the_shared_writer(logs, capsys):
    assert run_command(_bug, None) == EXIT_INTERNAL_ERROR
    (report,) = logs.glob("crash-*.log")
    text = report.read_text()
    assert "Traceback (most recent call last)" in text and "_bug" in text and "DubStudio" in text
    stderr = capsys.readouterr().err
    assert "RuntimeError: the mixer lost a sample" in stderr and str(report) in stderr.replace("\n", " ")
    assert "Traceback" not in stderr and "second line" not in stderr


def test_a_child_traceback_is_in_the_details_not_the_summary():
    summary = "ValueError: bad frame (in the recognize process)"
    error = ChildProcessFailure(summary, "Traceback…\n  child.py\n")
    assert error_summary(error) == "ChildProcessFailure: ValueError: bad frame (in the recognize process)"
    assert error_details(error).endswith("In the child process:\nTraceback…\n  child.py\n")


def test_the_log_folder_follows_the_data_folder_and_an_unwritable_one_is_no_crash(tmp_path, monkeypatch):
    monkeypatch.delenv("DUBSTUDIO_LOG_DIR", raising=False)
    monkeypatch.setenv("DUBSTUDIO_DATA_DIR", str(tmp_path / "data"))
    assert log_dir() == tmp_path / "data" / "logs"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "logs").write_text("a file where the folder should be")
    assert write_crash_report(RuntimeError("x")) is None
