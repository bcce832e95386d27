"""GitHub through PyGithub: token checks, Actions secrets, workflow runs.

github.com's API is at api.github.com; GitHub Enterprise (and the sandbox) serve it at
`https://HOST/api/v3`. PyGithub is imported lazily: it is not needed to paint the TUI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wizard.engine.errors import WizardError
from wizard.forges.base import RunInfo, SecretInfo, TokenCheck
from wizard.forges.limits import MAX_RATE_LIMIT_WAIT, explain_rate_limit
from wizard.forges.tokens import create_token_help

# Fine-grained permissions as GitHub names them in X-Accepted-GitHub-Permissions, and as its
# token settings page shows them.
PERMISSION_NAMES = {
    "secrets": "Secrets",
    "contents": "Contents",
    "workflows": "Workflows",
    "actions": "Actions",
    "metadata": "Metadata",
}
LEVEL_NAMES = {"read": "Read-only", "write": "Read and write", "admin": "Admin"}


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
        self.notify: Callable[[str], None] | None = None  # told when the client waits for a rate limit
        self.reads: Any = None  # the run's kept reads (wizard.engine.reads), set by open_forge

    # -- plumbing ------------------------------------------------------------------------------
    def _github(self) -> Any:
        if self._client is None:
            from github import Auth, Github

            extra: dict[str, Any] = {"seconds_between_requests": 0, "seconds_between_writes": 0} if self._fast else {}
            self._client = Github(
                base_url=self.api_url, auth=Auth.Token(self._token), retry=_retry(self._tell), timeout=30, **extra
            )
        return self._client

    def _tell(self, message: str) -> None:
        if self.notify is not None:
            self.notify(message)

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
            import requests

            if isinstance(exc, requests.exceptions.RetryError):  # still limited after PyGithub's retries
                raise WizardError(
                    what=f"GitHub kept limiting the rate of requests while {doing}.",
                    why="It answered 'too many requests' again after the wizard waited as GitHub asked.",
                    fix="Wait a few minutes and run the wizard again; nothing was lost.",
                    retryable=True,
                ) from None
            raise WizardError(
                what=f"GitHub could not be reached while {doing}.",
                why=str(exc),
                fix="Check your network connection and retry.",
                retryable=True,
            ) from None

    # -- the protocol --------------------------------------------------------------------------
    def check_token(self) -> TokenCheck:
        """What the token may do, learnt without changing anything.

        Classic tokens list their scopes (X-OAuth-Scopes): `repo` for the secret and the push,
        `workflow` to push workflow files. Fine-grained tokens list nothing, so each permission
        is asked with a request that cannot change anything (deleting a secret and a file that do
        not exist): GitHub refuses it with 403 and X-Accepted-GitHub-Permissions when the token
        lacks the permission, and answers 404 when it has it.
        """
        from wizard.engine.reads import kept

        return kept(self, ("github", self.api_url, "token"), self._check_token)

    def _check_token(self) -> TokenCheck:
        gh = self._github()
        user = self._call(lambda: gh.get_user(), "checking the token")
        login = self._call(lambda: user.login, "checking the token")
        scopes = gh.oauth_scopes  # None for fine-grained tokens
        repo = self._repository()
        permissions = repo.permissions
        problems: list[str] = []
        can_push = bool(permissions and (permissions.push or permissions.admin))
        if not can_push and scopes is None and (self._fine_grained_missing() or not self._listed()):
            problems.append(
                f"The fine-grained token cannot push to {self.repo_path}: select this repository in the "
                "token, with Contents, Secrets and Workflows set to Read and write."
            )
            return TokenCheck(login, None, False, False, False, problems)
        if not can_push:
            problems.append(
                f"{login} cannot push to {self.repo_path}: write access is needed (its owner can add "
                f"{login} as a collaborator with the Write role or more)."
            )
        if scopes is not None:
            if "repo" not in scopes:
                problems.append(
                    "The token lacks the `repo` scope, which GitHub requires to store an Actions secret "
                    "and push" + (" (`public_repo` is not enough for secrets)." if "public_repo" in scopes else ".")
                )
            if "workflow" not in scopes:
                problems.append(
                    "The token lacks the `workflow` scope: GitHub refuses pushes that add or change "
                    "files in .github/workflows/ without it."
                )
            can_write_workflows = "workflow" in scopes and "repo" in scopes
            can_manage_secrets = "repo" in scopes and can_push
        else:
            missing = self._fine_grained_missing()
            for permission in missing:
                problems.append(f'The fine-grained token lacks "{permission}" on {self.repo_path}.')
            can_manage_secrets = not any(m.startswith("Secrets") for m in missing) and can_push
            can_write_workflows = not any(m.startswith(("Workflows", "Contents")) for m in missing) and can_push
            can_push = can_push and not any(m.startswith("Contents") for m in missing)
        return TokenCheck(
            login,
            list(scopes) if scopes is not None else None,
            can_push,
            can_write_workflows,
            can_manage_secrets,
            problems,
        )

    def with_token(self, token: str) -> GitHubForge:
        """The same repository seen with another token (git's own credential, say)."""
        return GitHubForge(self.api_url, token, self.repo_path, self.web_url, fast=self._fast)

    def push_problems(self, branch: str) -> list[str]:
        """What stops this token from pushing the chapter's commit (workflow files included).

        GitHub does not say in advance whether a protected branch will take a push from a
        non-administrator: that one is explained when the push is refused.
        """
        check = self.check_token()
        problems = []
        if not check.can_push:
            problems.append(
                f"{check.login} cannot push to {self.repo_path} with it (write access and, for a classic "
                "token, the `repo` scope are needed)"
            )
        elif not check.can_write_workflows:
            problems.append(
                "it lacks the `workflow` scope" if check.scopes is not None else 'it lacks "Workflows: Read and write"'
            )
            problems[-1] += ", so GitHub would refuse the push of .github/workflows/ files"
        return problems

    def _fine_grained_missing(self) -> list[str]:
        """The permissions a fine-grained token lacks here, as GitHub's settings page names them."""
        import secrets as random

        probe = random.token_hex(6).upper()
        base = f"/repos/{self.repo_path}"
        nothing = {"message": "never committed: the file does not exist", "sha": "0" * 40}
        # (request, the permission a 403 to it proves missing); the workflows check means
        # something only once contents is known to be granted.
        checks = [
            ("DELETE", f"{base}/actions/secrets/MLOPS_WIZARD_CHECK_{probe}", None, "secrets"),
            ("DELETE", f"{base}/contents/mlops-wizard-check-{probe.lower()}.txt", nothing, "contents"),
            (
                "DELETE",
                f"{base}/contents/.github/workflows/mlops-wizard-check-{probe.lower()}.yml",
                nothing,
                "workflows",
            ),
        ]
        missing: list[str] = []
        for verb, url, body, permission in checks:
            if permission == "workflows" and any(m.startswith("Contents") for m in missing):
                continue
            status, _headers = self._probe(verb, url, body)
            if status in (401, 403):
                missing += permission_names(f"{permission}=write")
        return missing

    def _listed(self) -> bool:
        """Whether a fine-grained token reaches the repository beyond public reads (it lists secrets)."""
        status, _ = self._probe("GET", f"/repos/{self.repo_path}/actions/secrets/public-key", None)
        return status == 200

    def _probe(self, verb: str, url: str, body: Any) -> tuple[int, dict[str, str]]:
        """(status, headers) of a request that changes nothing; a refusal is an answer, not an error."""
        from github import GithubException

        try:
            status, headers, _ = self._call(
                lambda: self._github().requester.requestJson(verb, url, input=body),
                "checking what the fine-grained token may do",
            )
        except WizardError as error:
            cause = error.__context__
            if (
                isinstance(cause, GithubException)
                and cause.status in (401, 403)
                and explain_rate_limit("GitHub", cause.status, str(cause.data), _headers_of(cause), "") is None
            ):
                return cause.status, _headers_of(cause)
            raise
        return status, {str(k).lower(): str(v) for k, v in (headers or {}).items()}

    def get_secret(self, name: str) -> SecretInfo | None:
        from wizard.engine.reads import kept

        return kept(self, ("github", self.api_url, self.repo_path, "secret", name), lambda: self._get_secret(name))

    def _get_secret(self, name: str) -> SecretInfo | None:
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
        from wizard.engine.reads import forget

        repo = self._repository()
        forget(self)
        try:
            self._call(lambda: repo.create_secret(name, value), f"storing the secret {name}")
        finally:
            forget(self)

    def delete_secret(self, name: str) -> None:
        from wizard.engine.reads import forget

        if self.get_secret(name) is None:
            return  # already gone: deleting is idempotent
        repo = self._repository()
        forget(self)
        try:
            self._call(lambda: repo.delete_secret(name), f"deleting the secret {name}")
        finally:
            forget(self)

    def runs_for(self, sha: str) -> list[RunInfo]:
        repo = self._repository()
        runs = self._call(lambda: list(repo.get_workflow_runs(head_sha=sha)), "listing the workflow runs")
        out = [
            RunInfo(
                str(r.id),
                r.head_sha,
                r.status,
                r.conclusion,
                r.html_url,
                r.name or "",
                # The attribute, not raw_data: PyGithub fetches each listed run again for raw_data (one
                # more request per run on every poll of a watched run); the list already carries its path.
                str(r.path or ""),
                r.run_started_at or r.created_at,
            )
            for r in runs
        ]
        return sorted(out, key=lambda r: int(r.run_id), reverse=True)

    def run_log_hint(self, run: RunInfo) -> str:
        return ""

    def rerun(self, run: RunInfo) -> None:
        repo = self._repository()
        self._call(lambda: repo.get_workflow_run(int(run.run_id)).rerun(), f"re-running run {run.run_id}")

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
    limited = explain_rate_limit("GitHub", status, message or "", _headers_of(exc), doing)
    if limited is not None:
        return limited
    if status == 403:
        accepted = _headers_of(exc).get("x-accepted-github-permissions")
        if accepted:
            names = " and ".join(f'"{n}"' for n in permission_names(accepted))
            return WizardError(
                what=f"GitHub refused while {doing}: the fine-grained token lacks {names} on {forge.repo_path}.",
                why=(message or "Forbidden.") + f" GitHub says this needs: {accepted}.",
                fix=f"Edit the token at {_settings_url(forge)}/personal-access-tokens (Repository permissions: "
                f"{names}), or create one with Contents, Secrets and Workflows set to Read and write.",
            )
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
    return WizardError(
        what=f"GitHub answered {status} while {doing}.",
        why=message or str(exc),
        fix="Check the repository settings and retry.",
        retryable=True,
    )


def create_token_help_for(forge: GitHubForge) -> str:
    from wizard.forges.detect import ForgeRef

    host = forge.web_url.split("://", 1)[-1].split("/", 1)[0]
    return create_token_help(ForgeRef("github", host, forge.repo_path, "https"))


def _retry(tell: Callable[[str], None]) -> Any:
    """PyGithub's own retry, kept for what it is good at: rate limits.

    Secondary limits are retried after GitHub's Retry-After; a primary limit is waited for when
    it resets within MAX_RATE_LIMIT_WAIT seconds, else PyGithub raises at once and the wizard
    says when the limit resets. Server errors are not retried here: the learner sees them, with
    Retry. Each wait is told (`tell`), so a pause has its reason on screen.
    """
    from github import GithubRetry

    class TellingRetry(GithubRetry):
        tell: Callable[[str], None]

        def new(self, **kw: Any) -> Any:
            retry = super().new(**kw)
            retry.tell = getattr(self, "tell", tell)
            return retry

        def increment(self, *args: Any, **kwargs: Any) -> Any:
            retry = super().increment(*args, **kwargs)
            response = kwargs.get("response") if "response" in kwargs else (args[2] if len(args) > 2 else None)
            if response is not None and response.status in (403, 429):
                wait = max(retry.get_backoff_time(), float(response.headers.get("Retry-After") or 0))
                getattr(self, "tell", tell)(f"GitHub limited the rate of requests: waiting {wait:.0f} s, as it asks")
            return retry

    retry = TellingRetry(
        total=4,
        status_forcelist=[429],
        secondary_rate_wait=5,
        max_rate_limit_wait=MAX_RATE_LIMIT_WAIT,
        backoff_factor=0.5,
    )
    retry.tell = tell
    return retry


def _headers_of(exc: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (getattr(exc, "headers", None) or {}).items()}


def permission_names(accepted: str) -> list[str]:
    """'contents=write,workflows=write' -> ['Contents: Read and write', 'Workflows: Read and write'].

    Alternatives (sets separated by ';') are rare for these endpoints: the first set is named.
    """
    first = accepted.split(";")[0]
    names = []
    for part in first.split(","):
        name, _, level = part.strip().partition("=")
        if name:
            names.append(f"{PERMISSION_NAMES.get(name, name.title())}: {LEVEL_NAMES.get(level, level or 'Read-only')}")
    return names


def _settings_url(forge: GitHubForge) -> str:
    scheme, _, rest = forge.web_url.partition("://")
    return f"{scheme or 'https'}://{rest.split('/', 1)[0]}/settings"
