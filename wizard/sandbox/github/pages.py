"""The web pages behind the links the wizard prints for GitHub Actions: a repository's runs, and one run with its log.

github.com serves them at `/{owner}/{repo}/actions` and `/{owner}/{repo}/actions/runs/{id}`
(the `html_url` of a workflow run); the sandbox serves a plain page at the same paths, so a
learner who follows a link sees the run, live while it runs (the page refreshes), and its log.
"""

from __future__ import annotations

import html
import re
from typing import Any

from wizard.sandbox.forge import ForgeRequest, ForgeResponse, html_page
from wizard.sandbox.github.runs import progress, run_seconds, settle
from wizard.sandbox.github.store import github
from wizard.sandbox.world import World

_ACTIONS = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+)/actions/?$")
_RUN = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+)/actions/runs/(?P<run>\d+)/?$")


def _state(run: dict[str, Any], seconds: float) -> str:
    now = progress(run, seconds)
    return now["conclusion"] or now["status"].replace("_", " ")


class GitHubPages:
    def __init__(self, world: World) -> None:
        self.world = world

    def __call__(self, request: ForgeRequest) -> ForgeResponse | None:
        if request.method not in ("GET", "HEAD"):
            return None
        match = _RUN.match(request.path) or _ACTIONS.match(request.path)
        if match is None:
            return None
        data = self.world.read()
        repos = github(data)["repos"]
        full = next((n for n in repos if n.lower() == f"{match['owner']}/{match['repo']}".lower()), None)
        if full is None:  # (private repositories too: the sandbox's browser is always logged in as the learner)
            return ForgeResponse.text("Not Found\n", 404)
        if settle(data):
            with self.world.mutate() as changed:
                settle(changed)
            data = self.world.read()
        repo, seconds = github(data)["repos"][full], run_seconds(data)
        runs = sorted(repo.get("runs", []), key=lambda r: r["id"], reverse=True)
        if "run" in match.groupdict() and match["run"]:
            run = next((r for r in runs if r["id"] == int(match["run"])), None)
            if run is None:
                return ForgeResponse.text("Not Found\n", 404)
            state = _state(run, seconds)
            done = progress(run, seconds)["status"] == "completed"
            log = "\n".join(run.get("log", [])) if done else "The run is not finished yet: its log appears when it is."
            body = (
                f"<p>{html.escape(run['name'])} #{run['run_number']} · {html.escape(run['event'])} on "
                f"{html.escape(run['branch'])} at <code>{run['sha'][:7]}</code> · <b>{html.escape(state)}</b></p>"
                f"<p>{html.escape(run.get('display_title', ''))}</p><pre>{html.escape(log)}</pre>"
                f'<p><a href="/{full}/actions">All runs</a></p>'
            )
            return html_page(f"{full} · run {run['id']}", body, refresh=not done)
        rows = "".join(
            f'<li><a href="/{full}/actions/runs/{r["id"]}">{html.escape(r["name"])} '
            f"#{r['run_number']}</a> · <code>{r['sha'][:7]}</code> · "
            f"{html.escape(_state(r, seconds))}</li>"
            for r in runs
        )
        pending = any(progress(r, seconds)["status"] != "completed" for r in runs)
        return html_page(
            f"{full} · Actions", f"<ul>{rows}</ul>" if rows else "<p>No workflow runs yet.</p>", refresh=pending
        )
