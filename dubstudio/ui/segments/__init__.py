"""The segment table: a Qt model over the project's segments, a filter proxy, delegates, the view."""

from dubstudio.ui.segments.model import Column, SegmentTableModel
from dubstudio.ui.segments.proxy import SegmentFilterProxy
from dubstudio.ui.segments.view import SegmentTableView

__all__ = ["Column", "SegmentFilterProxy", "SegmentTableModel", "SegmentTableView"]
