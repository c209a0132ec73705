"""Dialogs of the editor, one module each."""
