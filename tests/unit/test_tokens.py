"""Where the wizard finds a forge token, in the order the README gives, and which host is which forge."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from wizard.forges.detect import ForgeRef
from wizard.forges.tokens import NoToken, find_token
from wizard.gcp.target import Target
from wizard.session import detect_forge
from wizard.workspace.repo import Workspace

TOKEN_VARIABLES = (
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GITLAB_TOKEN",
    "GITLAB_ACCESS_TOKEN",
    "GITLAB_PRIVATE_TOKEN",
    "GH_HOST",
    "GITLAB_HOST",
    "GL_HOST",
    "MLOPS_WIZARD_SANDBOX_TOKEN",
)
SELF_MANAGED = ForgeRef("gitlab", "gitlab.example.org", "team/mlops", "https")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in TOKEN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return bin_dir


def install_glab(bin_dir: Path, host: str, token: str) -> None:
    """A glab that, like the real one, answers `glab config get token --host HOST` (keyring included)."""
    script = bin_dir / "glab"
    script.write_text(
        f'#!/bin/sh\nif [ "$*" = "config get token --host {host}" ]; then echo {token}; exit 0; fi\nexit 1\n'
    )
    script.chmod(0o755)


def test_glab_is_asked_for_its_token(clean_env: Path):
    install_glab(clean_env, "gitlab.example.org", "glpat-kept-in-the-keyring-0001")
    assert find_token(SELF_MANAGED) == ("glpat-kept-in-the-keyring-0001", "the GitLab CLI (glab config get token)")


def test_the_environment_comes_before_glab(clean_env: Path, monkeypatch: pytest.MonkeyPatch):
    install_glab(clean_env, "gitlab.example.org", "glpat-kept-in-the-keyring-0001")
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-from-the-environment-0002")
    assert find_token(SELF_MANAGED) == ("glpat-from-the-environment-0002", "$GITLAB_TOKEN")


def test_glab_without_a_token_for_that_host_means_asking(clean_env: Path):
    install_glab(clean_env, "gitlab.com", "glpat-for-another-host-0003")
    assert find_token(SELF_MANAGED, ask=lambda _prompt: " typed-token ") == ("typed-token", "your answer")
    with pytest.raises(NoToken):
        find_token(SELF_MANAGED)


def test_without_glab_its_config_file_is_read(clean_env: Path, tmp_path: Path):
    config = tmp_path / "config" / "glab-cli" / "config.yml"
    config.parent.mkdir(parents=True)
    config.write_text("hosts:\n  gitlab.example.org:\n    token: glpat-in-the-config-file-0004\n")
    assert find_token(SELF_MANAGED)[0] == "glpat-in-the-config-file-0004"


def _repo_with_origin(path: Path, origin: str) -> Workspace:
    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "remote", "add", "origin", origin], check=True)
    return Workspace(path, path / ".git")


def test_gh_host_and_gitlab_host_name_the_forge_of_a_self_hosted_origin(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    enterprise = _repo_with_origin(tmp_path / "a", "https://ghe.corp.example/data-team/mlops.git")
    managed = _repo_with_origin(tmp_path / "b", "git@code.corp.example:data-team/ml/mlops.git")
    google = Target(kind="google")
    ref = detect_forge(enterprise, google)
    assert ref is not None and ref.kind == "unknown"

    monkeypatch.setenv("GH_HOST", "ghe.corp.example")
    monkeypatch.setenv("GITLAB_HOST", "https://code.corp.example")
    github, gitlab = detect_forge(enterprise, google), detect_forge(managed, google)
    assert github is not None and (github.kind, github.host) == ("github", "ghe.corp.example")
    assert gitlab is not None and (gitlab.kind, gitlab.path) == ("gitlab", "data-team/ml/mlops")
