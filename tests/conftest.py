"""The whole suite's environment, shared fixtures and rules. Read this before adding a test.

How tests find models
---------------------
The suite never reads or writes the user's data dir. When pytest starts (`pytest_configure` below):

- `DUBSTUDIO_DATA_DIR` is set to a fresh folder of this run (printed in the header). Its `models/`
  links to a *link farm* kept in `.pytest_cache/d/dubstudio-models/`: one real folder per default
  model (`DEFAULT_MODELS`), each file a symlink to the installed pack, `manifest.json` a copy.
- The installed packs are the ones the app itself would use when pytest starts:
  `$DUBSTUDIO_DATA_DIR/models` if the caller set it, else the user data dir
  (`~/.local/share/dubstudio/models`), which `make setup` (`dubstudio models install`) fills.
  Each is verified before it is linked: its files' sizes and modification times must match the
  stamp of its last full sha256 check, else every changed file is hashed again. A missing or damaged
  model is not linked; the header says so and every test that needs it FAILS with the app's own
  "not installed ... Run 'dubstudio models install'" message. Nothing is ever skipped.
- A run that changes anything in those packs (a file written, replaced or touched) fails at the end.
- What an engine derives next to its model (the Kokoro float rewrite, when the pack does not ship it)
  is written into the link farm, never into the user's folder, and kept between runs (the engine
  re-checks it against the pack). Only the files a pack's manifest lists are linked: a file the pack
  ships wins over a derived one, and what the app derived in the user's folder is not used.
- Only the default models are linked: models a user installed besides them do not change results.
  For the same reason `XDG_DATA_HOME`, `XDG_CONFIG_HOME` (Qt preferences, argostranslate settings)
  and `ARGOS_PACKAGES_DIR` point into the run's folder.
- Downloads: `DUBSTUDIO_DOWNLOAD_CACHE` is the one cache the setup step fills (the caller's
  `DUBSTUDIO_DOWNLOAD_CACHE`, else `<user data dir>/downloads`; `make test` runs
  `tests/support/prefetch_wheels.py` to complete it). pip runs offline (`PIP_NO_INDEX=1`); a test
  that downloads serves the files from an HTTP server on 127.0.0.1 (tests/models/).

Fixtures: `suite_models` (the run's models folder; fails when a default model is missing),
`source_models` (the installed packs it links to), `data_dir` (tests/data), `pyannote_sample`,
`counting_synthesizer`, `model_loads` (which real models this test loaded, in which process), and the
real engines loaded once per session: `whisper_base`, `diarizer`, `kokoro`, `engines` (an `Engines`
with them for pipeline runs), `measured_spanish_voices` (the run's Spanish voice catalog measured
once, before CLI children need it), and `dubbed_sample`: the bundled sample dubbed once per run by the real
`dubstudio dub` (read it, or copy it before changing it). Folder-specific fixtures live in each
folder's conftest.py.

Rules, enforced by the hooks at the end of this file
----------------------------------------------------
- No test skips: a skip is reported as a failure (a missing model, display or package is a failure).
- No network: every connection to a non-loopback address and every name lookup other than localhost,
  in the test process or any Python child, is refused and fails the test (tests/support/guard/).
  HF_HUB_OFFLINE and its relatives are removed, so every pipeline test also proves that the code
  never asks a model hub for anything.
- A test that loads real model weights from the suite's models folder (onnxruntime, faster-whisper,
  torch.load; also in a child such as `dubstudio dub`) must be marked `@pytest.mark.slow`, so
  `pytest -m "not slow"` is a quick inner loop. The full suite (`make test`) runs everything.
- Waits that remain in GUI tests use `suite_timeouts.scaled_ms(...)`: one variable,
  `DUBSTUDIO_TEST_TIME_SCALE` (default 1), stretches them all on a slow or loaded machine.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import importlib.util
import itertools
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SUPPORT = TESTS / "support"
GUARD_DIR = SUPPORT / "guard"
DATA = TESTS / "data"

# The guards go in before anything imports onnxruntime, torch or faster-whisper in this process
# (an xdist worker inherits PYTHONPATH with the guard's sitecustomize: it is installed already).
if "dubstudio_test_guard" in sys.modules:
    guard = sys.modules["dubstudio_test_guard"]
else:
    _spec = importlib.util.spec_from_file_location(
        "dubstudio_test_guard", GUARD_DIR / "dubstudio_test_guard.py"
    )
    guard = importlib.util.module_from_spec(_spec)
    sys.modules["dubstudio_test_guard"] = guard
    _spec.loader.exec_module(guard)
guard.install()
sys.path.insert(0, str(SUPPORT))  # suite_timeouts, model_farm, local_index

from debian_versions import APERTIUM_EN_ES, ESPEAK, drift  # noqa: E402
from model_farm import FarmReport, build_model_farm  # noqa: E402

from dubstudio.core.collector import paused_collector  # noqa: E402
from dubstudio.engines.base import SynthesisRequest, SynthesizedAudio, Voice  # noqa: E402
from dubstudio.models.paths import download_cache_dir, models_dir  # noqa: E402
from dubstudio.models.registry import DEFAULT_MODELS  # noqa: E402


class SuiteEnvironment:
    """What pytest_configure set up for this run (one per session)."""

    def __init__(self, root: Path, source_models: Path, farm: Path, download_cache: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.models = self.data / "models"
        self.source_models = source_models
        self.farm = farm
        self.download_cache = download_cache
        self.guard_logs = root / "guard"
        self.report = FarmReport()
        self.packs_before: dict[str, tuple[int, int]] = {}
        self.damage: list[str] = []


SUITE: SuiteEnvironment | None = None


def suite() -> SuiteEnvironment:
    assert SUITE is not None, "pytest_configure of tests/conftest.py did not run"
    return SUITE


#: the installed packs, as the process that started pytest found them: xdist workers inherit the
#: environment of the controller, whose DUBSTUDIO_DATA_DIR already points into its own run folder
SOURCE_MODELS_VARIABLE = "DUBSTUDIO_TEST_SOURCE_MODELS"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    global SUITE
    inherited = os.environ.get(SOURCE_MODELS_VARIABLE)
    # with the caller's environment: where the app finds the installed packs
    source = Path(inherited) if inherited else models_dir()
    cache = download_cache_dir()
    cache_provider = getattr(config, "cache", None)
    farm = (
        Path(cache_provider.mkdir("dubstudio-models"))
        if cache_provider is not None
        else Path(tempfile.gettempdir()) / "dubstudio-test-models"
    )
    root = Path(tempfile.mkdtemp(prefix="dubstudio-tests-"))
    SUITE = environment = SuiteEnvironment(root, source, farm, cache)
    environment.report = build_model_farm(source, farm)
    environment.data.mkdir()
    environment.models.symlink_to(farm, target_is_directory=True)
    environment.guard_logs.mkdir()
    for name in ("xdg-data", "xdg-config", "argos-packages"):
        (root / name).mkdir()
    roots = [environment.models, farm.resolve(), source.resolve()]
    python_path = [str(GUARD_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ.update(
        {
            "DUBSTUDIO_DATA_DIR": str(environment.data),
            "DUBSTUDIO_DOWNLOAD_CACHE": str(cache),
            "XDG_DATA_HOME": str(root / "xdg-data"),
            "XDG_CONFIG_HOME": str(root / "xdg-config"),
            "ARGOS_PACKAGES_DIR": str(root / "argos-packages"),
            "PIP_NO_INDEX": "1",
            SOURCE_MODELS_VARIABLE: str(source),
            "PYTHONPATH": os.pathsep.join(python_path),
            guard.MODELS_VARIABLE: os.pathsep.join(str(r) for r in roots),
        }
    )
    # no hub mirror, and no "offline" switch that would hide a hub request from the network guard
    for variable in ("HF_ENDPOINT", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.pop(variable, None)


def _user_packs_state(source: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every entry of the installed default packs, to prove the run left them alone."""
    state = {}
    for model_id in DEFAULT_MODELS:
        folder = source / model_id
        for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
            info = entry.lstat()
            state[f"{model_id}/{entry.name}"] = (info.st_size, info.st_mtime_ns)
    return state


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    environment = suite()
    environment.packs_before = _user_packs_state(environment.source_models)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Tests never write into the user's model folders: a change there fails the run."""
    environment = suite()
    after = _user_packs_state(environment.source_models)
    changed = sorted(
        name
        for name in set(environment.packs_before) | set(after)
        if environment.packs_before.get(name) != after.get(name)
    )
    if changed:
        environment.damage.append(
            f"the run changed the installed packs in {environment.source_models}: {changed}"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    if SUITE is not None:
        shutil.rmtree(SUITE.root, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    environment = suite()
    lines = [
        f"dubstudio: data dir {environment.data} (DUBSTUDIO_DATA_DIR), models linked from "
        f"{environment.source_models} via {environment.farm}",
        f"dubstudio: download cache {environment.download_cache}; pip offline; network guard on",
        f"dubstudio: linked models: {', '.join(environment.report.linked) or 'none'}",
    ]
    lines += [f"dubstudio: NOT LINKED {problem}" for problem in environment.report.problems]
    changed = drift(APERTIUM_EN_ES + ESPEAK)
    if changed:
        lines.append(f"dubstudio: Debian packages differ from tests/support/debian_versions.py: {changed}")
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    for problem in suite().report.problems:
        terminalreporter.write_line(f"dubstudio: NOT LINKED {problem}", red=True, bold=True)
    for problem in suite().damage:
        terminalreporter.write_line(f"dubstudio: FAILED: {problem}", red=True, bold=True)


# ---- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def source_models() -> Path:
    """The installed packs the suite links to (read only: never write here)."""
    return suite().source_models


@pytest.fixture(scope="session")
def suite_models() -> Path:
    """The run's models folder (DUBSTUDIO_DATA_DIR/models), with every default model in it."""
    environment = suite()
    if environment.report.problems:
        pytest.fail(
            "the default models are not all installed, so this test cannot run:\n  "
            + "\n  ".join(environment.report.problems),
            pytrace=False,
        )
    return environment.models


# ---- real engines, loaded once per session (request them only from tests marked slow) -------------


@pytest.fixture(scope="session")
def whisper_base():
    """The default recogniser, deterministic (temperature 0): faster-whisper base on the CPU."""
    from dubstudio.engines.whisper import FasterWhisperTranscriber

    return FasterWhisperTranscriber("whisper-base", device="cpu", temperature=0.0)


@pytest.fixture(scope="session")
def diarizer():
    """The default diarizer (pyannote segmentation-3.0 + CAM++) on the CPU."""
    from dubstudio.engines.diarization import PyannoteDiarizer

    return PyannoteDiarizer(device="cpu")


@pytest.fixture(scope="session")
def kokoro():
    """The default synthesizer; its ONNX session (and float model) load on first synthesis."""
    from dubstudio.engines.kokoro import KokoroSynthesizer

    return KokoroSynthesizer(device="cpu")


@pytest.fixture(scope="session")
def engines(kokoro):
    """The engine set of a pipeline run with the default settings (Apertium, Kokoro and espeak-ng;
    the recogniser loads when a run needs it), shared by the pipeline and editor tests."""
    from dubstudio.core.project import Settings
    from dubstudio.engines.espeak import EspeakSynthesizer
    from dubstudio.engines.factory import Engines

    return Engines(Settings(device="cpu"), synthesizers=[kokoro, EspeakSynthesizer()])


@pytest.fixture(scope="session")
def measured_spanish_voices(engines) -> None:
    """The Spanish voices measured once per run into the suite's data dir (voice QA loads the Whisper
    judge and CAM++ in this process). CLI children of the run read the measurements instead of each
    making them: two children started at once would both measure (about half a minute each)."""
    engines.catalog("es")


@pytest.fixture(scope="session")
def dubbed_sample(tmp_path_factory, measured_spanish_voices) -> Path:
    """The bundled sample as `dubstudio dub resources/sample/dialogue.mp4 --to es --out DIR` leaves it
    (recognition, diarization, Apertium, Kokoro, the mix and the muxed video), made once per run by
    the real CLI with a voice library of its own, so earlier tests cannot change its voices. Several
    folders read it; a test that changes it works on a copy."""
    from badinput import REPO, run_dubstudio

    sample = REPO / "resources" / "sample" / "dialogue.mp4"
    if not sample.is_file():
        pytest.fail(f"the bundled sample {sample} is missing (resources/sample/make_sample.py makes it)")
    work = tmp_path_factory.mktemp("dubbed-sample")
    out = work / "sample"
    result = run_dubstudio(
        "dub", sample, "--to", "es", "--out", out,
        env={"DUBSTUDIO_VOICE_LIBRARY": str(work / "voice_library.sqlite")}, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return out


@pytest.fixture(scope="session")
def pyannote_sample() -> dict[str, Path]:
    """The real 30 s two-speaker call that the pyannote.audio wheel ships, with its references."""
    folder = Path(str(importlib.resources.files("pyannote.audio") / "sample"))
    return {"wav": folder / "sample.wav", "rttm": folder / "sample.rttm", "stm": folder / "sample.stm"}


@pytest.fixture
def model_loads():
    """A callable: (model id, process id) of every real model this test has loaded since this
    fixture was set up (fixtures requested before it are not counted), in this process or any child
    (from the guard's log; see tests/support/guard/)."""
    log = os.environ[guard.LOG_VARIABLE]
    before = len(guard.read_log(log))

    def loads() -> list[tuple[str, int]]:
        events = guard.read_log(log)[before:]
        return [(event[1], int(event[3])) for event in events if event[0] == "model"]

    return loads


class CountingSynthesizer:
    """Delegates to a real engine and counts calls (instrumentation, not a stand-in)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.version, self.native_speed = inner.name, inner.version, inner.native_speed
        self.calls = 0

    def voices(self) -> list[Voice]:
        return self.inner.voices()

    def synthesize(self, request: SynthesisRequest) -> SynthesizedAudio:
        self.calls += 1
        return self.inner.synthesize(request)


@pytest.fixture(scope="session")
def counting_synthesizer() -> type[CountingSynthesizer]:
    """Wraps a real synthesizer to count its calls (e.g. to prove a cache hit synthesizes nothing)."""
    return CountingSynthesizer


# ---- parallel runs (`make test` runs pytest-xdist workers, `--dist loadgroup`) ------------------

#: folders whose files share an expensive session fixture (a finished project, a batch's reference
#: dubs, a dubbed face scene, a models install): each runs on one worker, so it is built once there;
#: the files of the other folders are handed out one by one
SHARED_FIXTURE_FOLDERS = ("ui", "batch", "lipsync", "models")
#: the longest groups are handed out first, so that none of them is left over for the end of the run
LONGEST_FIRST = ("ui", "reliability", "pipeline", "cli", "batch")


def _folder(item: pytest.Item) -> str:
    parts = Path(str(item.path)).relative_to(TESTS).parts
    return parts[0] if len(parts) > 1 else ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        folder = _folder(item)
        group = folder if folder in SHARED_FIXTURE_FOLDERS else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a serial run keeps the files' order
        rank = {folder: index for index, folder in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(_folder(item), len(rank)))  # stable: file order is kept


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session: pytest.Session):
    """Collect (import every test module's stack) as the editor imports its start-up modules:
    with the garbage collector paused, then frozen out of it (dubstudio/core/collector.py;
    collection 26 → 15 s, and no later full collection rescans it while a GUI test plays)."""
    with paused_collector():
        yield


# ---- rules ------------------------------------------------------------------------------------

_log_numbers = itertools.count(1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    """Give each test its own guard log (children inherit it through the environment)."""
    log = suite().guard_logs / f"{next(_log_numbers):05d}.log"
    item.stash[_GUARD_LOG] = log
    item.stash[_GUARD_SEEN] = 0
    os.environ[guard.LOG_VARIABLE] = str(log)
    try:
        yield
    finally:
        os.environ.pop(guard.LOG_VARIABLE, None)


_GUARD_LOG = pytest.StashKey[Path]()
_GUARD_SEEN = pytest.StashKey[int]()


def _guard_problems(item: pytest.Item, when: str) -> list[str]:
    events = guard.read_log(item.stash[_GUARD_LOG])
    new = events[item.stash[_GUARD_SEEN] :]
    item.stash[_GUARD_SEEN] = len(events)
    problems = [f"tried to reach the network: {e[1]}" for e in new if e[0] == "network"]
    if when != "teardown" and item.get_closest_marker("slow") is None:
        loaded = sorted({e[1] for e in new if e[0] == "model"})
        if loaded:
            problems.append(
                f"loads the real model(s) {', '.join(loaded)} but is not marked @pytest.mark.slow "
                "(tests/conftest.py: the quick loop `pytest -m 'not slow'` must not load models)"
            )
    return problems


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (
            f"tests never skip (tests/conftest.py): a missing model, display or package is a failure. "
            f"Skip reason: {reason}"
        )
        return
    if report.when == "setup" and report.failed:
        return
    if report.when == "setup":
        return  # what setup loaded is judged with the test's own call
    with contextlib.suppress(KeyError):
        problems = _guard_problems(item, report.when)
        if problems and not report.failed:
            report.outcome = "failed"
            report.longrepr = "\n".join(problems)
        elif problems:
            report.sections.append(("dubstudio guard", "\n".join(problems)))
