"""Where Google Cloud calls go: real Google (application default credentials) or the sandbox.

One code path for both; only endpoints and credentials differ. Clients are built lazily
and cached, because importing the Google clients costs about a third of a second
and the TUI must paint before that.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from wizard.engine.errors import WizardError

STORAGE_ENV = "STORAGE_EMULATOR_HOST"


@dataclass
class Target:
    """`kind` is "google" or "sandbox". For the sandbox, `grpc_addr` and `storage_url` are loopback."""

    kind: str = "google"
    grpc_addr: str | None = None
    storage_url: str | None = None
    sandbox_dir: str | None = None
    quota_project: str | None = None
    # The sandbox's forge ("github" or "gitlab") and its base URL, to recognise `origin`.
    forge_kind: str | None = None
    forge_url: str | None = None
    poll_initial: float = 0.2
    poll_maximum: float = 5.0
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _channel: Any = field(default=None, repr=False)

    @property
    def is_sandbox(self) -> bool:
        return self.kind == "sandbox"

    def describe(self, short: bool = False) -> str:
        if self.is_sandbox:
            return "the sandbox" if short else f"the sandbox in {self.sandbox_dir}"
        return "Google Cloud"

    # -- credentials -------------------------------------------------------------------
    def credentials(self) -> Any:
        """Application default credentials (real) or anonymous ones (sandbox)."""
        if self.is_sandbox:
            from google.auth.credentials import AnonymousCredentials

            return AnonymousCredentials()
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        try:
            creds, _project = google.auth.default(
                scopes=["https://www.googleapis.com/auth/cloud-platform"]
            )
        except DefaultCredentialsError as exc:
            raise WizardError(
                what="No Google Cloud credentials were found on this machine.",
                why=str(exc).splitlines()[0],
                fix="Install the gcloud CLI, run `gcloud init` and then "
                "`gcloud auth application-default login` (DVC uses these too), and run the wizard again.",
            ) from None
        if self.quota_project and hasattr(creds, "with_quota_project"):
            creds = creds.with_quota_project(self.quota_project)
        return creds

    def set_quota_project(self, project_id: str) -> None:
        """Once the learner's project exists, bill API quota to it (user ADC needs this)."""
        if self.quota_project != project_id:
            self.quota_project = project_id
            with self._lock:
                self._clients.clear()

    # -- clients -----------------------------------------------------------------------
    def _grpc_channel(self) -> Any:
        if self._channel is None:
            import grpc

            self._channel = grpc.insecure_channel(self.grpc_addr)
        return self._channel

    def _client(self, name: str, factory: Any) -> Any:
        with self._lock:
            if name not in self._clients:
                self._clients[name] = factory()
            return self._clients[name]

    def projects(self) -> Any:
        def make() -> Any:
            from google.cloud import resourcemanager_v3
            from google.cloud.resourcemanager_v3.services.projects.transports import ProjectsGrpcTransport

            if self.is_sandbox:
                return resourcemanager_v3.ProjectsClient(transport=ProjectsGrpcTransport(channel=self._grpc_channel()))
            return resourcemanager_v3.ProjectsClient(credentials=self.credentials())

        return self._client("projects", make)

    def billing(self) -> Any:
        def make() -> Any:
            from google.cloud import billing_v1
            from google.cloud.billing_v1.services.cloud_billing.transports import CloudBillingGrpcTransport

            if self.is_sandbox:
                return billing_v1.CloudBillingClient(transport=CloudBillingGrpcTransport(channel=self._grpc_channel()))
            return billing_v1.CloudBillingClient(credentials=self.credentials())

        return self._client("billing", make)

    def service_usage(self) -> Any:
        def make() -> Any:
            from google.cloud import service_usage_v1
            from google.cloud.service_usage_v1.services.service_usage.transports import ServiceUsageGrpcTransport

            if self.is_sandbox:
                return service_usage_v1.ServiceUsageClient(
                    transport=ServiceUsageGrpcTransport(channel=self._grpc_channel())
                )
            return service_usage_v1.ServiceUsageClient(credentials=self.credentials())

        return self._client("service_usage", make)

    def iam(self) -> Any:
        def make() -> Any:
            from google.cloud import iam_admin_v1
            from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

            if self.is_sandbox:
                return iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=self._grpc_channel()))
            return iam_admin_v1.IAMClient(credentials=self.credentials())

        return self._client("iam", make)

    def container(self) -> Any:
        def make() -> Any:
            from google.cloud import container_v1
            from google.cloud.container_v1.services.cluster_manager.transports import ClusterManagerGrpcTransport

            if self.is_sandbox:
                return container_v1.ClusterManagerClient(
                    transport=ClusterManagerGrpcTransport(channel=self._grpc_channel())
                )
            return container_v1.ClusterManagerClient(credentials=self.credentials())

        return self._client("container", make)

    def artifact_registry(self) -> Any:
        def make() -> Any:
            from google.cloud import artifactregistry_v1
            from google.cloud.artifactregistry_v1.services.artifact_registry.transports import (
                ArtifactRegistryGrpcTransport,
            )

            if self.is_sandbox:
                return artifactregistry_v1.ArtifactRegistryClient(
                    transport=ArtifactRegistryGrpcTransport(channel=self._grpc_channel())
                )
            return artifactregistry_v1.ArtifactRegistryClient(credentials=self.credentials())

        return self._client("artifact_registry", make)

    def storage(self, project: str) -> Any:
        def make() -> Any:
            from google.cloud import storage  # type: ignore[attr-defined]  # its namespace package hides it from mypy

            if self.is_sandbox:
                return storage.Client(
                    project=project,
                    credentials=self.credentials(),
                    client_options={"api_endpoint": self.storage_url},
                )
            return storage.Client(project=project, credentials=self.credentials())

        return self._client(f"storage:{project}", make)

    # -- helpers -----------------------------------------------------------------------
    def polling(self) -> Any:
        """Polling for long-running operations: quick in the sandbox, patient on Google."""
        from google.api_core.future.polling import DEFAULT_POLLING

        return DEFAULT_POLLING.with_delay(initial=self.poll_initial, maximum=self.poll_maximum).with_timeout(600)

    def retry(self) -> Any:
        """A bounded retry for idempotent reads; the clients' default one waits 60 s on UNAVAILABLE."""
        from google.api_core import exceptions, retry

        return retry.Retry(
            predicate=retry.if_exception_type(exceptions.ServiceUnavailable),
            initial=0.2, maximum=2.0, timeout=10.0,
        )

    def tool_env(self) -> dict[str, str]:
        """Environment for dvc and pip subprocesses so they reach the same storage."""
        env = dict(os.environ)
        env.setdefault("DVC_NO_ANALYTICS", "1")
        if self.is_sandbox and self.storage_url:
            env[STORAGE_ENV] = self.storage_url
            env["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"
        return env

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                transport = getattr(client, "_transport", None)
                if transport is not None and not self.is_sandbox:
                    try:
                        transport.close()
                    except Exception:  # pragma: no cover - best effort on shutdown
                        pass
            self._clients.clear()
        if self._channel is not None:
            self._channel.close()
            self._channel = None
