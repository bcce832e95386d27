"""The sandbox forge: real git clients over smart HTTP, and the dispatcher for API mounts."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from tests.support import trust_sandbox_ca
from wizard.sandbox.forge import ForgeRequest, ForgeResponse, create_repo, repo_path, start_forge
from wizard.sandbox.world import World

pytestmark = pytest.mark.timeout(60)


def git(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Learner",
        GIT_AUTHOR_EMAIL="learner@example.com",
        GIT_COMMITTER_NAME="Learner",
        GIT_COMMITTER_EMAIL="learner@example.com",
    )
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stderr}")
    return result


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path / "sandbox")


@pytest.fixture
def repos(tmp_path: Path) -> Path:
    repos = tmp_path / "sandbox" / "forge"
    create_repo(repos, "learner", "mlops-guide")
    return repos


@pytest.fixture
def forge(world: World, repos: Path):
    handle = start_forge(world, repos)
    trust_sandbox_ca(world.root)
    yield handle
    handle.stop()


def git_calls(world: World) -> dict[str, int]:
    return world.read()["calls"]["by_service"].get("git", {"reads": 0, "writes": 0})


def test_create_repo_makes_a_bare_repository_on_main(tmp_path):
    path = create_repo(tmp_path / "forge", "learner", "mlops-guide")
    assert path == tmp_path / "forge" / "learner" / "mlops-guide.git"
    assert git("rev-parse", "--is-bare-repository", cwd=path).stdout.strip() == "true"
    assert git("symbolic-ref", "HEAD", cwd=path).stdout.strip() == "refs/heads/main"
    assert git("config", "http.receivepack", cwd=path).stdout.strip() == "true"
    assert create_repo(tmp_path / "forge", "learner", "mlops-guide") == path  # idempotent
    with pytest.raises(ValueError):
        repo_path(tmp_path, "learner", "../escape")


def test_clone_commit_push_and_clone_again(forge, world, tmp_path):
    url = f"{forge.url}/learner/mlops-guide.git"
    git("clone", "--quiet", url, str(tmp_path / "first"))
    (tmp_path / "first" / "README.md").write_text("# My ML experiment\n")
    git("add", "README.md", cwd=tmp_path / "first")
    git("commit", "--quiet", "-m", "First commit", cwd=tmp_path / "first")
    before = git_calls(world)
    git("push", "--quiet", "origin", "main", cwd=tmp_path / "first")
    after = git_calls(world)
    assert after["writes"] - before["writes"] == 1  # the POST that sent the pack

    up_to_date = git("push", "origin", "main", cwd=tmp_path / "first")
    assert "Everything up-to-date" in up_to_date.stderr
    assert git_calls(world)["writes"] == after["writes"]  # an up-to-date push writes nothing

    git("clone", "--quiet", url, str(tmp_path / "second"))
    assert (tmp_path / "second" / "README.md").read_text() == "# My ML experiment\n"
    head = git("rev-parse", "HEAD", cwd=tmp_path / "first").stdout
    assert git("rev-parse", "HEAD", cwd=tmp_path / "second").stdout == head
    assert git("rev-parse", "main", cwd=forge.repos_dir / "learner" / "mlops-guide.git").stdout == head
    assert git("symbolic-ref", "--short", "HEAD", cwd=tmp_path / "second").stdout.strip() == "main"


def test_url_without_dot_git_and_protocol_v0_work(forge, tmp_path):
    git("clone", "--quiet", f"{forge.url}/learner/mlops-guide", str(tmp_path / "a"))
    git("-c", "protocol.version=0", "ls-remote", f"{forge.url}/learner/mlops-guide.git")


def test_an_unknown_repository_is_not_found(forge, tmp_path):
    result = git("ls-remote", f"{forge.url}/learner/no-such-repo.git", check=False)
    assert result.returncode != 0
    assert "not found" in result.stderr


def test_a_large_push_with_chunked_encoding(forge, tmp_path):
    work = tmp_path / "work"
    git("clone", "--quiet", f"{forge.url}/learner/mlops-guide.git", str(work))
    (work / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))  # over http.postBuffer (1 MiB)
    git("add", "big.bin", cwd=work)
    git("commit", "--quiet", "-m", "Big file", cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)
    git("clone", "--quiet", f"{forge.url}/learner/mlops-guide.git", str(tmp_path / "again"))
    assert (tmp_path / "again" / "big.bin").stat().st_size == 3 * 1024 * 1024


def test_push_listeners_hear_about_each_push(forge, tmp_path):
    heard: list[tuple[str, str]] = []
    forge.on_push(lambda owner, name: heard.append((owner, name)))
    work = tmp_path / "work"
    git("clone", "--quiet", f"{forge.url}/learner/mlops-guide.git", str(work))
    git("commit", "--quiet", "--allow-empty", "-m", "one", cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)  # up to date: no second event
    assert heard == [("learner", "mlops-guide")]


def test_parallel_clones(forge, tmp_path):
    work = tmp_path / "work"
    git("clone", "--quiet", f"{forge.url}/learner/mlops-guide.git", str(work))
    git("commit", "--quiet", "--allow-empty", "-m", "one", cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)
    errors: list[Exception] = []

    def clone(i: int) -> None:
        try:
            git("clone", "--quiet", f"{forge.url}/learner/mlops-guide.git", str(tmp_path / f"c{i}"))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=clone, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_mounted_apps_get_their_prefix_and_git_keeps_the_rest(forge, world, tmp_path):
    seen: list[ForgeRequest] = []

    def github(request: ForgeRequest) -> ForgeResponse:
        seen.append(request)
        return ForgeResponse.json(
            {"path": request.path, "base": request.base_url, "query": request.query, "body": request.json()},
            201,
            headers=[("X-OAuth-Scopes", "repo, workflow")],
        )

    def gitlab(request: ForgeRequest) -> ForgeResponse:
        return ForgeResponse.json({"prefix": request.prefix, "raw_path": request.path})

    forge.mount("/api/v3", github)
    forge.mount("/api/v4", gitlab)
    answer = requests.post(f"{forge.url}/api/v3/repos/learner/mlops-guide/things?x=1", json={"a": 1}, timeout=10)
    assert answer.status_code == 201
    assert answer.headers["X-OAuth-Scopes"] == "repo, workflow"
    assert answer.json() == {
        "path": "/api/v3/repos/learner/mlops-guide/things",
        "base": forge.url,
        "query": {"x": ["1"]},
        "body": {"a": 1},
    }
    assert seen[0].prefix == "/api/v3" and seen[0].world is world

    # GitLab's "group%2Fname" arrives undecoded, as python-gitlab needs it matched.
    answer = requests.get(f"{forge.url}/api/v4/projects/learner%2Fmlops-guide", timeout=10)
    assert answer.json() == {"prefix": "/api/v4", "raw_path": "/api/v4/projects/learner%2Fmlops-guide"}

    assert requests.get(f"{forge.url}/api/v3x/nothing", timeout=10).status_code == 404
    git("ls-remote", f"{forge.url}/learner/mlops-guide.git")  # git still served beside the apps


def test_an_app_that_fails_answers_500_and_the_forge_keeps_serving(forge):
    def broken(request: ForgeRequest) -> ForgeResponse:
        raise RuntimeError("boom")

    forge.mount("/api/v3", broken)
    assert requests.get(f"{forge.url}/api/v3/user", timeout=10).status_code == 500
    git("ls-remote", f"{forge.url}/learner/mlops-guide.git")


def test_mounts_given_at_start(world, repos):
    app = lambda request: ForgeResponse.text("hello")  # noqa: E731
    with start_forge(world, repos, mounts={"api/v4": app}) as handle:
        trust_sandbox_ca(world.root)
        assert requests.get(f"{handle.url}/api/v4/version", timeout=10).text == "hello"
