"""Editor redo bench: Re-synthesize and Re-translate of one 5 s cue, from the window's own keys.

Opens a real project in a real `MainWindow` (run under `xvfb-run -a`), waits until the window has
loaded its engines in the background, selects a 5 s cue and presses Ctrl+Shift+Y (re-synthesize)
and Ctrl+Shift+R (re-translate) as a user would, through the window system, timing each from the
key press to the new take being in the document and playable (its WAV readable). In the same run
it times the bare calls: the Kokoro engine on the cue's text, the translator on its English and the
synthesis stage function for the cue, and prints the ratios (re-synthesize against Kokoro,
re-translate against the translator) (wall times vary with the load of a shared machine; the ratios less).

The project is a copy of a dubbed one (`dubstudio dub resources/sample/dialogue.mp4 --to es --out
DIR`, DIR given as the first argument, default /tmp/editor-sample). Its cue whose start leaves the
most room becomes a 5 s cue with an English sentence whose Spanish dub lasts about 5 s (one
pipeline run prepares it), so both redo paths do real work on a real 5 s slot.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python bench/editor_redo.py [DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ui"))
from gui_driving import keyboard
from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from dubstudio.core.media import source_wav_path
from dubstudio.core.store import load_project, save_project
from dubstudio.engines.base import SynthesisRequest
from dubstudio.pipeline.session import EngineSession
from dubstudio.stages.synthesis import synthesize_segments
from dubstudio.ui.app import ensure_app
from dubstudio.ui.main_window import MainWindow
from dubstudio.ui.settings import AppSettings

SLOT_S = 5.0
#: Apertium makes "Mañana revisaremos el presupuesto junto y decidir." of it: about 5 s of Kokoro
ORIGINAL = "Tomorrow we will review the budget together and decide."
TIMEOUT_S = 300.0


def _prepare(source: Path, work: Path) -> tuple[Path, str]:
    """A copy of the project with one 5 s cue (the cues it covers removed), brought up to date."""
    folder = Path(shutil.copytree(source, work / "bench.dubstudio"))
    project = load_project(folder)
    segments = project.segments
    room = [
        (segments[i + 1].start if i + 1 < len(segments) else project.media.duration) - s.start
        for i, s in enumerate(segments)
    ]
    # the cue that becomes 5 s: the first one that, with the cues after it removed, has the room
    index = next(i for i, s in enumerate(segments) if project.media.duration - s.start > SLOT_S + 0.5)
    cue = segments[index]
    keep = [s for s in segments if s is cue or not (cue.start < s.start < cue.start + SLOT_S + 0.3)]
    del room
    cue.end = round(cue.start + SLOT_S, 3)
    cue.original_text = ORIGINAL
    cue.words = []
    project.segments = keep
    project.mark_stale(cue, "translation")
    save_project(folder, project)
    session = EngineSession(isolate_recognition=False)
    session.pipeline(folder, project).run()
    return folder, cue.id


def _wait(app: QApplication, done, what: str) -> None:
    """Run the event loop until `done()`, checking every 5 ms: the loop sleeps in between, as a
    user's idle window does (a busy-polling loop would take a core from the job)."""
    if done():
        return
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(5)
    deadline = time.monotonic() + TIMEOUT_S
    check.timeout.connect(lambda: (done() or time.monotonic() > deadline) and loop.quit())
    check.start()
    loop.exec()
    check.stop()
    if not done():
        raise SystemExit(f"timed out waiting for {what}")


def _playable(window: MainWindow, cue_id: str, steps_before: int) -> bool:
    """The redo is in the document (one more undo step) and its take is a readable WAV."""
    if window.undo_stack.count() <= steps_before or window.jobs.is_running:
        return False
    clip = window.doc.segment(cue_id).clip
    try:
        return clip is not None and sf.info(str(window.doc.project_dir / clip.path)).frames > 0
    except RuntimeError:
        return False


