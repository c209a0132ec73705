"""Cell editors: a combo box of the project's speakers and one of the voice catalog."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QStyleOptionViewItem, QWidget

#: (value stored in the segment, label shown)
Choices = Callable[[], list[tuple[str, str]]]
AnyIndex = QModelIndex | QPersistentModelIndex


class ComboDelegate(QStyledItemDelegate):
    """Edits a cell with a combo box of `choices()`; the model receives the chosen value."""

    def __init__(self, choices: Choices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent: QWidget, _option: QStyleOptionViewItem, _index: AnyIndex) -> QWidget:
        combo = QComboBox(parent)
        for value, label in self.choices():
            combo.addItem(label, value)
        combo.setFrame(False)
        return combo

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        current = index.data(Qt.ItemDataRole.EditRole)
        position = editor.findData(current)
        if position < 0 and current:
            editor.addItem(str(current), current)
            position = editor.count() - 1
        editor.setCurrentIndex(max(position, 0))
        editor.showPopup()

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
