"""Page tokens for the List/Search methods.

The official clients follow `next_page_token` automatically; a fake that ignores paging
would hide wizard bugs that only show with many items, so lists are really paged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from .errors import invalid_argument

T = TypeVar("T")


def page(
    items: Sequence[T], page_size: int, page_token: str, default_size: int = 50, max_size: int = 1000
) -> tuple[list[T], str]:
    """The slice for this request and the token for the next one ("" at the end)."""
    if page_size < 0:
        raise invalid_argument("page_size must not be negative.", "page_size")
    size = min(page_size or default_size, max_size)
    start = 0
    if page_token:
        if not page_token.startswith("o") or not page_token[1:].isdigit():
            raise invalid_argument("The page token is not valid.", "page_token")
        start = int(page_token[1:])
    chunk = list(items[start : start + size])
    end = start + size
    return chunk, (f"o{end}" if end < len(items) else "")
