"""Pipeline and job endpoints of the fake GitLab, and the trigger that creates pipelines.

`trigger` runs for every push (the forge's push listener) and every commit made through the
API; the simulation itself is in `pipelines.py`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from wizard.sandbox.forge import ForgeResponse
from wizard.sandbox.gitlab import ci, pipelines, store
from wizard.sandbox.gitlab import repo as git_repo
from wizard.sandbox.gitlab.base import (
    Call,
    Endpoints,
    bad_params,
    message,
    record_not_found,
)

log = logging.getLogger(__name__)


class PipelineEndpoints(Endpoints):
    # -- pipelines -----------------------------------------------------------------------------
    def trigger(
        self,
        path: str,
        ref: str,
        sha: str,
        source: str,
        pipeline_vars: dict[str, str] | None = None,
        base_url: str = "",
        user: str | None = None,
    ) -> dict[str, Any] | None:
        """Create the pipeline GitLab would create for `sha` on branch `ref` (None when it makes none)."""
        snapshot = self.world.read()
        if path not in store.gitlab(snapshot)["projects"]:
            return None
        if source == "push" and any(
            p["sha"] == sha and p["ref"] == ref for p in store.gitlab(snapshot)["projects"][path].get("pipelines", [])
        ):
            return None
        injected = self.world.take_failure("gitlab.pipeline.run")
        record = pipelines.build(
            snapshot,
            path,
            self._repo(path),
            sha,
            ref,
            source,
            pipeline_vars,
            f"gitlab.pipeline.run={injected}" if injected else None,
            base_url,
            ca_file=self.world.root / "ca.pem",
        )
        if record is None:
            return None
        with self.world.mutate() as data:
            project = store.gitlab(data)["projects"].get(path)
            if project is None:
                return None
            runs = project.setdefault("pipelines", [])
            if source == "push" and any(p["sha"] == sha and p["ref"] == ref for p in runs):
                return None
            record["id"] = store.next_id(data, "pipeline")
            record["iid"] = max((p.get("iid", 0) for p in runs), default=0) + 1
            record["user"] = user or path.split("/", 1)[0]
            for job in record["jobs"]:
                job["id"] = store.next_id(data, "job")
            runs.append(record)
        return record

    def on_push(self, owner: str, name: str) -> None:
        """Push listener: a pipeline for each branch head that has none yet."""
        path = f"{owner}/{name}"
        if path not in store.gitlab(self.world.read())["projects"]:
            return
        for branch, sha in git_repo.branches(self._repo(path)).items():
            try:
                self.trigger(path, branch, sha, "push", base_url=self.base_url)
            except Exception:
                log.exception("gitlab: no pipeline for %s@%s", path, branch)

    def _pipeline_json(
        self,
        call: Call,
        path: str,
        project: dict[str, Any],
        p: dict[str, Any],
        detailed: bool = True,
        now: float | None = None,
    ) -> dict[str, Any]:
        now = time.time() if now is None else now
        status = pipelines.pipeline_status(p, now)
        times = pipelines.timings(p, now)
        body = {
            "id": p["id"],
            "iid": p["iid"],
            "project_id": project["id"],
            "sha": p["sha"],
            "ref": p["ref"],
            "status": status,
            "source": p["source"],
            "created_at": times["created_at"],
            "updated_at": times["updated_at"],
            "web_url": f"{call.base}/{path}/-/pipelines/{p['id']}",
            "name": None,
        }
        if detailed:
            label = {"success": "passed", "manual": "blocked"}.get(status, status)
            body.update(
                {
                    "before_sha": git_repo.ZERO_SHA,
                    "tag": bool(p.get("tag")),
                    "yaml_errors": p.get("yaml_errors"),
                    "user": self._user_basic(call, p.get("user") or path.split("/", 1)[0]),
                    "started_at": times["started_at"],
                    "finished_at": times["finished_at"],
                    "committed_at": None,
                    "duration": times["duration"],
                    "queued_duration": times["queued_duration"],
                    "coverage": None,
                    "archived": False,
                    "detailed_status": {
                        "icon": f"status_{status}",
                        "text": label.capitalize(),
                        "label": label,
                        "group": status,
                        "tooltip": label,
                        "has_details": True,
                        "details_path": f"/{path}/-/pipelines/{p['id']}",
                        "illustration": None,
                        "favicon": f"/assets/ci_favicons/favicon_status_{status}.png",
                    },
                }
            )
        return body

    def _find_pipeline(self, call: Call, project: str, pipeline: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
        path, record = self._project(call, project)
        if not pipeline.isdigit():
            raise bad_params("pipeline_id is invalid")
        found = next((p for p in record.get("pipelines", []) if str(p["id"]) == pipeline), None)
        if found is None:
            raise record_not_found()
        return path, record, found

    def list_pipelines(self, call: Call, project: str) -> ForgeResponse:
        path, record = self._project(call, project)
        now = time.time()
        items = [self._pipeline_json(call, path, record, p, False, now) for p in record.get("pipelines", [])]
        params = call.params
        for name in ("sha", "ref", "status", "source"):
            if params.get(name):
                items = [p for p in items if p[name] == params[name]]
        scope = params.get("scope")
        if scope in ("running", "pending"):
            items = [p for p in items if p["status"] == scope]
        elif scope == "finished":
            items = [p for p in items if p["status"] in pipelines.FINISHED]
        elif scope == "tags":
            items = []
        asked = params.get("order_by", "id")
        order = asked if asked in ("id", "status", "ref", "updated_at") else "id"
        items.sort(key=lambda p: (p[order], p["id"]), reverse=params.get("sort", "desc") != "asc")
        return self._paginate(call, items)

    def latest_pipeline(self, call: Call, project: str) -> ForgeResponse:
        path, record = self._project(call, project)
        ref = str(call.params.get("ref") or record.get("default_branch", "main"))
        runs = [p for p in record.get("pipelines", []) if p["ref"] == ref]
        if not runs:
            raise record_not_found()
        return ForgeResponse.json(self._pipeline_json(call, path, record, max(runs, key=lambda p: p["id"])))

    def get_pipeline(self, call: Call, project: str, pipeline: str) -> ForgeResponse:
        path, record, found = self._find_pipeline(call, project, pipeline)
        return ForgeResponse.json(self._pipeline_json(call, path, record, found))

    def create_pipeline(self, call: Call, project: str) -> ForgeResponse:
        path, _ = self._project(call, project)
        self._required(call.params, "ref")
        ref = str(call.params["ref"])
        location = self._repo(path)
        sha = git_repo.branches(location).get(ref)
        if sha is None:
            raise message(400, {"base": ["Reference not found"]})
        variables = {}
        for item in call.params.get("variables") or []:
            if isinstance(item, dict) and item.get("key"):
                variables[str(item["key"])] = str(item.get("value", ""))
        try:
            created = self.trigger(path, ref, sha, "api", variables, call.base, call.username)
        except ci.CiError as err:
            raise message(400, {"base": [str(err)]}) from None
        _, record = self._project(call, project)
        return ForgeResponse.json(self._pipeline_json(call, path, record, created), 201)

    def retry_pipeline(self, call: Call, project: str, pipeline: str) -> ForgeResponse:
        path, _, found = self._find_pipeline(call, project, pipeline)
        if pipelines.pipeline_status(found) == "failed":
            snapshot = self.world.read()
            try:
                fresh = pipelines.build(
                    snapshot,
                    path,
                    self._repo(path),
                    found["sha"],
                    found["ref"],
                    "api",
                    base_url=call.base,
                    ca_file=self.world.root / "ca.pem",
                )
            except ci.CiError as err:
                raise message(400, {"base": [str(err)]}) from None
            if fresh is not None:
                with self.world.mutate() as data:
                    _, record = self._project(call, project, data)
                    target = next(p for p in record["pipelines"] if p["id"] == found["id"])
                    old = {j["name"]: j for j in target["jobs"]}
                    for job in fresh["jobs"]:
                        before = old.get(job["name"])
                        keep = before is not None and before["status"] == "success" == job["status"]
                        job["id"] = before["id"] if keep else store.next_id(data, "job")
                    for name in ("status", "jobs", "log", "yaml_errors", "run_seconds", "created_at", "updated_at"):
                        target[name] = fresh[name]
        path, record, found = self._find_pipeline(call, project, pipeline)
        return ForgeResponse.json(self._pipeline_json(call, path, record, found), 201)

    # -- jobs ----------------------------------------------------------------------------------
    def _job_json(
        self,
        call: Call,
        path: str,
        project: dict[str, Any],
        p: dict[str, Any],
        job: dict[str, Any],
        commit: dict[str, Any] | None,
        now: float,
    ) -> dict[str, Any]:
        status = pipelines.job_status(p, job, now)
        times = pipelines.timings(p, now)
        done = status in pipelines.FINISHED
        body = {
            "id": job["id"],
            "status": status,
            "stage": job["stage"],
            "name": job["name"],
            "ref": p["ref"],
            "tag": False,
            "coverage": None,
            "allow_failure": job.get("allow_failure", False),
            "created_at": p["created_at"],
            "started_at": times["started_at"] if status != "created" else None,
            "finished_at": times["finished_at"] if done else None,
            "erased_at": None,
            "duration": times["duration"] if done else None,
            "queued_duration": times["queued_duration"],
            "user": self._user_basic(call, p.get("user") or path.split("/", 1)[0]),
            "commit": commit or {"id": p["sha"], "short_id": p["sha"][:8]},
            "pipeline": self._pipeline_json(call, path, project, p, False, now),
            "web_url": f"{call.base}/{path}/-/jobs/{job['id']}",
            "project": {"ci_job_token_scope_enabled": False},
            "artifacts": [],
            "artifacts_expire_at": None,
            "tag_list": [],
            "archived": False,
            "runner": None
            if status in ("created", "manual", "skipped")
            else {
                "id": 1,
                "description": "sandbox-runner",
                "active": True,
                "paused": False,
                "is_shared": True,
                "runner_type": "instance_type",
                "name": "gitlab-runner",
                "online": True,
                "status": "online",
            },
        }
        if status == "failed":
            body["failure_reason"] = job.get("failure_reason") or "script_failure"
        return body

    def list_jobs(self, call: Call, project: str, pipeline: str) -> ForgeResponse:
        path, record, found = self._find_pipeline(call, project, pipeline)
        now = time.time()
        commit = git_repo.commit_info(self._repo(path), found["sha"])
        items = [self._job_json(call, path, record, found, job, commit, now) for job in found["jobs"]]
        scope = call.params.get("scope")
        if scope:
            wanted = set(scope if isinstance(scope, list) else [scope])
            items = [j for j in items if j["status"] in wanted]
        return self._paginate(call, items)

    def _find_job(self, call: Call, project: str, job: str):
        path, record = self._project(call, project)
        if not job.isdigit():
            raise bad_params("job_id is invalid")
        for p in record.get("pipelines", []):
            for item in p["jobs"]:
                if str(item["id"]) == job:
                    return path, record, p, item
        raise record_not_found()

    def get_job(self, call: Call, project: str, job: str) -> ForgeResponse:
        path, record, p, item = self._find_job(call, project, job)
        commit = git_repo.commit_info(self._repo(path), p["sha"])
        return ForgeResponse.json(self._job_json(call, path, record, p, item, commit, time.time()))

    def get_trace(self, call: Call, project: str, job: str) -> ForgeResponse:
        _, _, p, item = self._find_job(call, project, job)
        status = pipelines.job_status(p, item)
        lines = item.get("log", [])
        if status in ("created", "pending", "manual", "skipped"):
            lines = []
        elif status == "running":
            lines = lines[:9]
        text = "".join(f"{line}\n" for line in lines)
        return ForgeResponse(200, [("Content-Type", "text/plain; charset=utf-8")], text.encode("utf-8"))
