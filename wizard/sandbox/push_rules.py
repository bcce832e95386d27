"""Who may push what on the sandbox forges, applied where GitHub and GitLab apply it.

Two stages, as on the real forges:

- over HTTP, before git runs (`http_refusal`): credentials (a token as the password, in
  Basic auth; git sends it after a 401 challenge when `faults.git_auth` is set, else anonymous
  pushes are the owner's) and write access — refused with 401/403 and a text body that git
  prints as `remote: …`;
- per branch, in a pre-receive hook (`main`, run by `git receive-pack` with the sandbox's
  hooks folder): protected branches and, on GitHub, workflow files without the `workflow`
  scope — refused with `remote: error: …` and `! [remote rejected] … (pre-receive hook declined)`.

Each forge's own rules and words live in its store (`github.store.push_refusal`,
`gitlab.store.push_refusal`); this module only finds the repository and the changes.
"""

from __future__ import annotations

import base64
import binascii
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ZERO = "0" * 40
ENV_WORLD = "SANDBOX_FORGE_WORLD"
ENV_REPO = "SANDBOX_FORGE_REPO"
ENV_TOKEN = "SANDBOX_FORGE_TOKEN"
HOOKS_DIR = ".hooks"  # inside the forge's repositories folder; never a repository name


def basic_token(authorization: str | None) -> str | None:
    """The password of HTTP Basic credentials (where git puts a token), None without credentials."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(value).decode("utf-8").partition(":")[2] or None
    except (binascii.Error, UnicodeDecodeError):
        return None


def _refusal(
    data: dict[str, Any], token: str | None, full: str, branch: str | None, changed: list[str]
) -> tuple[int, str] | None:
    forges = data.get("forges", {})
    if full in forges.get("github", {}).get("repos", {}):
        from wizard.sandbox.github.store import push_refusal as github_refusal

        return github_refusal(data, token, full, branch, changed)
    if full in forges.get("gitlab", {}).get("projects", {}):
        from wizard.sandbox.gitlab.store import push_refusal as gitlab_refusal

        return gitlab_refusal(data, token, full, branch, changed)
    return None


def http_refusal(
    data: dict[str, Any], full: str, authorization: str | None
) -> tuple[int, list[tuple[str, str]], str] | None:
    """(status, headers, text) when the HTTP stage of a push is refused, else None."""
    token = basic_token(authorization)
    if token is None and data.get("faults", {}).get("git_auth"):
        realm = "GitHub" if full in data.get("forges", {}).get("github", {}).get("repos", {}) else "GitLab"
        return 401, [("WWW-Authenticate", f'Basic realm="{realm}"')], "Authentication required\n"
    refused = _refusal(data, token, full, None, [])
    if refused is None:
        return None
    status, message = refused
    return status or 403, [], message + "\n"


def install_hooks(repos_dir: Path) -> Path:
    """Write the pre-receive hook into the forge's hooks folder (this interpreter runs it)."""
    hooks = Path(repos_dir) / HOOKS_DIR
    hooks.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parents[2]
    script = (
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "from wizard.sandbox.push_rules import main\n"
        "sys.exit(main())\n"
    )
    hook = hooks / "pre-receive"
    if not hook.exists() or hook.read_text("utf-8") != script:
        temp = hooks / ".pre-receive.tmp"
        temp.write_text(script, "utf-8")
        temp.chmod(0o755)
        os.replace(temp, hook)
    return hooks


def hook_env(repos_dir: Path, world_root: Path, full: str, token: str | None) -> dict[str, str]:
    """What `git http-backend` needs so that receive-pack runs the hook with the pusher's token."""
    env = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "core.hooksPath",
        "GIT_CONFIG_VALUE_0": str(Path(repos_dir).resolve() / HOOKS_DIR),
        ENV_WORLD: str(world_root),
        ENV_REPO: full,
    }
    if token:
        env[ENV_TOKEN] = token
    return env


def _changed(old: str, new: str) -> list[str]:
    if old and old != ZERO:
        args = ["diff", "--name-only", "-z", old, new, "--"]
    else:
        args = ["diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "-z", new]
    out = subprocess.run(["git", *args], capture_output=True, check=False).stdout
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def main() -> int:
    """The pre-receive hook: refuse the whole push if one branch update is refused (as GitHub does)."""
    from wizard.sandbox.world import World

    world = World(Path(os.environ[ENV_WORLD]))
    data = world.read()
    full, token = os.environ[ENV_REPO], os.environ.get(ENV_TOKEN) or None
    for line in sys.stdin.read().splitlines():
        old, new, ref = (line.split() + ["", "", ""])[:3]
        if not ref.startswith("refs/heads/") or new == ZERO:
            continue
        refused = _refusal(data, token, full, ref.removeprefix("refs/heads/"), _changed(old, new))
        if refused is not None:
            for text in refused[1].splitlines():
                print(f"error: {text}", file=sys.stderr)
            return 1
    return 0
