"""GitHub through PyGithub: token checks, Actions secrets, workflow runs.

github.com's API is at api.github.com; GitHub Enterprise (and the sandbox) serve it at
`https://HOST/api/v3`. PyGithub is imported lazily: it is not needed to paint the TUI.
"""

from __future__ import annotations

from typing import Any

from wizard.engine.errors import WizardError
from wizard.forges.base import RunInfo, SecretInfo, TokenCheck
from wizard.forges.tokens import create_token_help


def api_url_for(host: str, scheme: str = "https") -> str:
    if host == "github.com":
        return "https://api.github.com"
    return f"{'http' if scheme == 'http' else 'https'}://{host}/api/v3"


class GitHubForge:
    kind = "github"

    def __init__(self, api_url: str, token: str, repo_path: str, web_url: str, fast: bool = False) -> None:
        self.api_url = api_url
        self.repo_path = repo_path
        self.web_url = web_url
        self._token = token
        self._fast = fast  # the sandbox: no pause between requests
        self._client: Any = None
        self._repo: Any = None

    # -- plumbing ------------------------------------------------------------------------------
    def _github(self) -> Any:
        if self._client is None:
            from github import Auth, Github

            extra: dict[str, Any] = {"seconds_between_requests": 0, "seconds_between_writes": 0} if self._fast else {}
            self._client = Github(base_url=self.api_url, auth=Auth.Token(self._token), retry=None, timeout=30, **extra)
        return self._client

    def _repository(self) -> Any:
        if self._repo is None:
            self._repo = self._call(lambda: self._github().get_repo(self.repo_path), "opening the repository")
        return self._repo

    def _call(self, fn: Any, doing: str) -> Any:
        from github import GithubException, UnknownObjectException

        try:
            return fn()
        except UnknownObjectException:
            raise WizardError(
                what=f"GitHub says the repository {self.repo_path} does not exist (while {doing}).",
                why="Either the name in `origin` is wrong, or the token cannot see it (GitHub answers "
                "'Not Found' for private repositories a token may not read).",
                fix="Check `git remote get-url origin`, and that the token belongs to an account with access to "
                "the repository (for a fine-grained token: that this repository is selected).",
            ) from None
        except GithubException as exc:
            raise _explain(exc, doing, self) from None
        except OSError as exc:
            raise WizardError(
                what=f"GitHub could not be reached while {doing}.",
                why=str(exc),
                fix="Check your network connection and retry.",
                retryable=True,
            ) from None

    # -- the protocol --------------------------------------------------------------------------
    def check_token(self) -> TokenCheck:
        gh = self._github()
        user = self._call(lambda: gh.get_user(), "checking the token")
        login = self._call(lambda: user.login, "checking the token")
        scopes = gh.oauth_scopes  # None for fine-grained tokens
        repo = self._repository()
        permissions = repo.permissions
        problems: list[str] = []
        can_push = bool(permissions and (permissions.push or permissions.admin))
        if not can_push:
            problems.append(f"{login} cannot push to {self.repo_path} (write access is needed).")
        if scopes is not None:
            if "repo" not in scopes and not ("public_repo" in scopes and not repo.private):
                problems.append("The token lacks the `repo` scope, needed to store the Actions secret.")
            if "workflow" not in scopes:
                problems.append("The token lacks the `workflow` scope: GitHub refuses pushes that add or change "
                                "files in .github/workflows/ without it.")
            can_write_workflows = "workflow" in scopes
            can_manage_secrets = "repo" in scopes or ("public_repo" in scopes and not repo.private)
        else:
            # Fine-grained tokens do not list their permissions: ask for the Actions public key,
            # which needs the Secrets permission.
            from github import GithubException

            try:
                repo.get_public_key()
                can_manage_secrets = True
            except GithubException:
                can_manage_secrets = False
                problems.append("The fine-grained token cannot read this repository's Actions secrets "
                                "(give it Secrets: read and write).")
            can_write_workflows = can_push
        return TokenCheck(login, list(scopes) if scopes is not None else None, can_push, can_write_workflows,
                          can_manage_secrets, problems)

    def get_secret(self, name: str) -> SecretInfo | None:
        from github import GithubException, UnknownObjectException

        repo = self._repository()
        try:
            secret = repo.get_secret(name)
            updated = secret.updated_at  # the lazy object is fetched here
        except UnknownObjectException:
            return None  # the repository exists (opened above): the secret does not
        except GithubException as exc:
            raise _explain(exc, f"reading the secret {name}", self) from None
        return SecretInfo(name=name, updated_at=updated.isoformat() if updated else None)

    def put_secret(self, name: str, value: str) -> None:
        repo = self._repository()
        self._call(lambda: repo.create_secret(name, value), f"storing the secret {name}")

    def delete_secret(self, name: str) -> None:
        if self.get_secret(name) is None:
            return  # already gone: deleting is idempotent
        repo = self._repository()
        self._call(lambda: repo.delete_secret(name), f"deleting the secret {name}")

    def runs_for(self, sha: str) -> list[RunInfo]:
        repo = self._repository()
        runs = self._call(lambda: list(repo.get_workflow_runs(head_sha=sha)), "listing the workflow runs")
        out = [RunInfo(str(r.id), r.head_sha, r.status, r.conclusion, r.html_url, r.name or "") for r in runs]
        return sorted(out, key=lambda r: int(r.run_id), reverse=True)

    def run_log_hint(self, run: RunInfo) -> str:
        return ""

    def actions_url(self) -> str:
        return f"{self.web_url}/actions"


def _explain(exc: Any, doing: str, forge: GitHubForge) -> WizardError:
    status = getattr(exc, "status", None)
    data = getattr(exc, "data", None) or {}
    message = data.get("message") if isinstance(data, dict) else str(data)
    if status == 401:
        return WizardError(
            what=f"GitHub did not accept the token while {doing}.",
            why=message or "Bad credentials: the token is wrong, expired or revoked.",
            fix=create_token_help_for(forge),
        )
    if status == 403:
        return WizardError(
            what=f"GitHub refused while {doing}: the token may not do this.",
            why=message or "Forbidden.",
            fix=create_token_help_for(forge),
        )
    if status in (500, 502, 503, 504) or status is None:
        return WizardError(
            what=f"GitHub is not answering properly while {doing}.",
            why=message or str(exc),
            fix="Wait a moment and retry; nothing was lost.",
            retryable=True,
        )
    return WizardError(what=f"GitHub answered {status} while {doing}.", why=message or str(exc),
                       fix="Check the repository settings and retry.", retryable=True)


def create_token_help_for(forge: GitHubForge) -> str:
    from wizard.forges.detect import ForgeRef

    host = forge.web_url.split("://", 1)[-1].split("/", 1)[0]
    return create_token_help(ForgeRef("github", host, forge.repo_path, "https"))
