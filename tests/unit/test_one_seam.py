"""Google and the sandbox are reached the same way: the difference lives behind one seam.

Outside the sandbox itself, nothing builds anonymous credentials or insecure gRPC channels
(both could never work against Google), and no step or Google client asks whether the target
is the sandbox: endpoints, CA and credentials file come from the environment object.
"""

from __future__ import annotations

import re
from pathlib import Path

WIZARD = Path(__file__).resolve().parents[2] / "wizard"
FORBIDDEN = re.compile(r"AnonymousCredentials|insecure_channel|add_insecure_port|token=[\"']anon[\"']")


def _sources(*parts: str) -> list[Path]:
    return sorted(p for part in parts for p in (WIZARD / part).rglob("*.py"))


def test_nothing_outside_the_sandbox_builds_anonymous_credentials_or_insecure_channels() -> None:
    offenders = [f"{path.relative_to(WIZARD)}:{number}: {line.strip()}"
                 for path in sorted(WIZARD.rglob("*.py")) if "sandbox" not in path.relative_to(WIZARD).parts
                 for number, line in enumerate(path.read_text("utf-8").splitlines(), 1) if FORBIDDEN.search(line)]
    assert offenders == []


def test_the_sandbox_serves_google_only_over_tls() -> None:
    offenders = [str(path.relative_to(WIZARD)) for path in _sources("sandbox")
                 if FORBIDDEN.search(path.read_text("utf-8"))]
    assert offenders == []


def test_steps_and_clients_never_ask_whether_the_target_is_the_sandbox() -> None:
    offenders = [f"{path.relative_to(WIZARD)}:{number}" for path in _sources("steps", "gcp")
                 for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                 if "is_sandbox" in line and "def is_sandbox" not in line and "if self.is_sandbox" not in line]
    assert offenders == []


def test_every_google_client_is_built_by_the_seam() -> None:
    """Only wizard/gcp/target.py constructs google-cloud clients; steps ask it for them."""
    builders = re.compile(r"\b(ProjectsClient|CloudBillingClient|ServiceUsageClient|IAMClient|ClusterManagerClient|"
                          r"ArtifactRegistryClient|storage\.Client)\(")
    offenders = [str(path.relative_to(WIZARD)) for path in sorted(WIZARD.rglob("*.py"))
                 if "sandbox" not in path.relative_to(WIZARD).parts and path.name != "target.py"
                 and builders.search(path.read_text("utf-8"))]
    assert offenders == []
