"""GitLab through python-gitlab: token checks, CI/CD variables, pipelines.

`url` is the GitLab instance ("https://gitlab.com", a self-managed GitLab, or the sandbox's
"https://127.0.0.1:PORT"); python-gitlab adds /api/v4. python-gitlab is imported lazily: it is
not needed to paint the TUI. Every python-gitlab or network exception leaves this module as a
`WizardError` saying what failed, why and how to fix it, with the token scrubbed out.

GitLab's roles (access levels): Guest 10, Reporter 20, Developer 30 (can push), Maintainer 40
and Owner 50 (can manage CI/CD variables). GitLab has no `workflow` scope: whoever can push
can change `.gitlab-ci.yml`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from wizard.engine.errors import WizardError
from wizard.forges.base import RunInfo, SecretInfo, TokenCheck
from wizard.forges.limits import MAX_RATE_LIMIT_WAIT, explain_rate_limit, reset_in

DEVELOPER, MAINTAINER = 30, 40
ROLES = {
    0: "No access",
    5: "Minimal access",
    10: "Guest",
    15: "Planner",
    20: "Reporter",
    30: "Developer",
    40: "Maintainer",
    50: "Owner",
    60: "Admin",
}

# The guide's settings for the key variable: Protect off, Mask on, Expand variable reference off.
GUIDE_VARIABLE = {"masked": True, "protected": False, "raw": True, "variable_type": "env_var"}

# GitLab's variables carry no update time, so the wizard writes one in the description when it
# stores a variable: for a hidden variable (whose value GitLab never returns) it is, with the key
# id recorded in the checkpoint, how the wizard knows the variable still holds what it stored.
NOTE_PREFIX = "Stored by mlops-wizard at "
_NOTE = re.compile(r"^Stored by mlops-wizard at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)$")

# GitLab pipeline status -> (GitHub-style status, conclusion once completed).
_STATUS: dict[str, tuple[str, str | None]] = {
    "created": ("queued", None),
    "waiting_for_resource": ("queued", None),
    "preparing": ("queued", None),
    "pending": ("queued", None),
    "scheduled": ("queued", None),
    "running": ("in_progress", None),
    "canceling": ("in_progress", None),
    "success": ("completed", "success"),
    "failed": ("completed", "failure"),
    "canceled": ("completed", "cancelled"),
    "skipped": ("completed", "skipped"),
    "manual": ("completed", "action_required"),  # blocked on a manual job: it will not go on by itself
}

# Lines every runner prints at the end of a failed job: they never say why.
_BOILERPLATE = re.compile(
    r"^(ERROR: Job failed\b.*|Cleaning up (project directory|file based variables).*|Uploading artifacts.*"
    r"|Saving cache.*|Creating cache .*|Not uploading cache.*|WARNING: .*cache.*|section_(start|end):.*)$"
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SECTION = re.compile(r"section_(?:start|end):\d+:[A-Za-z0-9_.-]+(?:\[[^\]]*\])?")


def role_name(level: int) -> str:
    return ROLES.get(level, f"access level {level}")


def pipeline_state(status: str) -> tuple[str, str | None]:
    """GitLab's pipeline status as (status, conclusion) in the shape `RunInfo` uses."""
    return _STATUS.get(status, ("in_progress", None))


