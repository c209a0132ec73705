"""What is running, read from /proc: the process groups this test process started (an Apertium
chain is a shell leading a group of a dozen programs), and who is left in a group (zombies too)."""

from __future__ import annotations

import os
from pathlib import Path


def _processes() -> list[tuple[int, str, str, int, int]]:
    """(pid, command name, state, parent pid, process group) of every process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, parent, group = stat[stat.rindex(")") + 2 :].split()[:3]
        found.append((int(entry.name), name, state, int(parent), int(group)))
    return found


def started_groups() -> set[int]:
    """The process groups led by a child of this process (a `start_new_session` child)."""
    me = os.getpid()
    return {pid for pid, _name, _state, parent, group in _processes() if parent == me and group == pid}


def group_members(group: int) -> list[tuple[str, str]]:
    """(command name, state) of every process left in `group`; state "Z" is a zombie."""
    return [(name, state) for _pid, name, state, _parent, member in _processes() if member == group]
