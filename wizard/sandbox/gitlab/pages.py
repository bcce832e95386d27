"""The web pages behind the links the wizard prints for GitLab CI/CD: pipelines, one pipeline, one job's log.

GitLab serves them at `/{path}/-/pipelines`, `/{path}/-/pipelines/:id` (a pipeline's `web_url`)
and `/{path}/-/jobs/:id`; the sandbox serves plain pages at the same paths, refreshing while a
pipeline runs, with each job's trace once it is finished.
"""

from __future__ import annotations

import html
import re
from typing import Any

from wizard.sandbox.forge import ForgeRequest, ForgeResponse, html_page
from wizard.sandbox.gitlab import store
from wizard.sandbox.gitlab.pipelines import FINISHED, job_status, pipeline_status
from wizard.sandbox.world import World

_PAGE = re.compile(r"^/(?P<path>[^-].*?)/-/(?P<kind>pipelines|jobs)(?:/(?P<id>\d+))?/?$")


class GitLabPages:
    def __init__(self, world: World) -> None:
        self.world = world

    def __call__(self, request: ForgeRequest) -> ForgeResponse | None:
        match = _PAGE.match(request.path) if request.method in ("GET", "HEAD") else None
        if match is None:
            return None
        projects = store.gitlab(self.world.read())["projects"]
        path = next((p for p in projects if p.lower() == match["path"].lower()), None)
        if path is None:
            return None
        runs = sorted(projects[path].get("pipelines", []), key=lambda p: p["id"], reverse=True)
        if match["kind"] == "jobs":
            if not match["id"]:
                return None
            found = [(p, j) for p in runs for j in p.get("jobs", []) if j.get("id") == int(match["id"])]
            if not found:
                return ForgeResponse.text("Not Found\n", 404)
            pipeline, job = found[0]
            return self._job(path, pipeline, job)
        if match["id"]:
            pipeline = next((p for p in runs if p["id"] == int(match["id"])), None)
            if pipeline is None:
                return ForgeResponse.text("Not Found\n", 404)
            return self._pipeline(path, pipeline)
        rows = "".join(
            f'<li><a href="/{path}/-/pipelines/{p["id"]}">#{p["id"]}</a> · {html.escape(p["ref"])} · '
            f"<code>{p['sha'][:8]}</code> · {html.escape(pipeline_status(p))}</li>"
            for p in runs
        )
        running = any(pipeline_status(p) not in FINISHED for p in runs)
        return html_page(
            f"{path} · Pipelines", f"<ul>{rows}</ul>" if rows else "<p>No pipelines yet.</p>", refresh=running
        )

    def _pipeline(self, path: str, pipeline: dict[str, Any]) -> ForgeResponse:
        status = pipeline_status(pipeline)
        jobs = "".join(
            f'<li><a href="/{path}/-/jobs/{j.get("id")}">{html.escape(j["name"])}</a> '
            f"({html.escape(j['stage'])}) · {html.escape(job_status(pipeline, j))}</li>"
            for j in pipeline.get("jobs", [])
        )
        errors = (
            f"<p>This GitLab CI configuration is invalid: {html.escape(str(pipeline['yaml_errors']))}</p>"
            if pipeline.get("yaml_errors")
            else ""
        )
        log = "\n".join(pipeline.get("log", [])) if status in FINISHED else "Running: the log appears when it ends."
        body = (
            f"<p>Pipeline #{pipeline['id']} · {html.escape(pipeline['ref'])} at <code>{pipeline['sha'][:8]}</code>"
            f" · <b>{html.escape(status)}</b></p>{errors}<ul>{jobs}</ul><pre>{html.escape(log)}</pre>"
            f'<p><a href="/{path}/-/pipelines">All pipelines</a></p>'
        )
        return html_page(f"{path} · pipeline #{pipeline['id']}", body, refresh=status not in FINISHED)

    def _job(self, path: str, pipeline: dict[str, Any], job: dict[str, Any]) -> ForgeResponse:
        status = job_status(pipeline, job)
        log = "\n".join(job.get("log", [])) if status in FINISHED else "The job is not finished yet."
        body = (
            f"<p>Job {html.escape(job['name'])} · <b>{html.escape(status)}</b> · "
            f'<a href="/{path}/-/pipelines/{pipeline["id"]}">pipeline #{pipeline["id"]}</a></p>'
            f"<pre>{html.escape(log)}</pre>"
        )
        return html_page(f"{path} · job {job['name']}", body, refresh=status not in FINISHED)