def _redo(app: QApplication, window: MainWindow, press, key: Qt.Key, cue_id: str) -> tuple[float, float]:
    """(wall seconds from the key press to a playable take, CPU seconds of the whole process)."""
    steps = window.undo_stack.count()
    wall, cpu = time.perf_counter(), time.process_time()
    press(key)
    _wait(app, lambda: _playable(window, cue_id, steps), "the redo")
    if window.jobs.last_failure is not None:
        raise SystemExit(f"the redo failed: {window.jobs.last_failure.details}")
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", type=Path, default=Path("/tmp/editor-sample"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (args.project / "project.json").is_file():
        print(f"{args.project} is not a project: run `dubstudio dub resources/sample/dialogue.mp4 --to es "
              f"--out {args.project}` first", file=sys.stderr)  # fmt: skip
        return 2
    work = Path(tempfile.mkdtemp(prefix="editor-redo-"))
    load_before = os.getloadavg()[0]
    folder, cue_id = _prepare(args.project, work)
    app = ensure_app()
    settings = AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    settings.set("ui/autosave_seconds", 0)
    window = MainWindow(settings)
    window.quiet_dialogs = True
    window.show()
    opened = time.perf_counter()
    assert window.open_project(folder)
    window.doc.select(cue_id)
    # the window loads its engines after the first paint: a user's first redo comes later than that
    app.processEvents()
    _wait(app, lambda: not window._project_jobs_timer.isActive(), "the project's background jobs to start")
    _wait(app, lambda: not window.jobs.is_busy("engines"), "the engines to load")
    warm_s = time.perf_counter() - opened
    keys = keyboard(window)

    def press(key: Qt.Key) -> None:
        keys(key, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)

    project = window.doc.project
    cue = window.doc.segment(cue_id)
    # the bare calls on the window's own (warm) engines, on a job thread like the redo's (which runs
    # at a lower CPU priority than the window: on a busy machine that matters)
    engines = window.session.engines(project.settings)
    catalog = engines.catalog(project.target_language, project.speakers)
    voice = next(v for v in catalog if v.id == project.voice_for(cue))
    synthesizer = engines.synthesizers()[voice.engine]
    translator = engines.translator(project.source_language, [project.target_language])
    spoken: list[float] = []

    def bare_synthesis() -> None:
        current = window.doc.segment(cue_id)
        language = current.tts_language or project.target_language
        request = SynthesisRequest(current.tts_text, voice, language, speed=current.clip.engine_speed)
        spoken.append(len(synthesizer.synthesize(request).audio) / 24_000)

    def bare_translation() -> None:
        translator.translate([cue.original_text], project.source_language, project.target_language)

    def bare_stage() -> None:
        synthesize_segments(
            copy.deepcopy(project.segments), project, engines.synthesizers(), catalog, folder,
            only_ids={cue_id}, force=True, source_audio=source_wav_path(folder))  # fmt: skip

    def on_job_thread(call) -> tuple[float, float]:
        timing: list[tuple[float, float]] = []

        def job(_job) -> None:
            wall, cpu = time.perf_counter(), time.process_time()  # the engine's threads are the process's
            call()
            timing.append((time.perf_counter() - wall, time.process_time() - cpu))

        window.jobs.start_background("bench", job)
        _wait(app, lambda: not window.jobs.is_busy("bench"), "a bare call")
        return timing[0]

    # each redo is followed by its bare call, so a change in the machine's load hits both alike
    resynth, bare, retrans, bare_translations, stage = [], [], [], [], []
    for _ in range(args.rounds):
        resynth.append(_redo(app, window, press, Qt.Key.Key_Y, cue_id))
        bare.append(on_job_thread(bare_synthesis))
        stage.append(on_job_thread(bare_stage))
    for _ in range(args.rounds):
        retrans.append(_redo(app, window, press, Qt.Key.Key_R, cue_id))
        bare_translations.append(on_job_thread(bare_translation))
    cue = window.doc.segment(cue_id)
    window.undo_stack.clear()
    window.doc.set_dirty(False)
    window.close()
    load_after = os.getloadavg()[0]

    def summary(label: str, runs: list[tuple[float, float]]) -> str:
        walls = [wall for wall, _cpu in runs]
        return (f"{label}: best {min(walls):.2f} s, median {statistics.median(walls):.2f} s, "
                f"CPU {min(cpu for _wall, cpu in runs):.2f} s")  # fmt: skip

    print(f"project {args.project.name}: {len(project.segments)} cues; the {cue.duration:.1f} s cue: "
          f"{cue.tts_text!r}, {spoken[0]:.1f} s of speech at engine speed {cue.clip.engine_speed:.2f}; "
          f"engines warm {warm_s:.1f} s after opening")  # fmt: skip
    print(f"load average {load_before:.1f} before, {load_after:.1f} after ({os.cpu_count()} cores)")
    print(summary("bare Kokoro call (job thread)", bare))
    print(summary(f"bare {translator.name} call (job thread; its child processes' CPU not counted)",
                  bare_translations))  # fmt: skip
    print(summary("synthesis stage for the cue (job thread)", stage))
    rows = (("Re-synthesize (Ctrl+Shift+Y)", resynth, bare, "< 1.5 s"),
            ("Re-translate (Ctrl+Shift+R)", retrans, bare_translations, "< 0.5 s"))  # fmt: skip
    for label, runs, engine, target in rows:
        ratios = [wall / bare_wall for (wall, _cpu), (bare_wall, _bare_cpu) in zip(runs, engine, strict=True)]
        cpu = min(c for _wall, c in runs)
        bare_cpu = min(c for _wall, c in engine)
        print(summary(f"{label} → playable take", runs) + f"; first {runs[0][0]:.2f} s; median "
              f"{statistics.median(ratios):.2f}× its bare call's wall (paired, range {min(ratios):.2f}–"
              f"{max(ratios):.2f}), {cpu / max(bare_cpu, 1e-3):.2f}× its CPU (target {target})")  # fmt: skip
    print(f"engine sets built by the window: {window.session.builds}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
