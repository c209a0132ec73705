"""Python packages a model's engine needs beyond the base install (`ModelSpec.packages`).

The face-landmark model runs on `mediapipe`, which brings OpenCV and some 450 MB with it, so it is
the optional extra `dubstudio[lipsync]` rather than a base dependency. The model manager (GUI and
`dubstudio models install ID --packages`) installs such packages into the running interpreter's
environment with pip, as the user would by hand.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tempfile
import time

from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken
from dubstudio.models.registry import REGISTRY

#: the extra of pyproject.toml that holds each package, for the messages
EXTRAS = {"mediapipe": "lipsync"}


def _name(requirement: str) -> str:
    return requirement.split("==")[0].split(">=")[0].strip()


def missing_packages(model_id: str) -> tuple[str, ...]:
    """The model's required packages that are not installed (any installed version counts)."""
    spec = REGISTRY.get(model_id)
    missing = []
    for requirement in spec.packages if spec else ():
        try:
            importlib.metadata.version(_name(requirement))
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement)
    return tuple(missing)


def install_hint(requirements: tuple[str, ...]) -> str:
    """What to type to install these packages by hand."""
    extras = sorted({EXTRAS[_name(r)] for r in requirements if _name(r) in EXTRAS})
    if extras:
        return f"pip install 'dubstudio[{','.join(extras)}]'"
    return "pip install " + " ".join(f"'{r}'" for r in requirements)


def install_packages(requirements: tuple[str, ...], *, cancel: CancelToken | None = None) -> None:
    """`pip install` the requirements into this interpreter's environment (a cancel stops pip)."""
    if not requirements:
        return
    if getattr(sys, "frozen", False):
        raise UserError(
            f"this build of DubStudio cannot add Python packages ({', '.join(requirements)})",
            fix="Install DubStudio from source or with pip to use this model.",
        )
    command = [
        sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
        "--progress-bar", "off", *requirements,
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=errors, stdin=subprocess.DEVNULL
        )
        while process.poll() is None:
            if cancel is not None and cancel.cancelled:
                process.terminate()
                process.wait()
                cancel.raise_if_cancelled()
            time.sleep(0.1)
        errors.seek(0)
        detail = [line for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
    if process.returncode != 0:
        last = detail[-1] if detail else f"pip exited with code {process.returncode}"
        raise UserError(
            f"could not install {', '.join(requirements)} ({last})",
            fix=f"Check the connection to the package index, or run '{install_hint(requirements)}' yourself.",
        )
    importlib.invalidate_caches()
