"""The sandbox's fake Google control plane, served over gRPC on loopback.

Projects (with long-running operations and IAM policies), Cloud Billing, Service Usage,
IAM admin, and read-only GKE clusters and Artifact Registry repositories, typed by the
official clients' own messages so that the wizard talks to it with the very clients it
uses against Google. See `server.start_control_plane`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.sandbox.lazy import lazy_exports

if TYPE_CHECKING:
    from .server import start_control_plane

__all__ = ["start_control_plane"]


# The server (and every client library's types it serves) is imported when asked for: the forge's
# pre-receive hook and the simulated CI runs need only `iam_policy`.
__getattr__ = lazy_exports(__name__, {"start_control_plane": "server"})
