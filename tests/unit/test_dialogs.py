"""Every modal of the wizard is a small subclass of one dialog base: one place for buttons, keys and scrolling."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.screen import ModalScreen

import wizard.tui.screens as screens
from wizard.tui.screens.dialog import Dialog


def test_every_modal_screen_is_a_dialog():
    modals = []
    for module_info in pkgutil.iter_modules(screens.__path__):
        module = importlib.import_module(f"wizard.tui.screens.{module_info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, ModalScreen):
                modals.append(cls)

    assert len(modals) >= 7
    assert [cls.__name__ for cls in modals if not issubclass(cls, Dialog)] == []
    # Each one names its panel, whose look is in wizard.tcss.
    assert all(cls.PANEL != Dialog.PANEL for cls in modals if cls is not Dialog)
