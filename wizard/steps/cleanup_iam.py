"""Removing what chapters 8 and 14 made in IAM: an account's keys and key file, then its roles and itself.

Keys go first, one by one, so an interrupted run leaves fewer keys and never an account without
its record; the key file on this machine goes only when it holds a key of that very account.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.engine.step import Context, Observation, Status, Step, fmt
from wizard.gcp import iam
from wizard.steps.cleanup_base import differs, project_gone, require_agreement
from wizard.steps.iam import CreateKey


def key_file_owner(path: Path | None) -> str | None:
    """The `client_email` of the key file at `path`, or None when there is no such key file."""
    if path is None or not path.is_file():
        return None
    try:
        owner = json.loads(path.read_bytes()).get("client_email")
    except (ValueError, OSError, AttributeError):
        return None
    return owner if isinstance(owner, str) else None


@dataclass
class DeleteKeys(Step):
    """The account's user-managed keys, and the key file the wizard wrote if it holds one of them."""

    id: str
    title: str
    key_step: CreateKey | None = None
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)

    @property
    def account_id(self) -> str:
        assert self.key_step is not None
        return self.key_step.account_id

    def command(self, answers: Mapping[str, str]) -> str:
        assert self.key_step is not None
        account = f"{self.account_id}@{{gcp.project_id}}.iam.gserviceaccount.com"
        return fmt(
            f"for key in $(gcloud iam service-accounts keys list --iam-account={account} --managed-by=user \\\n"
            '      --format="value(name.basename())"); do\n'
            f'  gcloud iam service-accounts keys delete "$key" --iam-account={account} --quiet\n'
            f"done\nrm -f {self.key_step.key_file}   # only if it holds a key of this account",
            answers,
        )

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"delete the keys of {self.account_id} and its key file"

    def _ours(self, ctx: Context, file_key: str | None) -> set[str]:
        assert self.key_step is not None
        recorded = dict(ctx.store.step(self.key_step.id).get("outputs", {})) if ctx.store else {}
        ours = set(recorded.get("created_keys") or []) | {recorded.get("key_id")} | {file_key}
        return {k for k in ours if k}

    def _look(self, ctx: Context) -> tuple[str, list[str], Path | None, str | None]:
        """(email, live user-managed key ids, the key file if it holds this account's key, foreign-key sentence)."""
        assert self.key_step is not None
        project_id = ctx.answer("gcp.project_id")
        email = iam.email_for(self.account_id, project_id)
        path = self.key_step.path(ctx)
        mine = path if key_file_owner(path) == email else None
        file_key = CreateKey.key_id_of(mine.read_bytes()) if mine is not None else None
        keys: list[str] = []
        if project_gone(ctx) is None and iam.find_account(ctx.target, project_id, email):
            keys = [k.key_id for k in iam.user_keys(ctx.target, project_id, email)]
        foreign = [k for k in keys if k not in self._ours(ctx, file_key)]
        difference = None
        if foreign:
            listing = ", ".join(k[:8] + "…" for k in foreign)
            difference = (
                f"{self.account_id} has {len(foreign)} key(s) the wizard did not make ({listing}); "
                "someone or something may still use them"
            )
        return email, keys, mine, difference

    def observe(self, ctx: Context) -> Observation:
        _email, keys, path, difference = self._look(ctx)
        if not keys and path is None:
            return Observation(Status.DONE, f"no key of {self.account_id} left, and no key file of it")
        parts = []
        if keys:
            parts.append(f"{len(keys)} key(s) of {self.account_id}")
        if path is not None:
            parts.append(f"the key file {path}")
        return differs(" and ".join(parts), difference, keys=keys, key_file=str(path) if path else None)

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        project_id = ctx.answer("gcp.project_id")
        email, keys, path, difference = self._look(ctx)
        require_agreement(ctx, self.id, difference)
        for key_id in keys:
            ctx.crash_point("before-call")
            iam.delete_key(ctx.target, project_id, email, key_id)
            ctx.progress(f"Deleted key {key_id[:8]}… of {email}")
            ctx.crash_point("after-call")
        if path is not None:
            path.unlink(missing_ok=True)
            ctx.progress(f"Deleted the key file {path}")
        return {"deleted_keys": keys}


@dataclass
class DeleteServiceAccount(Step):
    """The account's project roles, then the account (Google would leave its bindings as `deleted:…`)."""

    id: str
    title: str
    account_id: str = ""
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)

    def command(self, answers: Mapping[str, str]) -> str:
        account = f"{self.account_id}@{{gcp.project_id}}.iam.gserviceaccount.com"
        return fmt(
            'for role in $(gcloud projects get-iam-policy {gcp.project_id} --flatten="bindings[].members" \\\n'
            f'      --filter="bindings.members:{account}" --format="value(bindings.role)"); do\n'
            "  gcloud projects remove-iam-policy-binding {gcp.project_id} \\\n"
            f'      --member="serviceAccount:{account}" --role="$role"\ndone\n'
            f"gcloud iam service-accounts delete {account} --quiet",
            answers,
        )

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"delete {self.account_id} and its roles"

    def observe(self, ctx: Context) -> Observation:
        gone = project_gone(ctx)
        if gone:
            return Observation(Status.DONE, gone)
        project_id = ctx.answer("gcp.project_id")
        email = iam.email_for(self.account_id, project_id)
        exists = iam.find_account(ctx.target, project_id, email)
        roles = iam.account_roles(ctx.target, project_id, email)
        if not exists and not roles:
            return Observation(Status.DONE, f"{email} does not exist")
        what = email if exists else f"the bindings left by the deleted {email}"
        return Observation(Status.TODO, what + (" with " + ", ".join(roles) if roles else ""), {"roles": roles})

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        project_id = ctx.answer("gcp.project_id")
        email = iam.email_for(self.account_id, project_id)
        ctx.crash_point("before-call")
        removed = iam.remove_account_bindings(ctx.target, project_id, email, ctx.progress)
        if removed:
            ctx.progress(f"Removed {', '.join(removed)} from {email}")
        ctx.crash_point("after-call")
        iam.delete_account(ctx.target, project_id, email)
        ctx.progress(f"Deleted {email}")
        return {"roles": removed}
