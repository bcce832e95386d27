"""The sidebar: chapters and their steps, each with its live status.

Each item draws its own line (no Label inside): a chapter has a dozen items, and a child widget each
cost the first paint about a third of the whole list's time.
"""

from __future__ import annotations

from typing import Sequence

from textual.content import Content
from textual.widgets import ListItem, ListView

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


class Line(ListItem):
    """An item of the list that is one line of text (wrapped when narrow)."""

    def __init__(self, text: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.text = text

    def render(self) -> Content:
        return Content(self.text)  # plain: a title's brackets are not markup

    def update(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.refresh(layout=True)


class StepItem(Line):
    def __init__(self, step_id: str, title: str) -> None:
        super().__init__(f"· {title}", classes="step-item", id=item_id(step_id))
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
        self.update(f"{icon} {self.title_text}")
        for name in ICONS:
            self.set_class(name == status, f"-{name}")
        self.set_class(current, "-current")


class ChapterHeader(Line):
    def __init__(self, chapter: Chapter) -> None:
        super().__init__(
            f"Chapter {chapter.number}", classes="chapter-label", disabled=True, id=f"chapter-{chapter.number}"
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
