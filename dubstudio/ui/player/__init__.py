"""Media playback: VLC embedded in the window when libvlc is there, else Qt Multimedia."""

from dubstudio.ui.player.base import AudioSource, PlayerBase
from dubstudio.ui.player.factory import create_player

__all__ = ["AudioSource", "PlayerBase", "create_player"]
