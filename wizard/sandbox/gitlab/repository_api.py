"""Repository endpoints of the fake GitLab: files (read, create, update, delete) and commits.

Writes are real commits in the forge's bare repository (see `repo.py`), and each starts
the pipeline GitLab would start for the new head of its branch.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote, unquote

from wizard.sandbox.forge import ForgeResponse
from wizard.sandbox.gitlab import pipelines, store
from wizard.sandbox.gitlab import repo as git_repo
from wizard.sandbox.gitlab.base import Call, Endpoints, bad_params, message, not_found


class RepositoryEndpoints(Endpoints):
    # -- repository files ------------------------------------------------------------------------
    def _file(self, call: Call, project: str, file: str) -> tuple[str, dict[str, Any], git_repo.Blob, str, str]:
        path, record = self._project(call, project)
        self._required(call.params, "ref")
        ref = str(call.params["ref"])
        location = self._repo(path)
        commit = git_repo.resolve(location, ref)
        if commit is None:
            raise not_found("Commit")
        blob = git_repo.blob_at(location, commit, unquote(file))
        if blob is None:
            raise not_found("File")
        return path, record, blob, commit, ref

    def get_file(self, call: Call, project: str, file: str) -> ForgeResponse:
        path, _, blob, commit, ref = self._file(call, project, file)
        last = git_repo.last_commit_for(self._repo(path), commit, blob.path)
        body = {
            "file_name": blob.path.rsplit("/", 1)[-1],
            "file_path": blob.path,
            "size": len(blob.data),
            "encoding": "base64",
            "content_sha256": hashlib.sha256(blob.data).hexdigest(),
            "ref": ref,
            "blob_id": blob.sha,
            "commit_id": commit,
            "last_commit_id": last,
            "execute_filemode": blob.mode == "100755",
        }
        headers = [
            (f"X-Gitlab-{name.replace('_', '-').title()}", str(value))
            for name, value in body.items()
            if name not in ("file_name", "file_path")
        ]
        headers += [("X-Gitlab-File-Name", quote(str(body["file_name"]))), ("X-Gitlab-File-Path", quote(blob.path))]
        if call.request.method == "HEAD":
            return ForgeResponse(200, headers)
        body["content"] = base64.b64encode(blob.data).decode("ascii")
        return ForgeResponse.json(body, 200, headers)

    def get_raw_file(self, call: Call, project: str, file: str) -> ForgeResponse:
        if "ref" not in call.params:
            call.params["ref"] = self._project(call, project)[1].get("default_branch", "main")
        _, _, blob, _, _ = self._file(call, project, file)
        return ForgeResponse(200, [("Content-Type", "text/plain; charset=utf-8")], blob.data)

    def _author(self, call: Call) -> tuple[str, str]:
        user = self._user(call.username)
        return (
            str(call.params.get("author_name") or user["name"]),
            str(call.params.get("author_email") or user["email"]),
        )

    def _commit(self, call: Call, path: str, branch: str, text: str, actions: list[git_repo.Action]) -> str:
        start = call.params.get("start_branch") or call.params.get("start_sha")
        try:
            sha = git_repo.commit_actions(
                self._repo(path), branch, text, actions, self._author(call), None if start is None else str(start)
            )
        except git_repo.ActionError as err:
            raise message(400, str(err)) from None
        self.trigger(path, branch, sha, "push", base_url=call.base, user=call.username)
        return sha

    def _write_file(self, call: Call, project: str, file: str, action: str) -> str:
        path, _ = self._project(call, project)
        required = ("branch", "commit_message") if action == "delete" else ("branch", "content", "commit_message")
        self._required(call.params, *required)
        item = git_repo.Action(
            action=action,
            file_path=unquote(file),
            content=(
                None
                if action == "delete"
                else git_repo.decode_content(call.params.get("content"), call.params.get("encoding"))
            ),
            last_commit_id=call.params.get("last_commit_id"),
            execute_filemode=(
                None if "execute_filemode" not in call.params else store.to_bool(call.params["execute_filemode"])
            ),
        )
        branch = str(call.params["branch"])
        self._commit(call, path, branch, str(call.params["commit_message"]), [item])
        return branch

    def create_file(self, call: Call, project: str, file: str) -> ForgeResponse:
        branch = self._write_file(call, project, file, "create")
        return ForgeResponse.json({"file_path": unquote(file), "branch": branch}, 201)

    def update_file(self, call: Call, project: str, file: str) -> ForgeResponse:
        branch = self._write_file(call, project, file, "update")
        return ForgeResponse.json({"file_path": unquote(file), "branch": branch})

    def delete_file(self, call: Call, project: str, file: str) -> ForgeResponse:
        self._write_file(call, project, file, "delete")
        return ForgeResponse(204)

    # -- commits -------------------------------------------------------------------------------
    def _commit_json(self, call: Call, path: str, record: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
        latest = max(
            (p for p in record.get("pipelines", []) if p["sha"] == info["id"]), key=lambda p: p["id"], default=None
        )
        return {
            **info,
            "web_url": f"{call.base}/{path}/-/commit/{info['id']}",
            "project_id": record["id"],
            "status": None if latest is None else pipelines.pipeline_status(latest),
            "last_pipeline": None if latest is None else self._pipeline_json(call, path, record, latest, False),
        }

    def list_commits(self, call: Call, project: str) -> ForgeResponse:
        path, record = self._project(call, project)
        location = self._repo(path)
        ref = str(call.params.get("ref_name") or record.get("default_branch", "main"))
        head = git_repo.resolve(location, ref)
        if head is None:
            return self._paginate(call, [])
        shas = git_repo.git(location, "rev-list", "--max-count=1000", head).decode().split()
        per_page = min(100, max(1, int(call.params.get("per_page", 20) or 20)))
        page = max(1, int(call.params.get("page", 1) or 1))
        wanted = set(shas[(page - 1) * per_page : page * per_page])
        items = [
            self._commit_json(call, path, record, git_repo.commit_info(location, sha)) if sha in wanted else {"id": sha}
            for sha in shas
        ]
        return self._paginate(call, items)

    def get_commit(self, call: Call, project: str, sha: str) -> ForgeResponse:
        path, record = self._project(call, project)
        location = self._repo(path)
        full = git_repo.resolve(location, unquote(sha))
        info = git_repo.commit_info(location, full) if full else None
        if info is None:
            raise not_found("Commit")
        return ForgeResponse.json(self._commit_json(call, path, record, info))

    def create_commit(self, call: Call, project: str) -> ForgeResponse:
        path, record = self._project(call, project)
        self._required(call.params, "branch", "commit_message", "actions")
        raw_actions = call.params["actions"]
        if not isinstance(raw_actions, list) or not raw_actions:
            raise bad_params("actions is empty" if isinstance(raw_actions, list) else "actions is invalid")
        actions = []
        for index, item in enumerate(raw_actions):
            if not isinstance(item, dict):
                raise bad_params(f"actions[{index}] is invalid")
            if item.get("action") not in ("create", "update", "delete", "move", "chmod"):
                raise bad_params(f"actions[{index}][action] does not have a valid value")
            if not item.get("file_path"):
                raise bad_params(f"actions[{index}][file_path] is missing")
            if item.get("encoding", "text") not in ("text", "base64"):
                raise bad_params(f"actions[{index}][encoding] does not have a valid value")
            content = item.get("content")
            actions.append(
                git_repo.Action(
                    action=item["action"],
                    file_path=str(item["file_path"]),
                    content=None
                    if content is None and item["action"] in ("move", "delete", "chmod")
                    else git_repo.decode_content(content, item.get("encoding")),
                    previous_path=item.get("previous_path"),
                    last_commit_id=item.get("last_commit_id"),
                    execute_filemode=None
                    if "execute_filemode" not in item
                    else store.to_bool(item["execute_filemode"]),
                )
            )
        sha = self._commit(call, path, str(call.params["branch"]), str(call.params["commit_message"]), actions)
        info = git_repo.commit_info(self._repo(path), sha)
        _, record = self._project(call, project)
        return ForgeResponse.json(self._commit_json(call, path, record, info), 201)
