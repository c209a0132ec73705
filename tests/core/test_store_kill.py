"""Killing the process in the middle of saves never leaves an unloadable project.

A child process saves ever-changing, megabyte-sized projects in a loop and reports each finished
save; once its first save is done the test SIGKILLs it at a random moment, then loads the folder.
The result must be the last reported generation or the one being saved at the kill, never an error
or an older state.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from suite_timeouts import scaled_s

from dubstudio.core.store import BACKUP_FILE, create_project_dir, load_project

CHILD = r"""
import sys
from dubstudio.core.project import Project, Segment, Speaker, Word
from dubstudio.core.store import save_project

def generation(gen):
    count = 200 + (gen % 5) * 100
    segments = [
        Segment(id=f"g{gen}-{i}", start=i * 2.0, end=i * 2.0 + 1.5, speaker_id="S1",
                original_text=f"generation {gen} line {i} " * 60,
                words=[Word(i * 2.0 + k * 0.1, i * 2.0 + k * 0.1 + 0.1, f"w{gen}", 0.5) for k in range(4)])
        for i in range(count)
    ]
    return Project(name=f"gen-{gen}", speakers=[Speaker(id="S1", embedding=[gen / 7.0] * 192)],
                   segments=segments)

folder, gen = sys.argv[1], int(sys.argv[2])
while True:
    save_project(folder, generation(gen))
    print(gen, flush=True)
    gen += 1
"""

ROUNDS = 40


def segment_count(gen: int) -> int:
    return 200 + (gen % 5) * 100


def read_reported(process: subprocess.Popen) -> list[str]:
    assert process.stdout is not None
    return process.stdout.read().split()


def test_sigkill_during_saves_leaves_previous_or_new_version(tmp_path: Path) -> None:
    from dubstudio.core.project import Project

    folder = create_project_dir(tmp_path / "kill.dubstudio", Project(name="gen-0"))
    rng = random.Random(20261121)
    known = 0
    for _ in range(ROUNDS):
        process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(folder), str(known + 1)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        assert process.stdout is not None
        # the kill timer starts once the child has finished its first save, so it lands in the loop
        assert select.select([process.stdout], [], [], scaled_s(30))[0], "child did not start"
        first = int(process.stdout.readline())
        time.sleep(rng.uniform(0.005, 0.200))
        process.send_signal(signal.SIGKILL)
        process.wait()
        reported = [first, *(int(value) for value in read_reported(process))]
        process.stdout.close()
        last_reported = reported[-1]

        project = load_project(folder)
        gen = int(project.name.removeprefix("gen-"))
        assert gen in (last_reported, last_reported + 1), (gen, last_reported)
        assert len(project.segments) == segment_count(gen)
        assert project.segments[-1].original_text.startswith(f"generation {gen} ")
        if (folder / BACKUP_FILE).exists():
            load_project(folder, use_backup=True)
        known = gen
    assert known >= ROUNDS
