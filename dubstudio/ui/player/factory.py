"""Pick the player backend: VLC on a real window system when libvlc loads, Qt Multimedia otherwise."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication

from dubstudio.ui.player.base import PlayerBase

#: window systems where VLC can draw into our window
_NATIVE_PLATFORMS = {"xcb", "windows", "cocoa"}


def create_player(parent: QObject | None = None, prefer: str = "auto") -> PlayerBase:
    """`prefer` is "auto", "vlc" or "qt" (settings / DUBSTUDIO_PLAYER); VLC is never used offscreen."""
    choice = os.environ.get("DUBSTUDIO_PLAYER", prefer)
    if choice != "qt" and QGuiApplication.platformName() in _NATIVE_PLATFORMS:
        try:
            from dubstudio.ui.player.vlc_player import VlcPlayer, vlc_instance
        except (ImportError, OSError):
            instance = None
        else:
            instance = vlc_instance()
        if instance is not None:
            return VlcPlayer(instance, parent)
    from dubstudio.ui.player.qt_player import QtPlayer

    return QtPlayer(parent)
