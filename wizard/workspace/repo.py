"""The learner's repository: git, dvc and the virtual environment, through their real commands.

`Workspace.open` is the preflight every run starts with: it refuses, with the fix spelled
out, anything that is not a git repository with DVC initialised and an `origin` remote,
before a single cloud call is made.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from wizard.engine.errors import WizardError
from wizard.engine.reads import Reads
from wizard.workspace import proc

VENV_CANDIDATES = (".venv", "venv", "env")


@dataclass
class Workspace:
    root: Path
    git_dir: Path
    # origin's branches as this run last read them (each `git ls-remote` asks the forge); forgotten when the run
    # pushes, or when a new run (or look) begins.
    reads: Reads = field(default_factory=Reads, repr=False, compare=False)

    # -- opening -----------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str, need_dvc: bool = True, need_origin: bool = True) -> Workspace:
        path = Path(path).expanduser()
        if not path.is_dir():
            raise WizardError(
                what=f"The folder {path} does not exist.",
                fix="Give the path of your project's repository with --repo.",
            )
        if shutil.which("git") is None:
            raise WizardError(what="git is not installed.", fix="Install git and run the wizard again.")
        result = proc.run(["git", "rev-parse", "--show-toplevel", "--absolute-git-dir"], cwd=path, check=False)
        if result.returncode != 0:
            raise WizardError(
                what=f"{path} is not a git repository.",
                why="The guide's chapters 1–6 leave you with a git repository that has an `origin` remote.",
                fix="Run the wizard from your project's folder (or pass --repo), or create the repository "
                "with `git init` and follow the guide's earlier chapters first.",
            )
        top, git_dir = result.stdout.strip().splitlines()[:2]
        workspace = cls(Path(top), Path(git_dir))
        if need_dvc and not (workspace.root / ".dvc").is_dir():
            raise WizardError(
                what=f"DVC is not initialised in {workspace.root}.",
                why="Chapter 7 pushes the data that DVC already tracks (the guide does `dvc init` and "
                "`dvc add data/raw` in chapter 4).",
                fix="Run `dvc init` and `dvc add data/raw` (see the guide's chapter 4), commit, "
                "then run the wizard again.",
            )
        if need_origin and not workspace.origin_url():
            raise WizardError(
                what="This repository has no `origin` remote.",
                why="The wizard pushes your commits to the repository you created on GitHub or GitLab "
                "in the guide's chapter 6.",
                fix="Add it with `git remote add origin <URL of your repository>` and push main "
                "(`git push -u origin main`), then run the wizard again.",
            )
        return workspace

    # -- git -----------------------------------------------------------------------------
    def git(self, *args: str, check: bool = True, env: Mapping[str, str] | None = None) -> str:
        return proc.run(["git", *args], cwd=self.root, check=check, env=env).stdout.strip()

    def origin_url(self) -> str:
        return self.git("remote", "get-url", "origin", check=False)

    def branch(self) -> str:
        name = self.git("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        if not name:
            raise WizardError(
                what="The repository is not on a branch (detached HEAD).",
                fix="Check out your main branch (`git switch main`) and run the wizard again.",
            )
        return name

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def remote_head(self, branch: str, env: Mapping[str, str] | None = None) -> str | None:
        def read() -> str | None:
            out = self.git("ls-remote", "origin", f"refs/heads/{branch}", env=env)
            return out.split()[0] if out else None

        return self.reads.get(("ls-remote", branch), read)

    def pushed(self, branch: str | None = None, commit: str | None = None) -> None:
        """This run pushed (or tried to): origin's branches are read again when next asked — except the branch
        that git just reported updated to `commit` (a push that succeeds leaves origin's branch at that commit)."""
        self.reads.clear()
        if branch is not None and commit is not None:
            self.reads.put(("ls-remote", branch), commit)

    def is_ancestor(self, commit: str, of: str) -> bool:
        return proc.run(["git", "merge-base", "--is-ancestor", commit, of], cwd=self.root, check=False).returncode == 0

    def has_commit(self, sha: str) -> bool:
        return proc.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=self.root, check=False).returncode == 0

    def show(self, commit: str, relpath: str) -> str | None:
        """A file's content in a commit, byte for byte (None when the commit has no such file)."""
        result = proc.run(["git", "show", f"{commit}:{relpath}"], cwd=self.root, check=False)
        return result.stdout if result.returncode == 0 else None

    def changed(self, paths: list[str]) -> list[str]:
        """Which of `paths` differ from HEAD (staged or not, or untracked)."""
        # Not self.git(): its strip() would eat the first line's leading status column (" M .dvc/config").
        out = proc.run(["git", "status", "--porcelain", "--untracked-files=all", "--", *paths], cwd=self.root).stdout
        return [line[3:] for line in out.splitlines() if line.strip()]

    # -- files ---------------------------------------------------------------------------
    def read(self, relpath: str) -> str:
        path = self.root / relpath
        return path.read_text("utf-8") if path.exists() else ""

    # -- the learner's Python environment ------------------------------------------------
    def python(self) -> Path:
        """The interpreter of the learner's virtual environment (the guide's `.venv`)."""
        for name in VENV_CANDIDATES:
            candidate = self.root / name / "bin" / "python"
            if candidate.exists():
                return candidate
        active = os.environ.get("VIRTUAL_ENV")
        if active and (Path(active) / "bin" / "python").exists():
            return Path(active) / "bin" / "python"
        raise WizardError(
            what=f"No virtual environment was found in {self.root}.",
            why="The guide installs the project's requirements in `.venv` (chapter 1), and the "
            "wizard installs `dvc[gs]` there.",
            fix="Create it with `python3 -m venv .venv` and `.venv/bin/pip install -r requirements.txt`, "
            "or activate your environment before running the wizard.",
        )

    def pip(
        self, *args: str, on_line: Callable[[str], None] | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        cmd = [str(self.python()), "-m", "pip", *args]
        if on_line is None:
            return proc.run(cmd, cwd=self.root, env=env).stdout
        return proc.stream(cmd, cwd=self.root, on_line=on_line, env=env).stdout

    # -- dvc -----------------------------------------------------------------------------
    def dvc_command(self) -> list[str]:
        """DVC from the learner's environment if it has its own, else the wizard's (which has dvc[gs])."""
        for name in VENV_CANDIDATES:
            candidate = self.root / name / "bin" / "dvc"
            if candidate.exists():
                return [str(candidate)]
        import sys

        return [sys.executable, "-m", "dvc"]

    def dvc(
        self, *args: str, env: Mapping[str, str] | None = None, on_line: Callable[[str], None] | None = None
    ) -> str:
        cmd = [*self.dvc_command(), *args]
        if on_line is None:
            return proc.run(cmd, cwd=self.root, env=env).stdout
        return proc.stream(cmd, cwd=self.root, on_line=on_line, env=env).stdout

    def dvc_config(self) -> dict[str, dict[str, str]]:
        """The project's `.dvc/config` (configobj format, as DVC writes it)."""
        from configobj import ConfigObj

        path = self.root / ".dvc" / "config"
        if not path.exists():
            return {}
        return {str(k): dict(v) for k, v in ConfigObj(str(path), encoding="utf-8").items() if isinstance(v, dict)}

    def dvc_cloud_status(self, remote: str, env: Mapping[str, str]) -> dict[str, object]:
        """`dvc status --cloud --json`: {} when the remote holds everything the workspace needs."""
        text = self.dvc("status", "--cloud", "--remote", remote, "--json", env=env).strip()
        start = text.find("{")
        return json.loads(text[start:]) if start >= 0 else {}

    def dvc_cache_files(self) -> list[str]:
        """Relative names (`files/md5/ab/cdef…`) of every object in the local DVC cache."""
        base = self.root / ".dvc" / "cache" / "files" / "md5"
        if not base.is_dir():
            return []
        out = []
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.endswith((".tmp", ".lock")) and ".unpacked" not in path.name:
                out.append(path.relative_to(base.parent.parent).as_posix())
        return out
