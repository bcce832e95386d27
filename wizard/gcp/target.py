"""Where Google Cloud calls go: real Google or the sandbox, reached the same way.

One code path for both; only endpoints, the CA and the credentials file differ. Clients are built lazily
and cached, because importing the Google clients costs about a third of a second
and the TUI must paint before that.
"""

from __future__ import annotations

import os
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from wizard.engine.reads import KeptClient, Reads

# gcsfs (DVC) reaches a Cloud Storage endpoint other than Google's through this variable.
STORAGE_ENV = "STORAGE_EMULATOR_HOST"


def _apply(environ: MutableMapping[str, str], changes: dict[str, str | None]) -> None:
    for name, value in changes.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value


ENV_UNSET = None  # in `Target.env`: remove this variable

# Every gRPC API the wizard calls: its client class and its gRPC transport, as "module:attribute".
# Imported only when a client is first built (the Google clients are slow to import).
GRPC_CLIENTS: dict[str, tuple[str, str]] = {
    "projects": (
        "google.cloud.resourcemanager_v3:ProjectsClient",
        "google.cloud.resourcemanager_v3.services.projects.transports:ProjectsGrpcTransport",
    ),
    "billing": (
        "google.cloud.billing_v1:CloudBillingClient",
        "google.cloud.billing_v1.services.cloud_billing.transports:CloudBillingGrpcTransport",
    ),
    "service_usage": (
        "google.cloud.service_usage_v1:ServiceUsageClient",
        "google.cloud.service_usage_v1.services.service_usage.transports:ServiceUsageGrpcTransport",
    ),
    "iam": (
        "google.cloud.iam_admin_v1:IAMClient",
        "google.cloud.iam_admin_v1.services.iam.transports:IAMGrpcTransport",
    ),
    "container": (
        "google.cloud.container_v1:ClusterManagerClient",
        "google.cloud.container_v1.services.cluster_manager.transports:ClusterManagerGrpcTransport",
    ),
    "artifact_registry": (
        "google.cloud.artifactregistry_v1:ArtifactRegistryClient",
        "google.cloud.artifactregistry_v1.services.artifact_registry.transports:ArtifactRegistryGrpcTransport",
    ),
}


def _load(path: str) -> Any:
    import importlib

    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _grpc_classes(name: str) -> tuple[Any, Any]:
    """The client and transport classes of the API `name` in GRPC_CLIENTS, imported now."""
    client, transport = GRPC_CLIENTS[name]
    return _load(client), _load(transport)


