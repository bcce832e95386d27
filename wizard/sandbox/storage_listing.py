"""Pages of `objects.list` as Cloud Storage gives them (the emulator answers everything at once).

https://cloud.google.com/storage/docs/json_api/v1/objects/list:
- `maxResults`: "Maximum combined number of entries in items[] and prefixes[] to return in a
  single page of responses. [...] The service uses this parameter or 1,000 items, whichever is
  smaller." A client that asks for one entry (gcsfs does, to see whether a folder exists) gets one;
- `pageToken` / `nextPageToken`: an opaque token to continue the listing, present only when
  entries remain (https://cloud.google.com/storage/docs/paginate-results);
- `startOffset` (inclusive) and `endOffset` (exclusive) filter the objects' names, before
  prefixes are formed from what remains;
- results are in lexicographic order of names (which is the order of Python's `str`, code points
  sorting like their UTF-8 bytes); empty `items` and `prefixes` are left out, as Google does.

Where the documentation leaves a case open, this is strict: a `maxResults` that is not a
positive integer and a page token this server did not give are refused (400).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

PAGE_MAX = 1000
_TOKEN_PREFIX = b"after:"


class ListingError(ValueError):
    """A listing parameter Cloud Storage would refuse with 400 Bad Request."""


def page_size(query: dict[str, list[str]]) -> int:
    raw = (query.get("maxResults") or [""])[0]
    if raw == "":
        return PAGE_MAX
    try:
        asked = int(raw)
    except ValueError:
        raise ListingError(f"Invalid value for maxResults: {raw}") from None
    if asked < 1:
        raise ListingError(f"Invalid value for maxResults: {raw}")
    return min(asked, PAGE_MAX)


def page_token(after: str) -> str:
    return base64.urlsafe_b64encode(_TOKEN_PREFIX + after.encode("utf-8")).decode("ascii")


def token_position(token: str) -> str:
    """The last entry of the page that gave `token`: the next page starts after it."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
        if not raw.startswith(_TOKEN_PREFIX):
            raise ValueError(token)
        return raw[len(_TOKEN_PREFIX) :].decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        raise ListingError("Invalid page token.") from None


def within_offsets(names_sorted: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The objects whose names are in [startOffset, endOffset)."""
    start = (query.get("startOffset") or [""])[0]
    end = (query.get("endOffset") or [""])[0]
    if not start and not end:
        return names_sorted
    return [o for o in names_sorted if str(o.get("name", "")) >= start and (not end or str(o.get("name", "")) < end)]


def list_page(items: list[dict[str, Any]], prefixes: list[str], query: dict[str, list[str]]) -> dict[str, Any]:
    """The `storage#objects` page the query asks for, out of every matching object and prefix."""
    size = page_size(query)
    token = (query.get("pageToken") or [""])[0]
    after = token_position(token) if token else None
    entries: list[tuple[str, dict[str, Any] | None]] = [(str(o.get("name", "")), o) for o in items]
    entries += [(p, None) for p in prefixes]
    entries.sort(key=lambda entry: entry[0])
    if after is not None:
        entries = [entry for entry in entries if entry[0] > after]
    page, rest = entries[:size], entries[size:]
    body: dict[str, Any] = {"kind": "storage#objects"}
    page_items = [o for _, o in page if o is not None]
    page_prefixes = [name for name, o in page if o is None]
    if page_prefixes:
        body["prefixes"] = page_prefixes
    if page_items:
        body["items"] = page_items
    if rest:
        body["nextPageToken"] = page_token(page[-1][0])
    return body
