"""`paused_collector`: nothing is collected inside, what exists at the end is frozen, and the
collector runs again afterwards even when the block fails."""

from __future__ import annotations

import gc

import pytest

from dubstudio.core.collector import paused_collector


def test_objects_made_inside_are_frozen_and_the_collector_runs_again():
    frozen_before = gc.get_freeze_count()
    with paused_collector():
        assert not gc.isenabled()
        made = [[index] for index in range(10_000)]  # tracked containers, as an import makes
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(made)


def test_a_failing_block_still_turns_the_collector_back_on():
    with pytest.raises(ImportError), paused_collector():
        raise ImportError("an optional engine is missing")
    assert gc.isenabled()
