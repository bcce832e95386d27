"""The sandbox's fake Google control plane, served over gRPC on loopback.

Projects (with long-running operations and IAM policies), Cloud Billing, Service Usage,
IAM admin, and read-only GKE clusters and Artifact Registry repositories, typed by the
official clients' own messages so that the wizard talks to it with the very clients it
uses against Google. See `server.start_control_plane`.
"""

from .server import start_control_plane

__all__ = ["start_control_plane"]
