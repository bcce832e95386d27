"""Questions a worker thread asks the learner through a dialog, waiting for the answer without blocking the screen.

A step that needs a confirmation or a secret, or a session whose answers disagree, runs in a thread worker;
it opens the dialog through the app's event loop and waits there. Quitting, or the app closing, stops the
wait (`cancel.Cancelled`), so no worker thread waits forever for a dialog nobody will answer.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from textual.app import App

from wizard.workspace import cancel

OpenDialog = Callable[[Any, Callable[[Any], Any]], None]


class ThreadDialogs:
    def __init__(self, app: App[Any], open_dialog: OpenDialog) -> None:
        self._app = app
        self._open_dialog = open_dialog
        # Set when the app closes: a worker thread waiting for a dialog's answer stops waiting.
        self.closed = threading.Event()

    def ask(self, screen: object) -> object:
        """Open `screen` from a worker thread and block that thread (not the UI) until it is dismissed."""
        done, box = threading.Event(), {}

        def dismissed(result: object) -> None:
            box["result"] = result
            done.set()

        if self.closed.is_set():
            raise cancel.Cancelled()
        self._app.call_from_thread(self._open_dialog, screen, dismissed)
        while not done.wait(0.2):
            cancel.check()  # the learner quit with the dialog open
            if self.closed.is_set():  # the app closed with the dialog open: nobody will answer
                raise cancel.Cancelled()
        return box.get("result")

    def choose(self, conflict: object) -> str:
        """Which of two disagreeing answers (the checkpoint's, the answers file's) the learner means."""
        from wizard.tui.screens.ask import ChoiceScreen

        earlier, other, key = conflict.earlier, conflict.in_file, conflict.key  # type: ignore[attr-defined]
        details = (
            f"Earlier you answered {key} = '{earlier}' (kept in the checkpoint; what exists was made "
            f"with it). The answers file given now says '{other}'."
        )
        return str(self.ask(ChoiceScreen(f"Which {key} do you mean?", details, earlier, other)))

    def confirm(self, title: str, details: str) -> bool:
        from wizard.tui.screens.ask import ConfirmScreen

        return bool(self.ask(ConfirmScreen(title, details)))

    def secret(self, prompt: str) -> str | None:
        from wizard.tui.screens.ask import SecretScreen

        answer = self.ask(SecretScreen(prompt))
        return answer if isinstance(answer, str) else None
