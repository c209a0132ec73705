"""The long-running null-flush helper process, on real processes: `cat` answers every input, a
program that never answers is a hung pipe, one that exits at once is a process that keeps dying."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from process_groups import group_members

from dubstudio.engines.null_flush import CLOSE_WAIT_S, NullFlushProcess


def test_one_process_answers_every_exchange_and_close_ends_it():
    echo = NullFlushProcess(["cat"], name="cat")
    assert echo.pid is None  # started on first use
    assert echo.exchange(b"Hola.", 10) == b"Hola."
    pid = echo.pid
    big = bytes(range(1, 256)) * 8000  # 2 MB: more than the pipes hold, written while it is read
    assert echo.exchange(big, 30) == big
    assert echo.pid == pid and echo.starts == 1
    echo.close()
    assert echo.pid is None and group_members(pid) == []  # ended and reaped: no zombie


def test_a_process_that_died_is_started_again():
    echo = NullFlushProcess(["cat"], name="cat")
    echo.exchange(b"one", 10)
    subprocess.run(["kill", "-9", str(echo.pid)], check=True)
    assert echo.exchange(b"two", 10) == b"two"
    assert echo.starts == 2
    echo.close()


def test_a_process_that_keeps_dying_fails_with_its_own_message():
    broken = NullFlushProcess(["sh", "-c", "echo cannot read automorf.bin >&2; exit 3"], name="apertium x")
    with pytest.raises(RuntimeError, match=r"apertium x stopped \(exit code 3\): cannot read automorf.bin"):
        broken.exchange(b"Hello.", 10)
    assert broken.starts == 2 and broken.pid is None


def test_a_hung_process_is_killed_after_the_timeout():
    hung = NullFlushProcess(["sleep", "60"], name="apertium eng-spa")
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"apertium eng-spa gave no answer in 0.5 s and was stopped"):
        hung.exchange(b"Hello.", 0.5)
    assert time.monotonic() - started < 0.5 + CLOSE_WAIT_S
    assert hung.pid is None
    # the next exchange starts a fresh process (which hangs again here)
    with pytest.raises(RuntimeError, match="no answer"):
        hung.exchange(b"Hello.", 0.2)
    assert hung.starts == 2


def test_close_interrupts_an_exchange_in_progress():
    hung = NullFlushProcess(["sleep", "60"], name="apertium eng-spa")
    errors: list[Exception] = []

    def translate() -> None:
        try:
            hung.exchange(b"Hello.", 60)
        except RuntimeError as error:
            errors.append(error)

    thread = threading.Thread(target=translate)
    thread.start()
    while hung.pid is None:
        time.sleep(0.01)
    pid = hung.pid
    started = time.monotonic()
    hung.close()
    thread.join(10)
    assert time.monotonic() - started < CLOSE_WAIT_S
    assert [str(e) for e in errors] == ["apertium eng-spa was closed while translating"]
    assert hung.starts == 1 and group_members(pid) == []


def test_interpreter_exit_ends_a_process_nobody_closed():
    """A process that would outlive its interpreter (it ignores the end of its input) is killed."""
    command = ["bash", "-c", r"read -r -d '' _; printf 'ready\0'; exec sleep 60"]
    script = (
        "from dubstudio.engines.null_flush import NullFlushProcess\n"
        f"helper = NullFlushProcess({command!r}, name='x')\n"
        "assert helper.exchange(b'go', 10) == b'ready'\n"
        "print(helper.pid)\n"
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    pid = int(child.stdout)
    assert group_members(pid) == []
