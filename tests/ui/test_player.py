"""The real player backend (VLC under Xvfb, Qt Multimedia without libvlc) on a real video: media
opens shortly after `load`, a seek made before that is kept and shown, and play opens at once."""

from __future__ import annotations

import time

import pytest
from suite_timeouts import scaled_ms

from dubstudio.ui.player import create_player
from dubstudio.ui.player.base import OPEN_DELAY_MS

pytestmark = pytest.mark.gui


@pytest.fixture
def player(qtbot):
    player = create_player()
    qtbot.addWidget(player.video_widget)
    player.video_widget.show()
    yield player
    player.load(None)


def test_a_seek_before_the_media_opens_is_shown_once_it_opens(qtbot, player, sample_media):
    player.load(sample_media)
    player.seek(12.0)
    assert player.duration() == 0.0  # not opened yet: the window paints first
    assert player.position() == 12.0
    qtbot.wait(OPEN_DELAY_MS // 2)
    assert player.duration() == 0.0
    qtbot.waitUntil(lambda: player.duration() > 29.0, timeout=scaled_ms(10_000))
    qtbot.waitUntil(lambda: abs(player.position() - 12.0) < 0.5, timeout=scaled_ms(10_000))
    assert not player.is_playing()


def test_play_right_after_load_opens_the_media_at_once(qtbot, player, sample_media):
    player.load(sample_media)
    player.play_range(3.0, 4.0)
    assert player.is_playing()
    qtbot.waitUntil(lambda: player.duration() > 29.0, timeout=scaled_ms(10_000))
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=scaled_ms(10_000))
    assert player.position() >= 3.9


def test_a_range_noticed_late_still_parks_the_playhead_on_its_end(qtbot, player, sample_media):
    """The GUI thread held up across the range's end (as a garbage collection or another thread's
    C-extension import holds the GIL): the player stops, and the playhead and picture go back to
    the end instead of staying in the next cue."""
    player.load(sample_media)
    player.play_range(3.0, 4.0)
    qtbot.waitUntil(lambda: player.position() >= 3.6, timeout=scaled_ms(10_000))
    time.sleep(1.0)  # the GUI thread blocked: its poll cannot see the end until 4.6 s or later
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=scaled_ms(5_000))
    qtbot.wait(300)  # what VLC reports once its seek is done, not only what it was asked for
    assert 3.95 <= player.position() <= 4.1, player.position()
