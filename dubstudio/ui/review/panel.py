"""Review queue panel: one entry per flagged segment, its issues below it, resolve/ignore buttons.

The list is rebuilt lazily (coalesced on the next event-loop turn) when the project changes, so a
burst of edits costs one rebuild.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dubstudio.core.project import Segment, ValidationIssue
from dubstudio.core.timeline import format_timecode
from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.theme import ERROR_COLOR, OK_COLOR, WARNING_COLOR

SEGMENT_ROLE = Qt.ItemDataRole.UserRole + 1
ISSUE_ROLE = Qt.ItemDataRole.UserRole + 2


def next_flagged(segments: list[Segment], from_row: int, step: int) -> Segment | None:
    """The next (step=+1) or previous (step=-1) flagged segment after `from_row`, wrapping around."""
    count = len(segments)
    for offset in range(1, count + 1):
        candidate = segments[(from_row + step * offset) % count]
        if candidate.is_flagged:
            return candidate
    return None


class ReviewPanel(QWidget):
    segment_chosen = Signal(str)
    #: (issue, new status) — the main window pushes the undoable command
    status_requested = Signal(object, str)
    navigate = Signal(int)
    #: a segment flagged without issues (e.g. low recogniser confidence) was marked reviewed
    review_cleared = Signal(str)

    def __init__(self, doc: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        style = self.style()
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.show_closed = QCheckBox("Show resolved / ignored", self)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Segment / issue", "Status"])
        self.tree.setColumnWidth(0, 330)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.previous_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_ArrowUp), "Previous", self
        )
        self.next_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown), "Next", self)
        self.resolve_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton), "Resolve", self
        )
        self.ignore_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogCancelButton), "Ignore", self
        )
        self.reopen_button = QPushButton("Reopen", self)
        self.previous_button.setToolTip("Previous flagged segment (Shift+F8)")
        self.next_button.setToolTip("Next flagged segment (F8)")
        self.resolve_button.setToolTip("Mark the selected issue resolved (Ctrl+R)")
        self.ignore_button.setToolTip("Ignore the selected issue (Ctrl+I)")
        self.icons = {
            "error": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
            "warning": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
        }
        buttons = QHBoxLayout()
        for button in (
            self.previous_button,
            self.next_button,
            self.resolve_button,
            self.ignore_button,
            self.reopen_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.show_closed)

        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(0)
        self._rebuild_timer.timeout.connect(self.rebuild)
        doc.structure_changed.connect(self._rebuild_timer.start)
        doc.segments_changed.connect(lambda _ids: self._rebuild_timer.start())
        doc.selection_changed.connect(self._select_segment)
        self.show_closed.toggled.connect(self.rebuild)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.previous_button.clicked.connect(lambda: self.navigate.emit(-1))
        self.next_button.clicked.connect(lambda: self.navigate.emit(1))
        self.resolve_button.clicked.connect(lambda: self.set_current_status("resolved"))
        self.ignore_button.clicked.connect(lambda: self.set_current_status("ignored"))
        self.reopen_button.clicked.connect(lambda: self.set_current_status("open"))
        self.rebuild()

    # ---- content -------------------------------------------------------------------------------
    def open_issue_count(self) -> int:
        project = self.doc.project
        return sum(1 for issue in project.all_issues() if issue.is_open) if project else 0

    def _issue_item(self, issue: ValidationIssue) -> QTreeWidgetItem:
        text = f"{issue.code}: {issue.message}"
        if issue.suggestion:
            text += f" — suggestion: {issue.suggestion}"
        item = QTreeWidgetItem([text, issue.status])
        item.setIcon(0, self.icons["error" if issue.severity == "error" else "warning"])
        item.setToolTip(0, text)
        item.setData(0, ISSUE_ROLE, issue)
        if not issue.is_open:
            item.setForeground(1, OK_COLOR)
        return item

    def rebuild(self) -> None:
        project = self.doc.project
        self.tree.blockSignals(True)
        self.tree.clear()
        flagged = 0
        if project is not None:
            show_closed = self.show_closed.isChecked()
            if project.diagnostics.issues:
                top = QTreeWidgetItem(["Project", ""])
                for issue in project.diagnostics.issues:
                    if issue.is_open or show_closed:
                        top.addChild(self._issue_item(issue))
                if top.childCount():
                    self.tree.addTopLevelItem(top)
            for row, segment in enumerate(project.segments):
                closed = [i for i in segment.issues if not i.is_open] if show_closed else []
                if not segment.is_flagged and not closed:
                    continue
                flagged += segment.is_flagged
                speaker = project.speaker(segment.speaker_id)
                who = speaker.display_name if speaker else ""
                snippet = (segment.translated_text or segment.original_text)[:60]
                label = f"#{row + 1}  {format_timecode(segment.start)[:-4]}  {who}  {snippet}"
                open_count = len(segment.open_issues)
                top = QTreeWidgetItem([label, f"{open_count} open" if open_count else "review"])
                top.setData(0, SEGMENT_ROLE, segment.id)
                severity = "error" if any(i.severity == "error" for i in segment.open_issues) else "warning"
                top.setForeground(1, ERROR_COLOR if severity == "error" else WARNING_COLOR)
                if segment.needs_review and not segment.issues:
                    reasons = ", ".join(segment.review_reasons) or "flagged by the recogniser"
                    top.addChild(QTreeWidgetItem([f"needs review: {reasons}", ""]))
                for issue in segment.issues:
                    if issue.is_open or show_closed:
                        top.addChild(self._issue_item(issue))
                self.tree.addTopLevelItem(top)
            self.tree.expandAll()
        self.tree.blockSignals(False)
        issues = self.open_issue_count()
        self.summary.setText(
            f"<b>{flagged}</b> segments to review, <b>{issues}</b> open issues."
            if project
            else "No project open."
        )
        self._select_segment(self.doc.selected_id)
        self._update_buttons()

    # ---- selection and actions -----------------------------------------------------------------
    def _select_segment(self, segment_id: str) -> None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item.data(0, SEGMENT_ROLE) == segment_id:
                current = self.tree.currentItem()
                if current is None or (current is not item and current.parent() is not item):
                    self.tree.blockSignals(True)
                    self.tree.setCurrentItem(item.child(0) if item.childCount() else item)
                    self.tree.blockSignals(False)
                self.tree.scrollToItem(item)
                break
        self._update_buttons()

    def _current_changed(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        self._update_buttons()
        if current is None:
            return
        owner = current if current.parent() is None else current.parent()
        segment_id = owner.data(0, SEGMENT_ROLE)
        if segment_id:
            self.segment_chosen.emit(segment_id)

    def current_issue(self) -> ValidationIssue | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        issue = item.data(0, ISSUE_ROLE)
        if issue is None and item.childCount():
            issue = next(
                (
                    item.child(k).data(0, ISSUE_ROLE)
                    for k in range(item.childCount())
                    if item.child(k).data(0, ISSUE_ROLE) is not None
                    and item.child(k).data(0, ISSUE_ROLE).is_open
                ),
                None,
            )
        return issue

    def _current_segment(self) -> Segment | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        owner = item if item.parent() is None else item.parent()
        segment_id = owner.data(0, SEGMENT_ROLE)
        return self.doc.segment(segment_id) if segment_id else None

    def set_current_status(self, status: str) -> None:
        issue = self.current_issue()
        if issue is not None and issue.status != status:
            self.status_requested.emit(issue, status)
            return
        segment = self._current_segment()
        if issue is None and status != "open" and segment is not None and segment.needs_review:
            self.review_cleared.emit(segment.id)

    def _update_buttons(self) -> None:
        issue = self.current_issue()
        segment = self._current_segment()
        idle = not self.doc.busy
        closable = (issue is not None and issue.is_open) or (
            issue is None and segment is not None and segment.needs_review
        )
        self.resolve_button.setEnabled(idle and closable)
        self.ignore_button.setEnabled(idle and closable)
        self.reopen_button.setEnabled(idle and issue is not None and not issue.is_open)
