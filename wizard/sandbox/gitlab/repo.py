"""Git plumbing on the forge's bare repositories, for the fake GitLab's files and commits APIs.

Reads use `git cat-file`/`ls-tree`/`log`; writes build a tree in a throw-away index
(`GIT_INDEX_FILE`), make the commit with `commit-tree` and move the branch with
`update-ref NEW OLD`, so a commit made through the API is a real commit that a later
`git fetch` sees, and a push racing with it is detected instead of lost.
"""

from __future__ import annotations

import base64
import binascii
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
ZERO_SHA = "0" * 40


class GitError(Exception):
    """A git command failed (the fake answers 400/404 from it, never 500)."""


class ActionError(Exception):
    """A commit action GitLab refuses; the message is GitLab's."""


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"})
    env.update(extra or {})
    return env


def git(repo: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
    result = subprocess.run(["git", *args], cwd=repo, input=input, capture_output=True, env=_env(env), check=False)
    if result.returncode != 0:
        raise GitError(result.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return result.stdout


def repo_lock(repo: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(Path(repo).resolve()), threading.Lock())


# -- reading ----------------------------------------------------------------------------------
def branches(repo: Path) -> dict[str, str]:
    """{branch: head sha} for every branch."""
    out = git(repo, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/")
    heads = {}
    for line in out.decode().splitlines():
        name, _, sha = line.partition(" ")
        heads[name] = sha
    return heads


def resolve(repo: Path, ref: str) -> str | None:
    """The commit sha `ref` names (a branch, a tag or a sha), or None."""
    if not ref or ref.startswith("-"):
        return None
    for candidate in (f"refs/heads/{ref}", f"refs/tags/{ref}", ref):
        try:
            return git(repo, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}").decode().strip()
        except GitError:
            continue
    return None


def is_empty(repo: Path) -> bool:
    return not branches(repo)


@dataclass
class Blob:
    path: str
    sha: str
    mode: str
    data: bytes


def blob_at(repo: Path, commit: str, path: str) -> Blob | None:
    path = path.strip("/")
    if not path:
        return None
    try:
        out = git(repo, "ls-tree", "-z", commit, "--", path)
    except GitError:
        return None
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind == "blob" and name.decode("utf-8", "surrogateescape") == path:
            return Blob(path, sha, mode, git(repo, "cat-file", "blob", sha))
    return None


def read_text(repo: Path, commit: str, path: str) -> str | None:
    blob = blob_at(repo, commit, path)
    return None if blob is None else blob.data.decode("utf-8", "replace")


def last_commit_for(repo: Path, commit: str, path: str) -> str:
    return git(repo, "log", "-1", "--format=%H", commit, "--", path).decode().strip()


def _gitlab_time(iso: str) -> str:
    """git's strict ISO 8601 (2024-05-01T10:00:00+02:00) as GitLab writes it (…:00.000+02:00)."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).isoformat(timespec="milliseconds")


_FORMAT = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"


def commit_info(repo: Path, sha: str) -> dict[str, Any] | None:
    try:
        raw = git(repo, "show", "-s", f"--format={_FORMAT}", sha, "--").decode("utf-8", "replace")
    except GitError:
        return None
    parts = raw.split("\0")
    if len(parts) < 9:
        return None
    full, parents, an, ae, ad, cn, ce, cd, message = parts[:9]
    message = message.rstrip("\n") + "\n" if message.strip() else ""
    additions = deletions = 0
    try:
        numstat = git(repo, "show", "--numstat", "--format=", full, "--").decode("utf-8", "replace")
        for line in numstat.splitlines():
            added, deleted, *_ = line.split("\t")
            additions += int(added) if added.isdigit() else 0
            deletions += int(deleted) if deleted.isdigit() else 0
    except GitError:
        pass
    return {
        "id": full,
        "short_id": full[:8],
        "created_at": _gitlab_time(cd),
        "parent_ids": parents.split() if parents else [],
        "title": message.split("\n", 1)[0],
        "message": message,
        "author_name": an,
        "author_email": ae,
        "authored_date": _gitlab_time(ad),
        "committer_name": cn,
        "committer_email": ce,
        "committed_date": _gitlab_time(cd),
        "trailers": {},
        "extended_trailers": {},
        "stats": {"additions": additions, "deletions": deletions, "total": additions + deletions},
    }


# -- writing ----------------------------------------------------------------------------------
@dataclass
class Action:
    action: str  # create | update | delete | move | chmod
    file_path: str
    content: bytes | None = None
    previous_path: str | None = None
    last_commit_id: str | None = None
    execute_filemode: bool | None = None


def decode_content(content: Any, encoding: str | None) -> bytes:
    if content is None:
        return b""
    text = str(content)
    if (encoding or "text") == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError) as err:
            raise ActionError("Invalid base64 content") from err
    return text.encode("utf-8")


def tree_entries(repo: Path, commit: str | None) -> dict[str, tuple[str, str]]:
    """{path: (mode, blob sha)} for every file in `commit` (empty for None)."""
    if not commit:
        return {}
    entries = {}
    for entry in git(repo, "ls-tree", "-r", "-z", commit).split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind == "blob":
            entries[name.decode("utf-8", "surrogateescape")] = (mode, sha)
    return entries


def commit_actions(
    repo: Path, branch: str, message: str, actions: list[Action], author: tuple[str, str], start_ref: str | None = None
) -> str:
    """Make one commit applying `actions` on `branch` (created from `start_ref` if new)."""
    with repo_lock(repo):
        heads = branches(repo)
        parent = heads.get(branch)
        if parent is None:
            if start_ref:
                parent = resolve(repo, start_ref)
                if parent is None:
                    raise ActionError(f"Invalid reference name: {start_ref}")
            elif heads:
                raise ActionError("You can only create or edit files when you are on a branch")
        entries = tree_entries(repo, parent)
        for item in actions:
            _apply(repo, parent, entries, item)
        with tempfile.TemporaryDirectory(prefix="gitlab-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            info = "".join(f"{mode} {sha}\t{path}\n" for path, (mode, sha) in sorted(entries.items()))
            if info:
                git(repo, "update-index", "--index-info", input=info.encode("utf-8", "surrogateescape"), env=env)
            tree = git(repo, "write-tree", env=env).decode().strip()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
        name, email = author
        commit_env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": now,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": now,
        }
        args = ["commit-tree", tree, *(["-p", parent] if parent else [])]
        sha = git(repo, *args, input=message.encode("utf-8"), env=commit_env).decode().strip()
        try:
            git(repo, "update-ref", f"refs/heads/{branch}", sha, heads.get(branch) or ZERO_SHA)
        except GitError as err:
            raise ActionError(f"Could not update {branch}. Please refresh and try again.") from err
        if not heads:  # the first branch of an empty repository becomes its default
            git(repo, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
        return sha


def _blob(repo: Path, data: bytes) -> str:
    return git(repo, "hash-object", "-w", "--stdin", input=data).decode().strip()


def _check_path(path: str, entries: dict[str, tuple[str, str]]) -> None:
    parts = path.split("/")
    if any(part in ("", ".", "..", ".git") for part in parts):
        raise ActionError(f"Your changes could not be committed, because the file path {path!r} is invalid")
    for i in range(1, len(parts)):
        if "/".join(parts[:i]) in entries:
            in_the_way = "/".join(parts[:i])
            raise ActionError(f"Your changes could not be committed, because a file {in_the_way} is in the way")
    if any(other.startswith(path + "/") for other in entries):
        raise ActionError("A directory with this name already exists")


def _apply(repo: Path, parent: str | None, entries: dict[str, tuple[str, str]], item: Action) -> None:
    path = item.file_path.strip("/")
    current = entries.get(path)
    if (
        item.last_commit_id
        and parent
        and current is not None
        and last_commit_for(repo, parent, path) != item.last_commit_id
    ):
        raise ActionError(f"The file has changed since you started editing it: {path}")
    if item.action == "create":
        if current is not None:
            raise ActionError("A file with this name already exists")
        _check_path(path, entries)
        entries[path] = ("100755" if item.execute_filemode else "100644", _blob(repo, item.content or b""))
    elif item.action in ("update", "delete", "chmod"):
        if current is None:
            raise ActionError("A file with this name doesn't exist")
        mode, sha = current
        if item.execute_filemode is not None:
            mode = "100755" if item.execute_filemode else "100644"
        if item.action == "delete":
            del entries[path]
        elif item.action == "update":
            entries[path] = (mode, _blob(repo, item.content or b""))
        else:
            entries[path] = (mode, sha)
    elif item.action == "move":
        source = (item.previous_path or "").strip("/")
        if source not in entries:
            raise ActionError("A file with this name doesn't exist")
        if current is not None:
            raise ActionError("A file with this name already exists")
        mode, sha = entries.pop(source)
        _check_path(path, entries)
        entries[path] = (mode, _blob(repo, item.content) if item.content is not None else sha)
    else:  # validated by the API before; kept for safety
        raise ActionError(f"Unknown action '{item.action}'")
