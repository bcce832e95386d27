"""Reading and writing the forge's bare repositories with git plumbing, as GitHub's API does.

The contents API answers from the real objects (blob shas are git's), and a contents PUT
or DELETE makes a real commit with a private index file and moves the branch with a
compare-and-swap `update-ref`, so a push landing at the same moment is never lost: one of
the two writers is told it is stale, as GitHub tells it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ZERO = "0" * 40


class GitError(RuntimeError):
    pass


class StaleBranch(GitError):
    """The branch moved between reading it and writing it."""


@dataclass(frozen=True)
class Entry:
    mode: str  # "100644", "100755", "120000", "040000", "160000"
    type: str  # "blob", "tree", "commit"
    sha: str
    size: int  # 0 for trees and submodules
    path: str

    @property
    def kind(self) -> str:
        """GitHub's name for it: file, dir, symlink or submodule."""
        if self.type == "tree":
            return "dir"
        if self.type == "commit":
            return "submodule"
        return "symlink" if self.mode == "120000" else "file"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    date: str  # ISO 8601 as git prints it (%aI)


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    message: str


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"})
    env.update(extra or {})
    return env


def git(
    repo: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(["git", *args], cwd=repo, input=input, capture_output=True, env=_env(env), check=False)
    if check and result.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {result.stderr.decode(errors='replace').strip()}")
    return result


def _safe(ref: str) -> bool:
    return bool(ref) and not ref.startswith("-") and "\0" not in ref and ".." not in ref


def branches(repo: Path) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads").stdout.decode()
    heads = {}
    for line in out.splitlines():
        ref, _, sha = line.partition(" ")
        heads[ref.removeprefix("refs/heads/")] = sha
    return heads


def default_branch(repo: Path) -> str:
    result = git(repo, "symbolic-ref", "--quiet", "HEAD", check=False)
    return result.stdout.decode().strip().removeprefix("refs/heads/") or "main"


def is_empty(repo: Path) -> bool:
    return not git(repo, "for-each-ref", "--count=1", "refs/heads", "refs/tags").stdout.strip()


def resolve(repo: Path, ref: str) -> str | None:
    """The commit a branch, tag or (abbreviated) sha names, as GitHub resolves `ref`."""
    if not _safe(ref):
        return None
    for candidate in (f"refs/heads/{ref}", f"refs/tags/{ref}", ref):
        result = git(repo, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", check=False)
        if result.returncode == 0:
            return result.stdout.decode().strip()
    return None


def branch_sha(repo: Path, branch: str) -> str | None:
    if not _safe(branch):
        return None
    result = git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}", check=False)
    return result.stdout.decode().strip() if result.returncode == 0 else None


def _parse_ls_tree(out: bytes) -> list[Entry]:
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, sha, size = meta.decode().split(maxsplit=3)
        entries.append(
            Entry(
                mode,
                kind,
                sha,
                int(size) if size.strip().isdigit() else 0,
                path.decode("utf-8", errors="surrogateescape"),
            )
        )
    return entries


def entry(repo: Path, commit: str, path: str) -> Entry | None:
    """The tree entry at `path` in `commit`; the root tree for an empty path."""
    path = path.strip("/")
    if not path:
        tree = git(repo, "rev-parse", f"{commit}^{{tree}}").stdout.decode().strip()
        return Entry("040000", "tree", tree, 0, "")
    found = _parse_ls_tree(git(repo, "ls-tree", "-l", "-z", commit, "--", path).stdout)
    return next((e for e in found if e.path == path), None)


def list_dir(repo: Path, commit: str, path: str) -> list[Entry]:
    path = path.strip("/")
    args = ["ls-tree", "-l", "-z", commit] + (["--", path + "/"] if path else [])
    return _parse_ls_tree(git(repo, *args).stdout)


def read_blob(repo: Path, sha: str) -> bytes:
    return git(repo, "cat-file", "blob", sha).stdout


def read_file(repo: Path, commit: str, path: str) -> bytes | None:
    result = git(repo, "cat-file", "blob", f"{commit}:{path}", check=False)
    return result.stdout if result.returncode == 0 else None


def files_under(repo: Path, commit: str, folder: str) -> dict[str, bytes]:
    """Every file directly in `folder` at `commit` (path -> content)."""
    return {e.path: read_blob(repo, e.sha) for e in list_dir(repo, commit, folder) if e.kind == "file"}


def commit_info(repo: Path, sha: str) -> CommitInfo:
    fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
    fields = git(repo, "show", "-s", f"--format={fmt}", sha, "--").stdout.decode("utf-8", "replace").split("\0")
    return CommitInfo(
        fields[0],
        fields[1],
        tuple(fields[2].split()),
        Person(fields[3], fields[4], fields[5]),
        Person(fields[6], fields[7], fields[8]),
        fields[9].rstrip("\n"),
    )


def changed_paths(repo: Path, before: str | None, after: str) -> list[str]:
    """Paths a push from `before` to `after` changed (a new branch: the head commit's own changes)."""
    if before and before != ZERO:
        out = git(repo, "diff", "--name-only", "-z", before, after, "--", check=False).stdout
    else:
        out = git(repo, "diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "-z", after).stdout
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


@dataclass(frozen=True)
class FileChange:
    filename: str
    status: str  # added, removed, modified, renamed, ...
    sha: str | None
    additions: int
    deletions: int
    previous_filename: str | None = None


_STATUS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied", "T": "changed"}


def commit_changes(repo: Path, sha: str) -> list[FileChange]:
    """What `sha` changed against its first parent, with line counts (GitHub's `files`)."""
    out = git(repo, "diff-tree", "-r", "--root", "--no-commit-id", "-M", "--raw", "--numstat", "-z", sha).stdout
    parts = out.split(b"\0")
    raw: list[tuple[str, str, str, str | None]] = []  # status, blob, path, previous path
    counts: list[tuple[int, int]] = []
    i = 0
    while i < len(parts):
        part = parts[i].decode("utf-8", "surrogateescape")
        if part.startswith(":"):
            meta = part[1:].split()
            status, blob = meta[4][0], meta[3]
            if status in "RC":
                raw.append(
                    (
                        status,
                        blob,
                        parts[i + 2].decode("utf-8", "surrogateescape"),
                        parts[i + 1].decode("utf-8", "surrogateescape"),
                    )
                )
                i += 3
            else:
                name = parts[i + 1].decode("utf-8", "surrogateescape")
                raw.append((status, blob if status != "D" else meta[2], name, None))
                i += 2
        elif part.strip():
            added, deleted, path = (part.split("\t") + ["", ""])[:3]
            counts.append((int(added) if added.isdigit() else 0, int(deleted) if deleted.isdigit() else 0))
            i += 3 if path == "" else 1  # renames: numstat gives "a\td\t" then old and new path
        else:
            i += 1
    changes = []
    for n, (status, blob, path, previous) in enumerate(raw):
        lines_added, lines_deleted = counts[n] if n < len(counts) else (0, 0)
        changes.append(
            FileChange(
                path,
                _STATUS.get(status, "modified"),
                None if blob == ZERO else blob,
                lines_added,
                lines_deleted,
                previous,
            )
        )
    return changes


def write_file(
    repo: Path,
    branch: str,
    path: str,
    content: bytes | None,
    message: str,
    author: Person,
    committer: Person,
    parent: str | None,
) -> str:
    """Commit `content` at `path` (None deletes it) on `branch`, whose head must be `parent`.

    Returns the new commit's sha; raises StaleBranch if the branch moved meanwhile.
    """
    with tempfile.TemporaryDirectory(prefix="sandbox-github-") as tmp:
        index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if parent:
            git(repo, "read-tree", parent, env=index)
        if content is None:
            git(repo, "update-index", "--index-info", input=f"0 {ZERO}\t{path}\n".encode(), env=index)
        else:
            old = entry(repo, parent, path) if parent else None
            mode = old.mode if old is not None and old.mode in ("100644", "100755") else "100644"
            blob = git(repo, "hash-object", "-w", "--stdin", input=content).stdout.decode().strip()
            git(repo, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=index)
        tree = git(repo, "write-tree", env=index).stdout.decode().strip()
    people = {
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
        "GIT_AUTHOR_DATE": author.date,
        "GIT_COMMITTER_NAME": committer.name,
        "GIT_COMMITTER_EMAIL": committer.email,
        "GIT_COMMITTER_DATE": committer.date,
    }
    args = ["commit-tree", tree, *(["-p", parent] if parent else [])]
    commit = git(repo, *args, input=message.encode("utf-8"), env=people).stdout.decode().strip()
    moved = git(repo, "update-ref", f"refs/heads/{branch}", commit, parent or ZERO, check=False)
    if moved.returncode != 0:
        raise StaleBranch(moved.stderr.decode(errors="replace").strip())
    return commit