class GitLabForge:
    kind = "gitlab"

    def __init__(self, url: str, token: str, repo_path: str, ssl_verify: bool = True) -> None:
        self.url = url.rstrip("/")
        self.repo_path = repo_path.strip("/")
        self.ssl_verify = ssl_verify
        self._token = token
        self._client: Any = None
        self._project: Any = None
        self.notify: Callable[[str], None] | None = None  # told when the client waits for a rate limit

    def __repr__(self) -> str:  # never the token
        return f"GitLabForge({self.url!r}, repo_path={self.repo_path!r})"

    # -- plumbing ------------------------------------------------------------------------------
    def _gl(self) -> Any:
        if self._client is None:
            import gitlab
            import requests

            # python-gitlab obeys 429 by sleeping whatever Retry-After says; a wait longer than a
            # learner can watch is stopped here and explained instead (see wizard.forges.limits).
            session = requests.Session()
            session.hooks["response"].append(self._on_rate_limit)
            self._client = gitlab.Gitlab(
                self.url,
                private_token=self._token,
                retry_transient_errors=False,
                timeout=30,
                ssl_verify=self.ssl_verify,
                session=session,
            )
        return self._client

    def _on_rate_limit(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        _refuse_long_rate_limit_waits(response)
        if response.status_code == 429 and self.notify is not None:
            wait = reset_in({str(k): str(v) for k, v in response.headers.items()})
            self.notify(
                "GitLab limited the rate of requests: waiting"
                + (f" {wait:.0f} s" if wait is not None else "")
                + ", as it asks"
            )
        return response

    def _call(self, fn: Callable[[], Any], doing: str) -> Any:
        try:
            return fn()
        except WizardError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is explained below
            raise self._explain(exc, doing) from None

    def _get_project(self) -> Any:
        if self._project is None:
            self._project = self._call(lambda: self._gl().projects.get(self.repo_path), "opening the project")
        return self._project

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def token_help(self) -> str:
        return (
            f"Create a personal access token with the `api` scope at {self.url}/-/user_settings/"
            "personal_access_tokens, then `export GITLAB_TOKEN=...` — or log in with `glab auth login`."
        )

    def _not_found(self, doing: str) -> WizardError:
        return WizardError(
            what=f"GitLab at {self.url} cannot find the project {self.repo_path} (while {doing}).",
            why="Either the path in `origin` is wrong, or the token's user cannot see the project: GitLab "
            "answers 404 Not Found for a private project its user is not a member of.",
            fix="Check `git remote get-url origin` (group/…/name as in the project's URL), and that the token "
            "belongs to a member of the project.",
        )

    def _explain(self, exc: BaseException, doing: str) -> WizardError:
        """`exc`, raised while `doing`, as a WizardError for the learner (never with the token)."""
        import gitlab
        import requests

        if isinstance(exc, LongRateLimit):
            return explain_rate_limit("GitLab", 429, exc.text, exc.headers, doing) or WizardError(
                what=f"GitLab limited the rate of requests while {doing}.",
                why=exc.text,
                fix="Wait and run the wizard again; nothing was lost.",
                retryable=True,
            )
        if isinstance(exc, gitlab.GitlabError) and exc.response_code is not None:
            code = exc.response_code
            text = self._scrub(_gitlab_message(exc))
            body = _body(exc)
            if code == 401 or isinstance(exc, gitlab.GitlabAuthenticationError):
                detail = body.get("error_description") if isinstance(body, dict) else None
                return WizardError(
                    what=f"GitLab at {self.url} did not accept the token while {doing}.",
                    why=(f"{detail} " if detail else "")
                    + "GitLab answers 401 Unauthorized when a token is unknown, expired or revoked.",
                    fix=self.token_help(),
                )
            if code == 403 and isinstance(body, dict) and body.get("error") == "insufficient_scope":
                wanted = " or ".join(f"`{s}`" for s in str(body.get("scope") or "api").split())
                return WizardError(
                    what=f"The token's scopes do not allow {doing} on GitLab.",
                    why=f"GitLab needs a token with the scope {wanted} for this "
                    "(the wizard needs `api` to manage CI/CD variables and read pipelines).",
                    fix=self.token_help(),
                )
            if code == 403:
                return WizardError(
                    what=f"GitLab refused {doing} on {self.repo_path}: 403 Forbidden.",
                    why=(f"{text}. " if text and "403" not in text else "")
                    + "The token's user does not have a role on the project that allows it "
                    "(CI/CD variables need Maintainer or Owner).",
                    fix=f"Ask an Owner of {self.repo_path} to make you Maintainer (Manage > Members), "
                    "or use a project of your own.",
                )
            if code == 404:
                return self._not_found(doing)
            if code == 429:  # still limited after python-gitlab's own waits
                return explain_rate_limit("GitLab", 429, text or "429 Too Many Requests.", {}, doing) or WizardError(
                    what=f"GitLab limited the rate of requests while {doing}.",
                    why=text,
                    fix="Wait a minute and retry; nothing was lost.",
                    retryable=True,
                )
            if code >= 500:
                return WizardError(
                    what=f"GitLab at {self.url} is not answering properly while {doing} ({code}).",
                    why=text or "A server error, usually temporary.",
                    fix="Wait a moment and retry; nothing was lost.",
                    retryable=True,
                )
            if code == 409:
                return WizardError(
                    what=f"GitLab reported a conflict while {doing}.",
                    why=text or "409 Conflict.",
                    fix="Retry; if it persists, look at the project's Settings > CI/CD > Variables "
                    "(a key defined for several environment scopes cannot be changed by key alone).",
                    retryable=True,
                )
            return WizardError(
                what=f"GitLab rejected {doing} ({code}).",
                why=text or "GitLab gave no reason.",
                fix="Read GitLab's reason above, fix it in the project settings, and retry.",
            )
        if isinstance(exc, gitlab.RedirectError):
            return WizardError(
                what=f"GitLab at {self.url} redirected the request while {doing}.",
                why=self._scrub(str(exc)),
                fix="Use the instance's canonical address, usually with https:// (--gitlab-url).",
            )
        if isinstance(exc, gitlab.GitlabParsingError):
            return WizardError(
                what=f"The answer from {self.url} could not be read while {doing}.",
                why="It does not look like the GitLab API (a proxy or a login page may be in the way).",
                fix="Check the instance's address (--gitlab-url) and your network, then retry.",
                retryable=True,
            )
        if isinstance(exc, (requests.RequestException, gitlab.GitlabConnectionError, OSError)):
            return WizardError(
                what=f"GitLab at {self.url} could not be reached while {doing}.",
                why=self._scrub(f"{type(exc).__name__}: {exc}")[:400],
                fix="Check your network connection (for the sandbox: is it running?) and retry.",
                retryable=True,
            )
        return WizardError(
            what=f"Failed while {doing} on GitLab: {type(exc).__name__}.",
            why=self._scrub(str(exc))[:400] or "This was not expected.",
            fix="Retry; if it fails again, report it with the activity log.",
            retryable=True,
        )

    # -- the protocol --------------------------------------------------------------------------
    def check_token(self) -> TokenCheck:
        import gitlab

        gl = self._gl()
        scopes: list[str] | None = None
        token_user: Any = None
        try:
            me = gl.personal_access_tokens.get("self")
            scopes = [str(s) for s in (getattr(me, "scopes", None) or [])]
            token_user = getattr(me, "user_id", None)
        except gitlab.GitlabError as exc:
            if exc.response_code not in (403, 404):  # older GitLab: no /self; non-PAT tokens
                raise self._explain(exc, "checking the token") from None
        except Exception as exc:  # noqa: BLE001
            raise self._explain(exc, "checking the token") from None

        login, user_id = f"user #{token_user}" if token_user is not None else "unknown user", token_user
        try:
            gl.auth()
            login, user_id = gl.user.username, gl.user.id
        except gitlab.GitlabError as exc:
            if exc.response_code != 403:  # 403: a token without read_user/read_api/api
                raise self._explain(exc, "checking the token") from None
        except Exception as exc:  # noqa: BLE001
            raise self._explain(exc, "checking the token") from None

        problems: list[str] = []
        api_problem = (
            f"The token lacks the `api` scope, which the wizard needs to store the CI/CD variable and "
            f"read pipelines: create a personal access token with the api scope at "
            f"{self.url}/-/user_settings/personal_access_tokens."
        )
        if scopes is not None and "api" not in scopes:
            problems.append(api_problem)
        try:
            project = gl.projects.get(self.repo_path)
        except gitlab.GitlabError as exc:
            if exc.response_code == 403 and _body(exc).get("error") == "insufficient_scope":
                if api_problem not in problems:
                    problems.append(api_problem)
                return TokenCheck(login, scopes, False, False, False, problems)
            raise self._explain(exc, "checking the token's access to the project") from None
        except Exception as exc:  # noqa: BLE001
            raise self._explain(exc, "checking the token's access to the project") from None
        self._project = project

        level = self._access_level(project, user_id)
        role = role_name(level)
        can_push = level >= DEVELOPER
        has_api = scopes is None or "api" in scopes
        can_manage = level >= MAINTAINER and has_api
        if level < DEVELOPER:
            problems.append(
                f"{login} is {role} on {self.repo_path}: pushing .gitlab-ci.yml needs at least the "
                "Developer role, and storing the CI/CD variable needs Maintainer or Owner."
            )
        elif level < MAINTAINER:
            problems.append(
                f"{login} is {role} on {self.repo_path}: GitLab lets only Maintainers and Owners "
                "manage CI/CD variables; ask an Owner to make you Maintainer (Manage > Members)."
            )
        return TokenCheck(login, scopes, can_push, can_push, can_manage, problems)

    def with_token(self, token: str) -> GitLabForge:
        """The same project seen with another token (git's own credential, say)."""
        return GitLabForge(self.url, token, self.repo_path, self.ssl_verify)

    def push_problems(self, branch: str) -> list[str]:
        """What stops this token's user from pushing to `branch`: scopes, role, protected branch.

        GitLab answers the last one itself: the branches API's `can_push` is "whether the current
        user can push to the branch" (https://docs.gitlab.com/ee/api/branches.html).
        """
        import gitlab

        gl = self._gl()
        problems: list[str] = []
        try:
            me = gl.personal_access_tokens.get("self")
            scopes = [str(x) for x in (getattr(me, "scopes", None) or [])]
            if not {"api", "write_repository"} & set(scopes):
                problems.append("it lacks the `write_repository` scope (or `api`) that git needs to push over HTTPS")
                return problems
        except gitlab.GitlabError as exc:
            if exc.response_code not in (403, 404):
                raise self._explain(exc, "checking the token git pushes with") from None
        except Exception as exc:  # noqa: BLE001
            raise self._explain(exc, "checking the token git pushes with") from None
        project = self._get_project()
        try:
            found = project.branches.get(branch)
        except gitlab.GitlabGetError as exc:
            if exc.response_code == 404:
                return problems  # a branch not pushed yet: nothing protects it
            raise self._explain(exc, f"reading the branch {branch}") from None
        except Exception as exc:  # noqa: BLE001
            raise self._explain(exc, f"reading the branch {branch}") from None
        if getattr(found, "can_push", True) is False:
            if getattr(found, "protected", False):
                problems.append(
                    f"{branch} is a protected branch this account may not push to (by default only "
                    "Maintainers may): ask a Maintainer to allow Developers to push to it (Settings > "
                    "Repository > Protected branches) or to make you Maintainer"
                )
            else:
                problems.append(f"this account may not push to {self.repo_path} (it needs the Developer role or more)")
        return problems

    def _access_level(self, project: Any, user_id: Any) -> int:
        """The user's role on the project: the higher of project and group access, else from the members."""
        permissions = getattr(project, "permissions", None) or {}
        levels = [
            int((permissions.get(kind) or {}).get("access_level") or 0) for kind in ("project_access", "group_access")
        ]
        if max(levels) > 0 or user_id is None:
            return max(levels)
        try:  # inherited membership (parent groups) does not always show in `permissions`
            member = project.members_all.get(user_id)
            return int(getattr(member, "access_level", 0) or 0)
        except Exception:  # noqa: BLE001 - unknown means no role we can count on
            return 0

    def get_secret(self, name: str) -> SecretInfo | None:
        import gitlab

        project = self._get_project()
        try:
            var = project.variables.get(name)
        except gitlab.GitlabGetError as exc:
            if exc.response_code == 404 and "project" not in _gitlab_message(exc).lower():
                return None  # "404 Variable Not Found" (the project itself was found above)
            raise self._explain(exc, f"reading the CI/CD variable {name}") from None
        except Exception as exc:  # noqa: BLE001
            raise self._explain(exc, f"reading the CI/CD variable {name}") from None
        return _secret_info(name, var)

    def put_secret(self, name: str, value: str) -> None:
        import gitlab

        doing = f"storing the CI/CD variable {name}"
        project = self._get_project()
        wanted = {"value": value, **GUIDE_VARIABLE, "description": NOTE_PREFIX + _now()}
        current = self.get_secret(name)
        if current is not None:
            if (current.value, current.masked, current.protected, current.raw) == (
                value,
                True,
                False,
                True,
            ) and current.value is not None:
                return  # already as the guide wants it: no write
            if current.hidden:
                # A "masked and hidden" variable stays so: GitLab refuses any change of its visibility
                # ("The visibility setting cannot be changed for masked and hidden variables."), so its
                # value is replaced without sending `masked` at all.
                wanted = {k: v for k, v in wanted.items() if k != "masked"}
            self._update_variable(project, name, wanted, doing)
            return
        try:
            project.variables.create({"key": name, **wanted})
        except gitlab.GitlabCreateError as exc:
            errors = _body(exc).get("message")
            if (
                exc.response_code == 400
                and isinstance(errors, dict)
                and any("has already been taken" in str(e) for e in errors.get("key") or [])
            ):
                self._update_variable(project, name, wanted, doing)  # created meanwhile
                return
            raise self._variable_error(exc, name, value, doing) from None
        except Exception as exc:  # noqa: BLE001
            raise self._explain(exc, doing) from None

    def _update_variable(self, project: Any, name: str, wanted: dict[str, Any], doing: str) -> None:
        try:
            project.variables.update(name, wanted)
        except Exception as exc:  # noqa: BLE001
            raise self._variable_error(exc, name, wanted["value"], doing) from None

    def _variable_error(self, exc: BaseException, name: str, value: str, doing: str) -> WizardError:
        import gitlab

        errors = _body(exc).get("message") if isinstance(exc, gitlab.GitlabError) else None
        if (
            isinstance(exc, gitlab.GitlabError)
            and exc.response_code == 400
            and isinstance(errors, dict)
            and errors.get("value")
        ):
            lines = value.count("\n") + 1
            facts = f"{len(value)} characters, {lines} line{'s' if lines != 1 else ''}"
            if any(c.isspace() for c in value.strip("\n")):
                facts += ", with spaces or line breaks"
            return WizardError(
                what=f"GitLab refused the value of {name}: it cannot be masked ({facts}).",
                why="A masked variable's value must be one line of at least 8 characters without spaces "
                "(with Expand variable reference off; otherwise only letters, digits and _+=/@:.~- count). "
                "The wizard always sends the key as base64 on one line, which meets these rules, so the "
                "value it read is not the key file it expected.",
                fix="Check that the key file is the JSON key Google created (re-run the key step to make a "
                "new one), then retry.",
            )
        return self._explain(exc, doing)

    def delete_secret(self, name: str) -> None:
        import gitlab

        project = self._get_project()
        try:
            project.variables.delete(name)
        except gitlab.GitlabDeleteError as exc:
            if exc.response_code == 404 and "project" not in _gitlab_message(exc).lower():
                return  # already gone
            raise self._explain(exc, f"deleting the CI/CD variable {name}") from None
        except Exception as exc:  # noqa: BLE001
            raise self._explain(exc, f"deleting the CI/CD variable {name}") from None

    def runs_for(self, sha: str) -> list[RunInfo]:
        project = self._get_project()
        pipelines = self._call(
            lambda: project.pipelines.list(sha=sha, order_by="id", sort="desc", get_all=True),
            f"listing the pipelines of {sha[:7]}",
        )
        runs = []
        for p in pipelines:
            status, conclusion = pipeline_state(str(p.status))
            label = getattr(p, "name", None) or f"pipeline #{p.id} ({getattr(p, 'source', '') or 'push'} on {p.ref})"
            runs.append(
                RunInfo(
                    str(p.id),
                    p.sha,
                    status,
                    conclusion,
                    p.web_url,
                    label,
                    started_at=_when(getattr(p, "created_at", None)),
                )
            )
        return sorted(runs, key=lambda r: int(r.run_id), reverse=True)

    def rerun(self, run: RunInfo) -> None:
        project = self._get_project()
        self._call(lambda: project.pipelines.get(int(run.run_id)).retry(), f"retrying pipeline {run.run_id}")

    def run_log_hint(self, run: RunInfo) -> str:
        try:
            return self._hint(run)
        except Exception:  # noqa: BLE001 - a hint is a bonus; never fail because of it
            return ""

    def _hint(self, run: RunInfo) -> str:
        project = self._get_project()
        pipeline = project.pipelines.get(int(run.run_id))
        yaml_errors = getattr(pipeline, "yaml_errors", None)
        if yaml_errors:
            return _clip(f".gitlab-ci.yml is invalid: {yaml_errors}")
        if pipeline.status == "manual":
            return "The pipeline waits for a manual job: start it from the pipeline's page."
        jobs = pipeline.jobs.list(get_all=True)
        failed = [j for j in jobs if j.status == "failed"]
        if not failed:
            return ""
        blocking = [j for j in failed if not getattr(j, "allow_failure", False)] or failed
        job = min(blocking, key=lambda j: int(j.id))
        reason = str(getattr(job, "failure_reason", "") or "")
        trace = project.jobs.get(job.id, lazy=True).trace()
        text = trace.decode("utf-8", "replace") if isinstance(trace, bytes) else str(trace or "")
        line = trace_hint(text)
        if line:
            return _clip(self._scrub(line))
        if reason:
            return f"Job {job.name} failed: {reason.replace('_', ' ')}."
        return ""

    def actions_url(self) -> str:
        try:
            return f"{self._get_project().web_url}/-/pipelines"
        except WizardError:
            return f"{self.url}/{self.repo_path}/-/pipelines"


# -- helpers -----------------------------------------------------------------------------------
class LongRateLimit(Exception):
    """GitLab's 429 asked for a wait longer than MAX_RATE_LIMIT_WAIT."""

    def __init__(self, text: str, headers: dict[str, str]) -> None:
        super().__init__(text)
        self.text, self.headers = text, headers


def _refuse_long_rate_limit_waits(response: Any, *args: Any, **kwargs: Any) -> Any:
    if response.status_code == 429:
        headers = {str(k): str(v) for k, v in response.headers.items()}
        wait = reset_in(headers)
        if wait is not None and wait > MAX_RATE_LIMIT_WAIT:
            raise LongRateLimit((response.text or "429 Too Many Requests").strip()[:200], headers)
    return response


def _when(text: Any) -> datetime | None:
    """GitLab's ISO 8601 time ("2024-01-31T12:00:00.000Z") as a datetime, or None."""
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def _body(exc: BaseException) -> dict[str, Any]:
    raw = getattr(exc, "response_body", None)
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, TypeError):
        return {}
    return body if isinstance(body, dict) else {}


