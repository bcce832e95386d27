"""Which forge and repository `origin` points at — pure parsing, no network.

Handles the URL shapes learners have: https (with or without credentials and `.git`),
scp-like ssh (`git@github.com:owner/repo.git`), `ssh://` with a port, GitLab subgroups, and
self-hosted hosts named with --github-url / --gitlab-url (GitHub Enterprise, self-managed
GitLab) or the sandbox's forge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_SCP = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


@dataclass(frozen=True)
class ForgeRef:
    kind: str  # "github", "gitlab" or "unknown"
    host: str  # host[:port] as in the URL
    path: str  # "owner/repo" or "group/subgroup/repo", without .git
    scheme: str  # "https", "http" or "ssh"

    @property
    def owner(self) -> str:
        return self.path.rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[1]

    @property
    def web_url(self) -> str:
        scheme = "http" if self.scheme == "http" else "https"
        return f"{scheme}://{self.host}/{self.path}"

    @property
    def label(self) -> str:
        return {"github": "GitHub", "gitlab": "GitLab"}.get(self.kind, "an unknown forge")

    def describe(self) -> str:
        return f"{self.path} on {self.label} ({self.host})"


def _host_of(url: str | None) -> str | None:
    if not url:
        return None
    return urlsplit(url if "://" in url else f"https://{url}").netloc.lower() or None


def _names(host: str, url: str | None) -> bool:
    """Whether `url` (an option such as --github-url) is on `host`, with or without the port."""
    named = _host_of(url)
    return named is not None and (host == named or host.split(":")[0] == named.split(":")[0])


def parse_origin(url: str, github_url: str | None = None, gitlab_url: str | None = None) -> ForgeRef | None:
    """The forge behind a git remote URL, or None when it is not a URL we understand."""
    url = url.strip()
    if not url:
        return None
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https", "ssh", "git+ssh"} or not parts.hostname:
            return None
        host = parts.hostname.lower() + (f":{parts.port}" if parts.port and parts.scheme in {"http", "https"} else "")
        path = parts.path
        scheme = "ssh" if "ssh" in parts.scheme else parts.scheme
    else:
        match = _SCP.match(url)
        if not match or "/" in match.group("host"):
            return None
        host, path, scheme = match.group("host").lower(), match.group("path"), "ssh"
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    if path.count("/") < 1 or any(not part for part in path.split("/")):
        return None
    bare_host = host.split(":")[0]
    kind = "unknown"
    if bare_host == "github.com" or _names(host, github_url):
        kind = "github"
    elif (
        bare_host == "gitlab.com"
        or _names(host, gitlab_url)
        or bare_host.startswith("gitlab.")
        or ".gitlab." in bare_host
    ):
        kind = "gitlab"
    if kind == "github" and path.count("/") != 1:
        return None  # GitHub repositories are always owner/name
    return ForgeRef(kind, host, path, scheme)
