"""A long-running helper process spoken to in null-flush mode: each input ends in "\\0", and the
process answers it with output ending in "\\0" (Apertium's `-z`).

Starting such a process can cost far more than one answer (Apertium loads its dictionaries), so it
is started on first use and kept. Jobs run on worker threads: one exchange at a time (a lock). A
process that died is started again once per exchange. A hung one must not hang the editor: an
exchange that outlasts its timeout kills the process and raises RuntimeError (the next exchange
starts a fresh one). `close()` ends it, as do garbage collection and interpreter exit
(`weakref.finalize`), and every process is reaped (no zombies): it runs in its own process group,
so a shell and all the programs of its pipeline end together.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import IO

#: seconds a closing process gets to end on its own (stdin closed) before its group is killed
CLOSE_WAIT_S = 2.0
_CHUNK = 1 << 16


class _Ended(Exception):
    """The process closed its output or input before answering."""


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # ended meanwhile
            os.killpg(process.pid, signal.SIGKILL)


def _stop(process: subprocess.Popen[bytes], errors: IO[bytes]) -> None:
    """Close stdin (a shell's pipeline ends on its own, the shell waiting for every program), kill
    the group if it lingers, reap it."""
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    try:
        process.wait(CLOSE_WAIT_S)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.wait()
    errors.close()


class NullFlushProcess:
    """`command` kept running and asked one "\\0"-terminated input at a time (see the module docstring)."""

    def __init__(self, command: Sequence[str], *, name: str, env: Mapping[str, str] | None = None) -> None:
        self.command, self.name, self.env = list(command), name, env
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._errors: IO[bytes] | None = None
        self._stopper: weakref.finalize | None = None
        #: the tail of what the last process wrote to stderr, for the error message
        self._last_errors = ""
        #: raised by `close()`: an exchange it interrupted fails instead of starting a new process
        self._generation = 0
        #: processes started, for the tests and the bench (1 while it stays alive)
        self.starts = 0

    @property
    def pid(self) -> int | None:
        """The running process's id (the leader of its group), None before the first exchange."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def exchange(self, data: bytes, timeout: float) -> bytes:
        """The process's answer to `data` (without the "\\0"s), in at most `timeout` seconds."""
        with self._lock:
            generation = self._generation
            for _attempt in range(2):  # a process that died is started again, once
                process = self._running()
                try:
                    return self._ask(process, data, timeout)
                except _Ended:
                    self._end()
                if generation != self._generation:
                    raise RuntimeError(f"{self.name} was closed while translating")
            raise RuntimeError(f"{self.name} stopped (exit code {process.returncode}): {self._last_errors}")

    def close(self) -> None:
        """End the process (an exchange in progress fails); a later exchange starts a new one."""
        self._generation += 1
        if not self._lock.acquire(blocking=False):
            process = self._process
            if process is not None:
                _kill_group(process)  # the exchange holding the lock sees it end and gives up
            self._lock.acquire()
        try:
            self._end()
        finally:
            self._lock.release()

    # ---- under the lock ------------------------------------------------------------------------
    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._end()
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `_stop`, with the process)
        process = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env=None if self.env is None else dict(self.env),
            bufsize=0,
            start_new_session=True,  # its own group: one signal ends every program of a pipeline
        )
        assert process.stdin is not None
        os.set_blocking(process.stdin.fileno(), False)
        self._process, self.starts = process, self.starts + 1
        self._stopper = weakref.finalize(self, _stop, process, self._errors)
        return process

    def _ask(self, process: subprocess.Popen[bytes], data: bytes, timeout: float) -> bytes:
        """Write `data` + "\\0" and read up to the answering "\\0", both at once (the output can fill
        the pipe before all the input is written)."""
        assert process.stdin is not None and process.stdout is not None
        deadline = time.monotonic() + timeout
        pending = memoryview(data + b"\0")
        answer = bytearray()
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            selector.register(process.stdin, selectors.EVENT_WRITE)
            while True:
                ready = selector.select(max(0.0, deadline - time.monotonic()))
                if not ready:
                    _kill_group(process)
                    self._end()
                    raise RuntimeError(
                        f"{self.name} gave no answer in {timeout:g} s and was stopped "
                        "(the next translation starts it again)"
                    )
                for key, _events in ready:
                    if key.fileobj is process.stdin:
                        try:
                            written = os.write(process.stdin.fileno(), pending[:_CHUNK])
                        except BlockingIOError:
                            continue
                        except (BrokenPipeError, OSError):
                            raise _Ended from None
                        pending = pending[written:]
                        if not pending:
                            selector.unregister(process.stdin)
                        continue
                    chunk = os.read(process.stdout.fileno(), _CHUNK)
                    if not chunk:
                        raise _Ended
                    answer += chunk
                    end = answer.find(b"\0")
                    if end >= 0:
                        if end != len(answer) - 1 or pending:  # out of step: start afresh next time
                            self._end()
                            raise RuntimeError(f"{self.name} answered before it read all of its input")
                        return bytes(answer[:end])

    def _end(self) -> None:
        """Stop and reap the current process, keeping the tail of what it wrote to stderr."""
        if self._stopper is None:
            return
        errors = self._errors
        if errors is not None and not errors.closed:
            errors.seek(0, os.SEEK_END)
            errors.seek(max(0, errors.tell() - 2000))
            self._last_errors = errors.read().decode(errors="replace").strip() or "no message"
        self._stopper()
        self._process = self._errors = self._stopper = None
