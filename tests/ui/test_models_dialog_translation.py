"""The model manager the editor shows installs a neural translation pair from the Argos index
(a local HTTP server here) with its progress bar, and lists it as installed afterwards.

argostranslate reads its package folder from the environment when first imported, so the dialog
runs in a child Python (on the Xvfb display pytest-xvfb started) with its own data dirs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engines"))
from tiny_argos import argos_index_server, isolated_argos_env

pytestmark = pytest.mark.gui

CHILD = textwrap.dedent(
    """
    import json
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication
    from dubstudio.ui.dialogs.models import ModelManagerDialog

    app = QApplication([])
    dialog = ModelManagerDialog()
    dialog.show()
    row = next(i for i, m in enumerate(dialog.models) if m.id == "translate-en-es")
    dialog.table.selectRow(row)
    result = {"offered": dialog.table.item(row, 2).text(), "enabled": dialog.install_button.isEnabled()}
    values = []
    dialog.runner.progress.connect(lambda _stage, fraction, _message: values.append(fraction))
    loop = QEventLoop()
    dialog.runner.finished.connect(lambda _name: loop.quit())
    QTimer.singleShot(240_000, loop.quit)
    dialog.install_selected()
    result["progress_shown"] = dialog.progress.isVisible()
    loop.exec()
    app.processEvents()
    table = dialog.table
    result["after"] = {table.item(i, 0).text(): table.item(i, 2).text() for i in range(table.rowCount())}
    result["fractions"] = values
    print(json.dumps(result))
    """
)


@pytest.mark.slow
def test_install_a_translation_pair_from_the_dialog(tmp_path):
    with argos_index_server(tmp_path / "index") as base:
        completed = subprocess.run(
            [sys.executable, "-c", CHILD],
            env=isolated_argos_env(tmp_path, base),
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["offered"] == "not installed" and result["enabled"]
    assert result["progress_shown"]
    assert result["fractions"] and max(result["fractions"]) == 1.0
    assert result["after"].get("argos-en-es") == "installed"
    assert "translate-en-es" not in result["after"]
