"""GitHub's JSON shapes, built from world records and always from the request's own host.

`base` is the scheme and host the client used ("https://127.0.0.1:PORT"): the REST API lives
under `base + /api/v3` and web pages and git under `base`, as on GitHub Enterprise Server.
PyGithub follows the `url` fields it is given, so they must point back to this server.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

from wizard.sandbox.github import gitrepo
from wizard.sandbox.github.store import API_PREFIX, shown


def node_id(kind: str, number: int | str) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode().rstrip("=")


def workflow_id(repo: dict[str, Any], path: str) -> int:
    """A stable id for a workflow file of a repository."""
    return int(hashlib.sha1(f"{repo['id']}:{path}".encode()).hexdigest()[:8], 16)


def simple_user(base: str, login: str, user: dict[str, Any]) -> dict[str, Any]:
    api = f"{base}{API_PREFIX}/users/{login}"
    return {
        "login": login,
        "id": user["id"],
        "node_id": node_id("User", user["id"]),
        "avatar_url": f"{base}/avatars/u/{user['id']}?",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{base}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "User",
        "user_view_type": "public",
        "site_admin": False,
    }


def private_user(base: str, login: str, user: dict[str, Any], repos: list[dict[str, Any]]) -> dict[str, Any]:
    public = sum(1 for r in repos if not r.get("private"))
    return {
        **simple_user(base, login, user),
        "user_view_type": "private",
        "name": user.get("name"),
        "company": None,
        "blog": "",
        "location": None,
        "email": user.get("email"),
        "notification_email": user.get("email"),
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": public,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": shown(user.get("created_at")) or "2024-01-01T00:00:00Z",
        "updated_at": shown(user.get("created_at")) or "2024-01-01T00:00:00Z",
        "private_gists": 0,
        "total_private_repos": len(repos) - public,
        "owned_private_repos": len(repos) - public,
        "disk_usage": 0,
        "collaborators": 0,
        "two_factor_authentication": False,
        "plan": {"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 10000},
    }


def minimal_repo(base: str, full: str, repo: dict[str, Any], owner: dict[str, Any]) -> dict[str, Any]:
    api = f"{base}{API_PREFIX}/repos/{full}"
    login, name = full.split("/", 1)
    return {
        "id": repo["id"],
        "node_id": node_id("Repository", repo["id"]),
        "name": name,
        "full_name": full,
        "private": bool(repo.get("private")),
        "owner": simple_user(base, login, owner),
        "html_url": f"{base}/{full}",
        "description": repo.get("description"),
        "fork": False,
        "url": api,
        "archive_url": f"{api}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{api}/assignees{{/user}}",
        "blobs_url": f"{api}/git/blobs{{/sha}}",
        "branches_url": f"{api}/branches{{/branch}}",
        "collaborators_url": f"{api}/collaborators{{/collaborator}}",
        "comments_url": f"{api}/comments{{/number}}",
        "commits_url": f"{api}/commits{{/sha}}",
        "compare_url": f"{api}/compare/{{base}}...{{head}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "contributors_url": f"{api}/contributors",
        "deployments_url": f"{api}/deployments",
        "downloads_url": f"{api}/downloads",
        "events_url": f"{api}/events",
        "forks_url": f"{api}/forks",
        "git_commits_url": f"{api}/git/commits{{/sha}}",
        "git_refs_url": f"{api}/git/refs{{/sha}}",
        "git_tags_url": f"{api}/git/tags{{/sha}}",
        "hooks_url": f"{api}/hooks",
        "issue_comment_url": f"{api}/issues/comments{{/number}}",
        "issue_events_url": f"{api}/issues/events{{/number}}",
        "issues_url": f"{api}/issues{{/number}}",
        "keys_url": f"{api}/keys{{/key_id}}",
        "labels_url": f"{api}/labels{{/name}}",
        "languages_url": f"{api}/languages",
        "merges_url": f"{api}/merges",
        "milestones_url": f"{api}/milestones{{/number}}",
        "notifications_url": f"{api}/notifications{{?since,all,participating}}",
        "pulls_url": f"{api}/pulls{{/number}}",
        "releases_url": f"{api}/releases{{/id}}",
        "stargazers_url": f"{api}/stargazers",
        "statuses_url": f"{api}/statuses/{{sha}}",
        "subscribers_url": f"{api}/subscribers",
        "subscription_url": f"{api}/subscription",
        "tags_url": f"{api}/tags",
        "teams_url": f"{api}/teams",
        "trees_url": f"{api}/git/trees{{/sha}}",
    }


def full_repo(
    base: str, full: str, repo: dict[str, Any], owner: dict[str, Any], permissions: dict[str, bool] | None
) -> dict[str, Any]:
    host = base.split("://", 1)[-1].split(":")[0]
    created = shown(repo.get("created_at"))
    record = {
        **minimal_repo(base, full, repo, owner),
        "clone_url": f"{base}/{full}.git",
        "git_url": f"git://{host}/{full}.git",
        "ssh_url": f"git@{host}:{full}.git",
        "svn_url": f"{base}/{full}",
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "forks": 0,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers": 0,
        "watchers_count": 0,
        "size": 0,
        "default_branch": repo.get("default_branch", "main"),
        "open_issues": 0,
        "open_issues_count": 0,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "private" if repo.get("private") else "public",
        "pushed_at": shown(repo.get("pushed_at")) or created,
        "created_at": created,
        "updated_at": created,
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "license": None,
        "network_count": 0,
        "subscribers_count": 0,
        "temp_clone_token": None,
    }
    if permissions is not None:
        record["permissions"] = permissions
    return record


def workflow(
    base: str,
    full: str,
    repo: dict[str, Any],
    path: str,
    name: str,
    created: str | None,
    updated: str | None,
    state: str = "active",
) -> dict[str, Any]:
    number = workflow_id(repo, path)
    branch = repo.get("default_branch", "main")
    return {
        "id": number,
        "node_id": node_id("Workflow", number),
        "name": name,
        "path": path,
        "state": state,
        "created_at": shown(created),
        "updated_at": shown(updated),
        "url": f"{base}{API_PREFIX}/repos/{full}/actions/workflows/{number}",
        "html_url": f"{base}/{full}/blob/{branch}/{path}",
        "badge_url": f"{base}/{full}/workflows/{quote(name)}/badge.svg",
    }


def run(
    base: str,
    full: str,
    repo: dict[str, Any],
    item: dict[str, Any],
    owner: dict[str, Any],
    actor: tuple[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    api = f"{base}{API_PREFIX}/repos/{full}"
    url = f"{api}/actions/runs/{item['id']}"
    suite = item["id"] * 3 + 1
    minimal = minimal_repo(base, full, repo, owner)
    record = {
        "id": item["id"],
        "name": item["name"],
        "node_id": node_id("WorkflowRun", item["id"]),
        "head_branch": item["branch"],
        "head_sha": item["sha"],
        "path": item["workflow_path"],
        "display_title": item.get("display_title") or item["name"],
        "run_number": item["run_number"],
        "event": item["event"],
        "status": item["status"],
        "conclusion": item["conclusion"],
        "workflow_id": workflow_id(repo, item["workflow_path"]),
        "check_suite_id": suite,
        "check_suite_node_id": node_id("CheckSuite", suite),
        "url": url,
        "html_url": f"{base}/{full}/actions/runs/{item['id']}",
        "pull_requests": [],
        "created_at": shown(item["created_at"]),
        "updated_at": shown(item.get("updated_at") or item["created_at"]),
        "run_attempt": item.get("run_attempt", 1),
        "referenced_workflows": [],
        "run_started_at": shown(item.get("run_started_at")),
        "jobs_url": f"{url}/jobs",
        "logs_url": f"{url}/logs",
        "check_suite_url": f"{api}/check-suites/{suite}",
        "artifacts_url": f"{url}/artifacts",
        "cancel_url": f"{url}/cancel",
        "rerun_url": f"{url}/rerun",
        "previous_attempt_url": None,
        "workflow_url": f"{api}/actions/workflows/{workflow_id(repo, item['workflow_path'])}",
        "head_commit": {**item["head_commit"], "timestamp": shown(item["head_commit"]["timestamp"])},
        "repository": minimal,
        "head_repository": minimal,
        "head_repository_id": repo["id"],
    }
    if actor is not None:
        record["actor"] = record["triggering_actor"] = simple_user(base, *actor)
    return record


# -- contents and commits ---------------------------------------------------------------------
def content_entry(base: str, full: str, ref: str, item: gitrepo.Entry) -> dict[str, Any]:
    api = f"{base}{API_PREFIX}/repos/{full}"
    quoted = quote(item.path)
    self_url = f"{api}/contents/{quoted}?ref={quote(ref, safe='')}"
    kind = item.kind
    html: str | None = f"{base}/{full}/{'tree' if kind == 'dir' else 'blob'}/{quote(ref, safe='')}/{quoted}"
    git_url: str | None = f"{api}/git/{'trees' if kind == 'dir' else 'blobs'}/{item.sha}"
    if kind == "submodule":
        html = git_url = None
    return {
        "type": kind,
        "name": item.path.rsplit("/", 1)[-1],
        "path": item.path,
        "sha": item.sha,
        "size": item.size,
        "url": self_url,
        "git_url": git_url,
        "html_url": html,
        "download_url": f"{base}/{full}/raw/{quote(ref, safe='')}/{quoted}" if kind == "file" else None,
        "_links": {"self": self_url, "git": git_url, "html": html},
    }


def content_file(base: str, full: str, ref: str, item: gitrepo.Entry, data: bytes) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode("ascii")
    wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + ("\n" if encoded else "")
    return {**content_entry(base, full, ref, item), "content": wrapped, "encoding": "base64"}


def _git_user(person: gitrepo.Person) -> dict[str, str]:
    return {"name": person.name, "email": person.email, "date": shown(person.date) or person.date}


_UNSIGNED = {"verified": False, "reason": "unsigned", "signature": None, "payload": None, "verified_at": None}


def git_commit(base: str, full: str, info: gitrepo.CommitInfo) -> dict[str, Any]:
    """The `commit` part of a file commit (contents PUT/DELETE)."""
    api = f"{base}{API_PREFIX}/repos/{full}"
    return {
        "sha": info.sha,
        "node_id": node_id("Commit", info.sha[:12]),
        "url": f"{api}/git/commits/{info.sha}",
        "html_url": f"{base}/{full}/commit/{info.sha}",
        "author": _git_user(info.author),
        "committer": _git_user(info.committer),
        "message": info.message,
        "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
        "parents": [
            {"sha": p, "url": f"{api}/git/commits/{p}", "html_url": f"{base}/{full}/commit/{p}"} for p in info.parents
        ],
        "verification": dict(_UNSIGNED),
    }


def commit(
    base: str, full: str, info: gitrepo.CommitInfo, changes: list[gitrepo.FileChange], users: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """GET /repos/{owner}/{repo}/commits/{ref}."""
    api = f"{base}{API_PREFIX}/repos/{full}"

    def account(person: gitrepo.Person) -> dict[str, Any] | None:
        for login, user in users.items():
            if user.get("email") == person.email:
                return simple_user(base, login, user)
        return None

    files = []
    for change in changes:
        path = quote(change.filename)
        entry = {
            "sha": change.sha,
            "filename": change.filename,
            "status": change.status,
            "additions": change.additions,
            "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": f"{base}/{full}/blob/{info.sha}/{path}",
            "raw_url": f"{base}/{full}/raw/{info.sha}/{path}",
            "contents_url": f"{api}/contents/{path}?ref={info.sha}",
        }
        if change.previous_filename:
            entry["previous_filename"] = change.previous_filename
        files.append(entry)
    additions = sum(c.additions for c in changes)
    deletions = sum(c.deletions for c in changes)
    return {
        "sha": info.sha,
        "node_id": node_id("Commit", info.sha[:12]),
        "url": f"{api}/commits/{info.sha}",
        "html_url": f"{base}/{full}/commit/{info.sha}",
        "comments_url": f"{api}/commits/{info.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{info.sha}",
            "author": _git_user(info.author),
            "committer": _git_user(info.committer),
            "message": info.message,
            "comment_count": 0,
            "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
            "verification": dict(_UNSIGNED),
        },
        "author": account(info.author),
        "committer": account(info.committer),
        "parents": [
            {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{base}/{full}/commit/{p}"} for p in info.parents
        ],
        "stats": {"total": additions + deletions, "additions": additions, "deletions": deletions},
        "files": files,
    }
