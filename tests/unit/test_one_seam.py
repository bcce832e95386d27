"""Google and the sandbox are reached the same way: the difference lives behind one seam.

Outside the sandbox itself, nothing builds anonymous credentials or insecure gRPC channels
(both could never work against Google), and no step or Google client asks whether the target
is the sandbox: endpoints, CA and credentials file come from the environment object.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIZARD = ROOT / "wizard"
SEAM = WIZARD / "gcp" / "target.py"
FORBIDDEN = re.compile(r"AnonymousCredentials|insecure_channel|add_insecure_port|token=[\"']anon[\"']")


def _sources(*parts: str) -> list[Path]:
    return sorted(p for part in parts for p in (WIZARD / part).rglob("*.py"))


def test_nothing_outside_the_sandbox_builds_anonymous_credentials_or_insecure_channels() -> None:
    offenders = [
        f"{path.relative_to(WIZARD)}:{number}: {line.strip()}"
        for path in sorted(WIZARD.rglob("*.py"))
        if "sandbox" not in path.relative_to(WIZARD).parts
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert offenders == []


def test_the_sandbox_serves_google_only_over_tls() -> None:
    offenders = [
        str(path.relative_to(WIZARD)) for path in _sources("sandbox") if FORBIDDEN.search(path.read_text("utf-8"))
    ]
    assert offenders == []


def test_nothing_outside_the_sandbox_and_the_seam_asks_whether_the_target_is_the_sandbox() -> None:
    """Steps, clients, forges, the session and the front ends use what the seam knows (endpoints, the
    forge's URL and name, polling), never which environment it is."""
    asking = re.compile(r"is_sandbox|\.kind\s*[=!]=\s*[\"']sandbox[\"']")
    sources = [
        p
        for p in sorted([*WIZARD.rglob("*.py"), *(ROOT / "chapters").rglob("*.py")])
        if "sandbox" not in p.relative_to(ROOT).parts[1:2] and p != SEAM
    ]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if asking.search(line)
    ]
    assert sources and offenders == []


def test_the_seam_itself_keeps_no_sandbox_question() -> None:
    """What differs is data on the Target (labels, forge, polling), so the seam has no branch on it either."""
    assert "is_sandbox" not in SEAM.read_text("utf-8")


def test_every_google_client_is_built_by_the_seam() -> None:
    """Only wizard/gcp/target.py constructs google-cloud clients; steps ask it for them."""
    builders = re.compile(
        r"\b(ProjectsClient|CloudBillingClient|ServiceUsageClient|IAMClient|ClusterManagerClient|"
        r"ArtifactRegistryClient|storage\.Client)\("
    )
    offenders = [
        str(path.relative_to(WIZARD))
        for path in sorted(WIZARD.rglob("*.py"))
        if "sandbox" not in path.relative_to(WIZARD).parts
        and path.name != "target.py"
        and builders.search(path.read_text("utf-8"))
    ]
    assert offenders == []


def test_the_learners_forge_is_named_and_reached_by_its_own_url() -> None:
    """The sandbox's forge is recognised by its URL (data on the Target), and its API URL comes from `origin`."""
    from wizard.forges.connect import gitlab_url_for
    from wizard.forges.detect import parse_origin
    from wizard.gcp.target import Target

    ref = parse_origin("https://127.0.0.1:4000/learner/mlops-guide.git", github_url="https://127.0.0.1:4000")
    assert ref is not None
    own = Target(forge_kind="github", forge_url="https://127.0.0.1:4000", forge_name="the sandbox's GitHub")
    assert own.describe_forge(ref) == "learner/mlops-guide on the sandbox's GitHub"
    assert Target().describe_forge(ref) == "learner/mlops-guide on GitHub (127.0.0.1:4000)"
    assert Target().describe() == "Google Cloud" and not Target().serves_forge(ref.host)
    lab = parse_origin("https://127.0.0.1:4001/learner/mlops-guide.git", gitlab_url="https://127.0.0.1:4001")
    ssh = parse_origin("ssh://git@gitlab.example.com:2222/group/project.git", gitlab_url="https://gitlab.example.com")
    assert lab is not None and ssh is not None
    assert gitlab_url_for(lab) == "https://127.0.0.1:4001"
    assert gitlab_url_for(ssh) == "https://gitlab.example.com"
