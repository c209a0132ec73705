"""The segment inspector: the selected segment's texts, speaker, voice and dub takes."""

from dubstudio.ui.inspector.panel import SegmentInspector

__all__ = ["SegmentInspector"]
