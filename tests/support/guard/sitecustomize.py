"""Installs the test-run guards (dubstudio_test_guard.py) in every Python process a test starts.

tests/conftest.py puts this folder first on PYTHONPATH for the run. Another sitecustomize further
down the path (a distribution's own) still runs after this one.
"""

import importlib.machinery
import importlib.util
import os
import sys

import dubstudio_test_guard

dubstudio_test_guard.install()

_here = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.machinery.PathFinder.find_spec(
    "sitecustomize", [p for p in sys.path if os.path.abspath(p or ".") != _here]
)
if _spec is not None and _spec.loader is not None:
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
