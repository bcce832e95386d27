"""What the commit step lists as still to commit keeps each path whole ('.dvc/config', not 'dvc/config')."""

import subprocess
from pathlib import Path

from wizard.workspace.repo import Workspace


def test_changed_paths_keep_their_leading_dot(tmp_path: Path):
    repo = tmp_path / "repo"
    (repo / ".dvc").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".dvc" / "config").write_text("[core]\n")
    (repo / "requirements.txt").write_text("dvc\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    (repo / ".dvc" / "config").write_text("[core]\n    remote = data\n")  # modified, not staged: " M .dvc/config"
    (repo / "requirements.txt").write_text("dvc[gs]\n")
    workspace = Workspace.open(repo, need_dvc=False, need_origin=False)
    assert workspace.changed([".dvc/config", "requirements.txt"]) == [".dvc/config", "requirements.txt"]
