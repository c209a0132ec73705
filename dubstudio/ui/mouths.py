"""Lip-sync assist in the editor: reads the video's mouths in the background and shows them.

When a project opens, `MouthActivityController` starts the mouth-activity job on the window's
"mouths" background lane (the analysis runs in a child process at a low priority,
`pipeline/mouths.py`, so neither the window nor the pipeline waits for it); a cached track comes
back at once. The result feeds the timeline's mouth lane and the inspector's face picture, and the
lip-sync checks of the open project are refreshed (`stages/validation.refresh_lipsync`) — right
away, or when a running pipeline job that owns the project has finished.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from dubstudio.core import store
from dubstudio.core.errors import UserError
from dubstudio.core.progress import ProgressEvent
from dubstudio.stages.lipsync import MouthActivity, MouthTrack, mouth_activity
from dubstudio.ui.worker import JobContext, JobFailure

LANE = "mouths"


class MouthActivityController(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.track: MouthTrack | None = None
        self.activity: MouthActivity | None = None
        window.job_finished.connect(self._window_job_finished)

    @property
    def canvas(self) -> Any:
        return self.window.timeline.canvas

    def open(self) -> None:
        """Start reading the open project's mouths (or say why they cannot be read)."""
        from dubstudio.pipeline.mouths import ensure_track, unavailable_reason

        self.stop()
        self.track, self.activity = None, None
        self._show(None)
        doc = self.window.doc
        if not doc.is_open or self.window.jobs.closed:
            return
        project, folder = copy.deepcopy(doc.project), doc.project_dir
        reason = unavailable_reason(project)
        if reason:
            if project.media is not None and project.media.has_video and project.settings.lipsync:
                self.window.statusBar().showMessage(f"Lip sync: not checked ({reason}).", 10000)
            return

        def shown(callback: Any) -> Any:
            """`callback`, run only while the window still shows this job's project."""
            return lambda *args: callback(*args) if doc.project_dir == folder else None

        def work(job: JobContext) -> MouthTrack:
            report, shown_percent = shown(self._progress), [-1]

            def progress(event: ProgressEvent) -> None:
                percent = int(event.fraction * 100)
                if percent != shown_percent[0]:  # one post per percent: the lane shows no more
                    shown_percent[0] = percent
                    job.post(report, event.fraction)

            return ensure_track(folder, project, progress=progress, cancel=job.cancel)

        self.canvas.set_mouths(None, "reading the mouths…")
        self.window.jobs.start_background(LANE, work, on_done=shown(self._completed), on_failed=self._failed)

    def stop(self) -> None:
        self.window.jobs.stop((LANE,))  # the child process ends on cancel; never wait for it here

    def _show(self, track: MouthTrack | None) -> None:
        doc = self.window.doc
        media = doc.project.media if doc.project else None
        video = Path(media.path) if media is not None else None
        self.canvas.set_mouths(self.activity)
        inspector = self.window.inspector
        inspector.face_crop.set_source(video, track, self.activity)
        inspector.face_crop.show_segment(doc.selected)

    def _progress(self, fraction: float) -> None:
        self.canvas.set_mouths(None, f"reading the mouths… {fraction:.0%}")

    def _completed(self, track: object) -> None:
        if not isinstance(track, MouthTrack):
            return
        self.track, self.activity = track, mouth_activity(track)
        self._show(track)
        self.apply()

    def _failed(self, failure: JobFailure) -> None:
        message = failure.error.message if isinstance(failure.error, UserError) else str(failure.error)
        self.canvas.set_mouths(None, "not available")
        self.window.statusBar().showMessage(f"Lip sync: not checked ({message}).", 10000)

    def apply(self) -> None:
        """Refresh the open project's lip-sync issues from the mouths (later, if a job owns it)."""
        from dubstudio.stages.validation import refresh_lipsync

        doc = self.window.doc
        if self.activity is None or not doc.is_open or doc.busy:
            return
        was_clean = not doc.dirty
        changed = refresh_lipsync(doc.project, self.activity)
        if not changed:
            return
        doc.notify_segments(changed)
        if was_clean:  # the findings are the pipeline's, not an edit: keep the file in step
            try:
                store.save_project(doc.project_dir, doc.project)
                doc.set_dirty(False)
            except UserError as error:
                self.window.statusBar().showMessage(error.message, 10000)
        self.window.statusBar().showMessage(f"Lip sync checked: {len(changed)} cues changed.", 6000)

    def _window_job_finished(self, _name: str) -> None:
        self.apply()
