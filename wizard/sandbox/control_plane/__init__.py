"""The sandbox's fake Google control plane, served over gRPC on loopback.

Projects (with long-running operations and IAM policies), Cloud Billing, Service Usage,
IAM admin, and read-only GKE clusters and Artifact Registry repositories, typed by the
official clients' own messages so that the wizard talks to it with the very clients it
uses against Google. See `server.start_control_plane`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import start_control_plane

__all__ = ["start_control_plane"]


def __getattr__(name: str) -> Any:
    """The server (and every client library's types it serves) is imported when asked for: the
    forge's pre-receive hook and the simulated CI runs need only `iam_policy`, in a fresh process
    per push, and importing the whole control plane cost them a second each time."""
    if name == "start_control_plane":
        from .server import start_control_plane

        return start_control_plane
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
