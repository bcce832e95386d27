"""The sandbox's forge speaks HTTPS like GitHub and GitLab: git trusts it through the sandbox's CA only."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import requests

from wizard.sandbox.forge import create_repo, start_forge
from wizard.sandbox.init import upgrade_demo_origin
from wizard.sandbox.server import sandbox_env
from wizard.sandbox.world import World

pytestmark = pytest.mark.timeout(60)


def ls_remote(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"GIT_SSL_CAINFO", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"}}
    return subprocess.run(
        ["git", "ls-remote", url],
        capture_output=True,
        text=True,
        timeout=30,
        env={**clean, "GIT_TERMINAL_PROMPT": "0", **env},
    )


def test_git_reaches_the_forge_over_https_only_when_it_trusts_the_sandboxs_ca(tmp_path: Path) -> None:
    world = World(tmp_path / "sandbox")
    repos = tmp_path / "sandbox" / "forge"
    create_repo(repos, "learner", "mlops-guide")
    with start_forge(world, repos) as forge:
        url = forge.repo_url("learner", "mlops-guide")
        assert url.startswith("https://127.0.0.1:")
        refused = ls_remote(url)  # the machine's CAs do not know the sandbox's
        assert refused.returncode != 0 and "certificate" in refused.stderr.lower()
        ca = sandbox_env(world.root, world.read())["GIT_SSL_CAINFO"]
        assert ca == str(world.root / "ca.pem")
        assert ls_remote(url, GIT_SSL_CAINFO=ca).returncode == 0
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{forge.url}/learner/mlops-guide.git/info/refs", timeout=10, verify=True)
        plain = f"http://127.0.0.1:{forge.port}/learner/mlops-guide.git"
        assert ls_remote(plain, GIT_SSL_CAINFO=ca).returncode != 0  # no plain HTTP beside it


def test_a_sandbox_made_when_its_forge_spoke_plain_http_gets_an_https_origin(tmp_path: Path) -> None:
    root = tmp_path / "sandbox"
    repo = root / "learner-repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    old = "http://127.0.0.1:40123/learner/mlops-guide.git"
    subprocess.run(["git", "remote", "add", "origin", old], cwd=repo, check=True)
    world = World(root)
    with world.mutate() as data:
        data["sandbox"] = {"demo_repo": {"path": "learner-repo", "origin": old}}
    upgrade_demo_origin(root)
    upgrade_demo_origin(root)  # once is enough; again changes nothing
    new = "https://127.0.0.1:40123/learner/mlops-guide.git"
    assert world.read()["sandbox"]["demo_repo"]["origin"] == new
    assert (
        subprocess.run(["git", "remote", "get-url", "origin"], cwd=repo, capture_output=True, text=True).stdout.strip()
        == new
    )


def test_every_sandbox_http_server_has_the_same_lifecycle_and_tls() -> None:
    """Storage and the forge are served by serving.py alone: one server class, thread and stop, TLS included."""
    sandbox = Path(__file__).resolve().parents[2] / "wizard" / "sandbox"
    own = [
        p.name
        for p in sorted(sandbox.rglob("*.py"))
        if p.name != "serving.py"
        and ("ThreadingHTTPServer" in p.read_text("utf-8") or "serve_forever" in p.read_text("utf-8"))
    ]
    assert own == []
