"""The real player backend (VLC under Xvfb, Qt Multimedia without libvlc) on a real video: media
opens shortly after `load`, a seek made before that is kept and shown, and play opens at once."""

from __future__ import annotations

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
