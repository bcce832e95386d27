"""After a full run, no key material and no token appear anywhere a learner (or an attacker) could look."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from tests.support import git, key_file, run_chapter, status_of, wizard
from wizard.sandbox.github_api import sandbox_github_token
from wizard.sandbox.gitlab_api import sandbox_gitlab_token
from wizard.sandbox.world import World


def fragments(key_json: bytes, token: str) -> list[str]:
    """Pieces that would betray the secrets: the PEM body, the key's base64 (GitLab), the token."""
    pem_line = json.loads(key_json)["private_key"].splitlines()[2]  # one full 64-character line of the key
    encoded = base64.b64encode(key_json).decode()
    return [pem_line, "BEGIN PRIVATE KEY", encoded[200:260], token]


def test_no_key_and_no_token_leak_anywhere(after_ch7: Path, forge: str, home: Path):
    # A bug strikes while the key is in memory, about to be stored: the log is written then,
    # and with --debug (MLOPS_WIZARD_DEBUG) everything the log holds is printed as well.
    logs = home / ".local" / "state" / "mlops-wizard" / "log"
    crashed = run_chapter(
        after_ch7,
        8,
        home,
        env={
            "MLOPS_WIZARD_FAIL_AT": "ch08.store-secret:before-call",
            "MLOPS_WIZARD_DEBUG": "1",
            "XDG_STATE_HOME": str(home / ".local" / "state"),
        },
    )
    assert crashed.returncode == 1 and "Log: " in crashed.stderr, crashed.stdout + crashed.stderr
    first = run_chapter(after_ch7, 8, home)
    assert first.returncode == 0, first.stderr
    second = run_chapter(after_ch7, 8, home)
    status = status_of(after_ch7, home, "--chapter", "8")
    script = wizard("script", "--repo", str(after_ch7 / "learner-repo"), "--chapter", "8")
    inspect = wizard("sandbox", "inspect", str(after_ch7), "--json")

    world = World(after_ch7)
    token = sandbox_github_token(world) if forge == "github" else sandbox_gitlab_token(world)
    secrets = fragments(key_file(after_ch7).read_bytes(), token)
    assert secrets[0] in key_file(after_ch7).read_text()  # the detector does find the key where it is expected

    repo = after_ch7 / "learner-repo"
    state_dir = repo / ".git" / "mlops-wizard"
    history = git(repo, "log", "-p", "--all")
    bare = after_ch7 / "forge" / "learner" / "mlops-guide.git"
    remote_history = subprocess.run(
        ["git", "--git-dir", str(bare), "log", "-p", "--all"], capture_output=True, text=True, check=True
    ).stdout
    log_files = list(logs.glob("error-*.log"))
    assert log_files, "the crash left no log to look into"
    places = {
        "terminal output": crashed.stdout
        + crashed.stderr
        + first.stdout
        + first.stderr
        + second.stdout
        + second.stderr
        + status.stdout
        + status.stderr,
        "log files": "".join(p.read_text() for p in log_files),
        "state and journal": "".join(p.read_text() for p in state_dir.iterdir() if p.is_file()),
        "git history": history,
        "the forge's git history": remote_history,
        "exported script": script.stdout,
        "sandbox inspect": inspect.stdout,
        "files of the repository": "".join(
            p.read_text(errors="replace")
            for p in repo.rglob("*")
            if p.is_file() and ".git" not in p.parts and ".venv" not in p.parts and ".dvc" not in p.parts
        ),
    }
    for name, text in places.items():
        for fragment in secrets:
            assert fragment not in text, f"a secret leaked into the {name}"
