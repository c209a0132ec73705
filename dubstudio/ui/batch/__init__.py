"""File → Batch…: the batch queue in a window (`window.BatchWindow`), driven by `dubstudio.batch`."""

from dubstudio.ui.batch.window import BatchWindow, show_batch_window

__all__ = ["BatchWindow", "show_batch_window"]
