"""The waveform timeline: original and dub lanes, segment regions, playhead, drag-to-retime."""

from dubstudio.ui.timeline.widget import TimelineCanvas, TimelineWidget

__all__ = ["TimelineCanvas", "TimelineWidget"]
