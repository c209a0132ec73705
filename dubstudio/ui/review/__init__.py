"""The review queue: flagged segments and their issues, the human checkpoint of the pipeline."""

from dubstudio.ui.review.panel import ReviewPanel, next_flagged

__all__ = ["ReviewPanel", "next_flagged"]
