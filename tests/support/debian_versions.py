"""Exact texts that depend on Debian packages, and the package versions they were written against.

Apertium's output comes from its dictionaries and rules (apertium-eng-spa, lttoolbox, ...), espeak-ng's
phonemes from espeak-ng-data. A test that expects an exact string from them states which packages
shape it: `assert_package_text(actual, expected, APERTIUM_EN_ES)`. When the text differs and an
installed version is not the one recorded below, the failure names the drift (so the new output can
be checked and the expectation and RECORDED updated together); with the recorded versions installed a
difference is an ordinary failure: our code changed.

Recorded on Debian 12 (bookworm), the system packaging/debian-deps.sh installs.
"""

from __future__ import annotations

import subprocess
from functools import cache
from typing import Literal

import pytest

RECORDED: dict[str, str] = {
    "apertium": "3.8.3-1+b2",
    "apertium-eng-spa": "0.8.1-2",
    "lttoolbox": "3.7.1-1+b2",
    "apertium-lex-tools": "0.4.2-2",
    "espeak-ng": "1.51+dfsg-10+deb12u2",
    "espeak-ng-data": "1.51+dfsg-10+deb12u2",
    "libespeak-ng1": "1.51+dfsg-10+deb12u2",
}
#: the packages that shape Apertium's English→Spanish output
APERTIUM_EN_ES = ("apertium", "apertium-eng-spa", "lttoolbox", "apertium-lex-tools")
#: the packages that shape espeak-ng's phonemes and speech
ESPEAK = ("espeak-ng", "espeak-ng-data", "libespeak-ng1")


@cache
def installed_version(package: str) -> str:
    """The installed Debian version of `package`, or "" when it is not installed (or no dpkg)."""
    try:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def drift(packages: tuple[str, ...]) -> list[str]:
    """'package: recorded X, installed Y' for each package whose installed version differs."""
    return [
        f"{package}: recorded {RECORDED[package]}, installed {installed_version(package) or 'none'}"
        for package in packages
        if installed_version(package) != RECORDED[package]
    ]


def assert_package_text(
    actual: str,
    expected: str,
    packages: tuple[str, ...],
    how: Literal["equals", "startswith", "contains"] = "equals",
) -> None:
    matches = {
        "equals": actual == expected,
        "startswith": actual.startswith(expected),
        "contains": expected in actual,
    }[how]
    if matches:
        return
    verb = {"equals": "equal", "startswith": "start with", "contains": "contain"}[how]
    changed = drift(packages)
    if changed:
        pytest.fail(
            f"{actual!r} does not {verb} {expected!r}, and the packages that shape this text "
            f"are not the versions it was recorded with ({'; '.join(changed)}). Check the new output; if it "
            "is right, update the expectation and tests/support/debian_versions.py.",
            pytrace=False,
        )
    raise AssertionError(f"{actual!r} does not {verb} {expected!r} (the package versions are as recorded)")