def _gitlab_message(exc: Any) -> str:
    """GitLab's error message in words: `{"key": ["(K) has already been taken"]}` -> "key (K) has…"."""
    message = getattr(exc, "error_message", "") or ""
    if isinstance(message, dict):
        parts = []
        for field, errors in message.items():
            for error in errors if isinstance(errors, list) else [errors]:
                parts.append(str(error) if field == "base" else f"{field} {error}")
        return "; ".join(parts)
    if isinstance(message, list):
        return "; ".join(str(m) for m in message)
    return str(message)


def _secret_info(name: str, var: Any) -> SecretInfo:
    def flag(attr: str) -> bool | None:
        value = getattr(var, attr, None)
        return None if value is None else bool(value)

    note = _NOTE.match(str(getattr(var, "description", None) or ""))
    return SecretInfo(
        name=name,
        updated_at=note.group(1) if note else None,
        value=getattr(var, "value", None),
        masked=flag("masked"),
        protected=flag("protected"),
        raw=flag("raw"),
        hidden=flag("hidden"),
    )


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _clip(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def trace_hint(trace: str) -> str:
    """The line of a job trace that says why it failed ("" when none does).

    The sandbox writes one `Why: …` line; a real runner's trace ends with boilerplate
    ("Cleaning up …", "ERROR: Job failed: exit code 1"), so the last other non-empty line is
    taken, else the failure line itself.
    """
    lines = []
    for raw in trace.replace("\r\n", "\n").split("\n"):
        raw = _ANSI.sub("", raw).split("\r")[-1]  # a progress line keeps its last rewrite
        lines.append(_SECTION.sub("", raw).strip())
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith("Why:"):
            why = line[4:].strip()
            return why[:1].upper() + why[1:]
    for line in reversed(lines):
        if not _BOILERPLATE.match(line):
            return line
    return lines[-1] if lines else ""


# -- glab's configuration ----------------------------------------------------------------------
def glab_config_token(text: str, host: str) -> str | None:
    """The token glab keeps for `host` in its config.yml text (`hosts: {HOST: {token, api_host}}`).

    Tolerates missing keys and glab's habit of writing `token: !!null TOKEN` (a string value
    under a null tag). `host` may carry a port; it matches a `hosts` key or an `api_host`.
    """
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    def null_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> str | None:
        value = loader.construct_scalar(node)  # type: ignore[arg-type]
        return None if str(value).strip() in ("", "~", "null", "Null", "NULL") else str(value)

    _Loader.add_constructor("tag:yaml.org,2002:null", null_or_text)
    try:
        data = yaml.load(text or "", Loader=_Loader)
    except yaml.YAMLError:
        return None
    hosts = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(hosts, dict):
        return None

    def norm(name: Any) -> str:
        name = str(name or "").strip().lower()
        name = name.split("://", 1)[-1].split("/", 1)[0]
        return name

    wanted = norm(host)
    bare = wanted.split(":")[0]
    ranked: list[tuple[int, str]] = []
    for name, entry in hosts.items():
        if not isinstance(entry, dict):
            continue
        token = entry.get("token")
        if not isinstance(token, str) or not token.strip():
            continue
        names = [norm(name), norm(entry.get("api_host"))]
        if wanted in names:
            ranked.append((0, token.strip()))
        elif bare in [n.split(":")[0] for n in names if n]:
            ranked.append((1, token.strip()))
    return min(ranked)[1] if ranked else None
