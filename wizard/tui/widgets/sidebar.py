"""The sidebar: chapters and their steps, each with its live status."""

from __future__ import annotations

from typing import Sequence

from textual.widgets import Label, ListItem, ListView

from wizard.engine.chapter import Chapter
from wizard.engine.status import Status

ICONS = {
    Status.DONE: "✓",
    Status.TODO: "·",
    Status.DRIFTED: "≠",
    Status.FAILED: "✗",
    Status.RUNNING: "⟳",
    Status.UNKNOWN: "?",
    "current": "▶",
}


def item_id(step_id: str) -> str:
    return "step-" + step_id.replace(".", "-")


class StepItem(ListItem):
    def __init__(self, step_id: str, title: str) -> None:
        super().__init__(Label(f"· {title}", classes="step-label"), id=item_id(step_id))
        self.step_id = step_id
        self.title_text = title
        self.status: str = Status.TODO

    def set_status(self, status: str, current: bool) -> None:
        self.status = status
        icon = (
            ICONS["current"]
            if current and status not in {Status.DONE, Status.RUNNING, Status.FAILED}
            else ICONS.get(status, "·")
        )
        self.query_one(Label).update(f"{icon} {self.title_text}")
        for name in ICONS:
            self.set_class(name == status, f"-{name}")
        self.set_class(current, "-current")


class ChapterHeader(ListItem):
    def __init__(self, chapter: Chapter) -> None:
        super().__init__(
            Label(f"Chapter {chapter.number}", classes="chapter-label"), disabled=True, id=f"chapter-{chapter.number}"
        )


class Sidebar(ListView):
    """Selecting an item opens that step in the main pane."""

    def __init__(self, chapters: Sequence[Chapter], **kwargs: object) -> None:
        items: list[ListItem] = []
        for chapter in chapters:
            items.append(ChapterHeader(chapter))
            items.extend(StepItem(step.id, step.title) for step in chapter.steps)
        super().__init__(*items, **kwargs)  # type: ignore[arg-type]

    def item(self, step_id: str) -> StepItem:
        return self.query_one(f"#{item_id(step_id)}", StepItem)

    def show(self, statuses: Sequence[tuple[str, str]], current: str) -> None:
        """Each step's status (step id, status) and which step is open."""
        self.index = self.children.index(self.item(current))
        for step_id, status in statuses:
            self.item(step_id).set_status(status, current=step_id == current)