@dataclass
class Target:
    """Where Google calls go, and how to authenticate: the one seam between Google and the sandbox.

    Every client is built the same way: credentials from `google.auth.default()` (what
    `gcloud auth application-default login` left), plus `client_options={"api_endpoint": …}`
    and the endpoint's CA when an environment names them. The sandbox is such an
    environment: it names its loopback endpoints, its CA file and its credentials file
    through `env` (GOOGLE_APPLICATION_CREDENTIALS, REQUESTS_CA_BUNDLE, SSL_CERT_FILE,
    GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, GIT_SSL_CAINFO), which `activate()` sets for this process
    (and so for git) and `tool_env()` for dvc and pip. Everything else that differs (its forge,
    how patiently to poll, how it is named on screen) is data here too: no caller asks which
    environment it is.
    """

    kind: str = "google"
    label: str = "Google Cloud"  # how the environment is named on screen
    short_label: str = "Google Cloud"
    grpc_addr: str | None = None  # api_endpoint (host:port) of every gRPC API, or Google's defaults
    storage_url: str | None = None  # api_endpoint of Cloud Storage, or Google's default
    sandbox_dir: str | None = None
    ca_file: str | None = None  # the CA the endpoints' certificates chain to (None: the system's)
    env: dict[str, str | None] = field(default_factory=dict)
    keys_dir: str | None = None  # where key files go instead of the guide's ~/.config/gcloud
    # The environment's OAuth 2.0 token endpoint, when it is not Google's. google-auth takes
    # a service-account key's `token_uri` from the file but always sends an authorized_user
    # refresh to Google, so the seam names it here, and hands tools (DVC) a fresh access
    # token in an ADC-shaped file in `tool_credentials_dir` (0600).
    token_uri: str | None = None
    tool_credentials_dir: str | None = None
    quota_project: str | None = None
    # The environment's own forge ("github" or "gitlab"), its base URL (to recognise `origin`), its
    # name on screen, and where the learner's token for it is kept (tried before the usual places).
    forge_kind: str | None = None
    forge_url: str | None = None
    forge_name: str | None = None
    forge_token: Callable[[], str | None] | None = field(default=None, repr=False)
    forge_fast: bool = False  # requests need no courtesy pause between them (a forge on loopback)
    poll_initial: float = 0.2
    poll_maximum: float = 5.0
    watch_poll: float = 3.0  # how often a CI run is looked at
    watch_limit: float | None = None  # how long a CI run is watched (None: the step's own limit)
    watch_longest: float = 15.0  # the longest pause between two looks at a CI run
    # What this run has read from Google and not changed since (one read per fact; see wizard.engine.reads).
    reads: Reads = field(default_factory=Reads, repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _base_credentials: Any = field(default=None, repr=False)
    _saved_env: dict[str, str | None] | None = field(default=None, repr=False)

    def describe(self, short: bool = False) -> str:
        return self.short_label if short else self.label

    def serves_forge(self, host: str) -> bool:
        """Whether `host` (host[:port] of `origin`) is this environment's own forge."""
        return bool(self.forge_url) and urlsplit(self.forge_url).netloc.lower() == host.lower()

    def describe_forge(self, ref: Any) -> str:
        """The learner's repository as the screen names it: by the environment when it serves it."""
        if self.forge_name and self.serves_forge(ref.host):
            return f"{ref.path} on {self.forge_name}"
        return str(ref.describe())

    # -- environment ---------------------------------------------------------------------
    def activate(self) -> None:
        """Set this environment's variables in this process (google-auth and requests read them)."""
        if self._saved_env is not None or not self.env:
            return
        self._saved_env = {name: os.environ.get(name) for name in self.env}
        _apply(os.environ, self.env)

    def deactivate(self) -> None:
        if self._saved_env is None:
            return
        _apply(os.environ, self._saved_env)
        self._saved_env = None

    # -- credentials -------------------------------------------------------------------
    def credentials(self) -> Any:
        """Application default credentials, billed to the quota project once there is one."""
        if self._base_credentials is None:
            from wizard.gcp.login import default_credentials

            self.activate()
            creds = default_credentials()
            if self.token_uri and hasattr(creds, "with_token_uri"):
                creds = creds.with_token_uri(self.token_uri)
            self._base_credentials = creds
        creds = self._base_credentials
        if self.quota_project and hasattr(creds, "with_quota_project"):
            creds = creds.with_quota_project(self.quota_project)
        return creds

    def check_login(self) -> str:
        """Refresh a token now, so a revoked or expired login is found before any change."""
        from wizard.gcp.login import refresh_now

        self.activate()
        return refresh_now(self.credentials())

    def set_quota_project(self, project_id: str | None) -> None:
        """Once the learner's project can pay for API calls, bill them to it (user ADC needs this)."""
        if self.quota_project != project_id:
            self.quota_project = project_id
            with self._lock:
                self._clients.clear()

    # -- clients -----------------------------------------------------------------------
    def _client(self, name: str, factory: Any) -> Any:
        with self._lock:
            if name not in self._clients:
                self._clients[name] = factory()
            return self._clients[name]

    def _grpc_client(self, name: str) -> Any:
        def make() -> Any:
            client_cls, transport_cls = _grpc_classes(name)
            kwargs: dict[str, Any] = {"credentials": self.credentials()}
            if self.grpc_addr:
                kwargs["client_options"] = {"api_endpoint": self.grpc_addr}
            if self.ca_file:
                # gRPC reads GRPC_DEFAULT_SSL_ROOTS_FILE_PATH once per process; naming the CA
                # here keeps two environments in one process (tests, a resumed TUI) apart.
                import grpc

                roots = grpc.ssl_channel_credentials(Path(self.ca_file).read_bytes())
                kwargs["transport"] = partial(transport_cls, ssl_channel_credentials=roots)
            return KeptClient(name, client_cls(**kwargs), self.reads)

        return self._client(name, make)

    def projects(self) -> Any:
        return self._grpc_client("projects")

    def billing(self) -> Any:
        return self._grpc_client("billing")

    def service_usage(self) -> Any:
        return self._grpc_client("service_usage")

    def iam(self) -> Any:
        return self._grpc_client("iam")

    def container(self) -> Any:
        return self._grpc_client("container")

    def artifact_registry(self) -> Any:
        return self._grpc_client("artifact_registry")

    def storage(self, project: str) -> Any:
        def make() -> Any:
            from google.cloud import storage  # type: ignore[attr-defined]  # its namespace package hides it from mypy

            options = {"api_endpoint": self.storage_url} if self.storage_url else None
            return storage.Client(project=project, credentials=self.credentials(), client_options=options)

        return self._client(f"storage:{project}", make)

    # -- helpers -----------------------------------------------------------------------
    def polling(self) -> Any:
        """Polling for long-running operations: quick in the sandbox, patient on Google."""
        from google.api_core.future.polling import DEFAULT_POLLING

        return DEFAULT_POLLING.with_delay(initial=self.poll_initial, maximum=self.poll_maximum).with_timeout(600)

    def retry(self) -> Any:
        """The retry of idempotent reads: every transient fault, with backoff and the run's time budget."""
        from wizard.gcp.retry import policy

        return policy()

    def tool_env(self) -> dict[str, str]:
        """Environment for dvc and pip subprocesses: the same credentials, CA and storage endpoint."""
        env = dict(os.environ)
        _apply(env, self.env)
        env.setdefault("DVC_NO_ANALYTICS", "1")
        handed = self._tool_credentials()
        if handed is not None:
            env["GOOGLE_APPLICATION_CREDENTIALS"] = handed
        if self.quota_project:
            # DVC (gcsfs, through google.auth.default) bills its calls to the ADC file's quota project,
            # which gcloud may have set at login to another project where Cloud Storage is off or
            # that the learner can no longer use: 403 on every push. Bill it where the wizard bills
            # its own calls; google-auth reads this variable
            # (cloud.google.com/docs/quotas/set-quota-project#set-project-variable).
            env["GOOGLE_CLOUD_QUOTA_PROJECT"] = self.quota_project
        if self.storage_url:
            env[STORAGE_ENV] = self.storage_url
            env["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"
        return env

    def _tool_credentials(self) -> str | None:
        """An authorized_user file holding a fresh access token, for tools that would refresh at Google."""
        if not self.tool_credentials_dir:
            return None
        import json

        from wizard.engine.errors import WizardError
        from wizard.fsutil import atomic_write
        from wizard.gcp.login import refresh_now

        try:
            self.credentials()
            creds = self._base_credentials  # without a quota project: the tool bills as it would at Google
            if not getattr(creds, "valid", False):
                refresh_now(creds)
            info = json.loads(creds.to_json())
        except (WizardError, AttributeError, NotImplementedError, ValueError):
            return None  # the tool then fails on its own and says why
        info["type"] = "authorized_user"
        if getattr(creds, "quota_project_id", None):  # to_json() drops it; the login's own file keeps it
            info["quota_project_id"] = creds.quota_project_id
        if getattr(creds, "expiry", None) is not None:
            info["expiry"] = creds.expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
        path = Path(self.tool_credentials_dir) / f"application_default_credentials.{os.getpid()}.json"
        atomic_write(path, json.dumps(info), mode=0o600)
        return str(path)

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                transport = getattr(client, "_transport", None)
                if transport is not None and hasattr(transport, "close"):
                    try:
                        transport.close()
                    except Exception:  # pragma: no cover - best effort on shutdown
                        pass
            self._clients.clear()
        self._base_credentials = None
        self.deactivate()
