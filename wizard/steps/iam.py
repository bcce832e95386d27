"""Reusable steps for service accounts, their roles and their keys (chapters 8 and 14)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping, Sequence

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Observation, Status, Step, fmt
from wizard.fsutil import atomic_write
from wizard.gcp import iam


def _email(ctx: Context, account_id: str) -> str:
    return iam.email_for(account_id, ctx.answer("gcp.project_id"))


@dataclass
class CreateServiceAccount(Step):
    id: str
    title: str
    account_id: str = ""
    display_name: str = ""
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)

    def command(self, answers: Mapping[str, str]) -> str:
        return (
            f"gcloud iam service-accounts create {self.account_id} \\\n"
            f'    --display-name="{self.display_name}" \\\n' + fmt("    --project={gcp.project_id}", answers)
        )

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"create service account {self.account_id}"

    def preflight(self, ctx: Context) -> None:
        iam.find_account(ctx.target, ctx.answer("gcp.project_id"), _email(ctx, self.account_id))  # IAM enabled?

    def observe(self, ctx: Context) -> Observation:
        email = _email(ctx, self.account_id)
        if iam.find_account(ctx.target, ctx.answer("gcp.project_id"), email):
            return Observation(Status.DONE, f"{email} exists", {"email": email})
        return Observation(Status.TODO, f"{email} does not exist yet")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        ctx.crash_point("before-call")
        email = iam.create_account(
            ctx.target, ctx.answer("gcp.project_id"), self.account_id, self.display_name, ctx.progress
        )
        ctx.crash_point("after-call")
        return {"email": email}


@dataclass
class GrantProjectRoles(Step):
    """Bind roles on the project to a service account: one command per role (gcloud takes one --role),
    one read-modify-write of the policy for all of them."""

    id: str
    title: str
    account_id: str = ""
    roles: Sequence[str] = field(default_factory=list)
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)

    def command(self, answers: Mapping[str, str]) -> str:
        member = f"serviceAccount:{self.account_id}@{{gcp.project_id}}.iam.gserviceaccount.com"
        return "\n".join(
            fmt(
                f"gcloud projects add-iam-policy-binding {{gcp.project_id}} \\\n"
                f'    --member="{member}" \\\n    --role="{role}"',
                answers,
            )
            for role in self.roles
        )

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"grant {', '.join(self.roles)} to {self.account_id}"

    def _missing(self, ctx: Context) -> list[str]:
        member = f"serviceAccount:{_email(ctx, self.account_id)}"
        return iam.missing_roles(ctx.target, ctx.answer("gcp.project_id"), member, list(self.roles))

    def observe(self, ctx: Context) -> Observation:
        if not iam.find_account(ctx.target, ctx.answer("gcp.project_id"), _email(ctx, self.account_id)):
            return Observation(Status.TODO, "the service account does not exist yet")
        missing = self._missing(ctx)
        if missing:
            return Observation(Status.TODO, "not granted yet: " + ", ".join(missing))
        return Observation(Status.DONE, "granted: " + ", ".join(self.roles))

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        member = f"serviceAccount:{_email(ctx, self.account_id)}"
        missing = self._missing(ctx)
        if missing:  # one read-modify-write of the policy for all of them
            ctx.crash_point("before-call")
            iam.grant_roles(ctx.target, ctx.answer("gcp.project_id"), member, missing, ctx.progress)
            ctx.progress(f"{', '.join(missing)} granted to {member}")
            ctx.crash_point("after-call")
        return {"roles": list(self.roles)}


@dataclass
class CreateKey(Step):
    """A JSON key for the account, kept where the guide says (0600, never in the repository).

    Exactly one key made by the wizard survives: a key left behind by an interrupted run
    (created after that run journaled its intent, never recorded) is deleted, and so is a
    key of ours that is replaced. With --no-key-file the key lives only in memory until
    the secret step has stored it in the forge.
    """

    id: str
    title: str
    account_id: str = ""
    key_file: str = ""  # e.g. ~/.config/gcloud/dvc-google-service-account-key.json
    stored_by: str = ""  # id of the step that stores the key in CI; with no key file, the key lives there
    secret: str = ""  # the CI secret the key goes into: what it holds is looked at before making another key
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)

    @property
    def memory_key(self) -> str:
        return f"key:{self.account_id}"

    def command(self, answers: Mapping[str, str]) -> str:
        return fmt(
            f"mkdir -p {os.path.dirname(self.key_file)}\n"
            f"gcloud iam service-accounts keys create {self.key_file} \\\n"
            f"    --iam-account={self.account_id}@{{gcp.project_id}}.iam.gserviceaccount.com",
            answers,
        )

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"create a key for {self.account_id}"

    def path(self, ctx: Context) -> Path | None:
        if ctx.options.get("no_key_file"):
            return None
        if ctx.target.keys_dir:
            # A rehearsal never touches the learner's real ~/.config/gcloud: its keys stay in the sandbox.
            path = (Path(ctx.target.keys_dir) / Path(self.key_file).name).resolve()
        else:
            path = Path(os.path.expanduser(self.key_file)).resolve()
        root = ctx.workspace.root.resolve()
        if path == root or root in path.parents:
            raise WizardError(
                what=f"The key file {path} would be inside your repository.",
                why="A key is a password: committed by mistake, anyone with the repository could use your cloud.",
                fix="Run the wizard from your repository, not from your home folder, or keep the guide's path.",
            )
        return path

    def material(self, ctx: Context) -> bytes | None:
        """The key's JSON from memory or the key file, if this machine has it."""
        if self.memory_key in ctx.memory:
            return ctx.memory[self.memory_key]
        path = self.path(ctx)
        if path is not None and path.exists():
            data = path.read_bytes()
            ctx.memory[self.memory_key] = data
            return data
        return None

    @staticmethod
    def _refuse_foreign_file(path: Path, email: str) -> None:
        """Never replace a key file of another account: it may be the learner's only copy."""
        if not path.exists():
            return
        try:
            owner = json.loads(path.read_bytes()).get("client_email")
        except ValueError:
            owner = None
        if owner != email:
            raise WizardError(
                what=f"{path} already exists and is not a key of {email}.",
                why=f"It holds {'a key of ' + owner if owner else 'something else'}; replacing it could lose the "
                "only copy of that key.",
                fix="Move it elsewhere (or delete it if you are sure it is not needed), or run with --no-key-file.",
            )

    @staticmethod
    def key_id_of(material: bytes | None) -> str | None:
        if not material:
            return None
        try:
            return json.loads(material).get("private_key_id")
        except ValueError:
            return None

    def _recorded(self, ctx: Context) -> dict[str, Any]:
        return dict(ctx.store.step(self.id).get("outputs", {})) if ctx.store else {}

    def _stored_key(self, ctx: Context) -> str | None:
        if not (ctx.store and self.stored_by):
            return None
        return ctx.store.step(self.stored_by).get("outputs", {}).get("key_id")

    def _usable_key(self, ctx: Context, keys: set[str]) -> str | None:
        """The id of the key this machine has (file or memory) — or, with no key file, the one in the CI
        secret — if Google still has it."""
        kid = self.key_id_of(self.material(ctx))
        if kid in keys:
            return kid
        if ctx.options.get("no_key_file") and self._stored_key(ctx) in keys:
            return self._stored_key(ctx)  # no file kept, as asked: the key lives in the CI secret
        return None

    def secret_holds(self, ctx: Context, keys: set[str]) -> tuple[str, str] | None:
        """(the live key the CI secret is known to hold, how that is known), or None when nobody can tell.

        GitLab returns the variable's value: it is read. GitHub never does: the key is known
        from what this machine recorded when it stored it, or — on another machine — from a
        successful run of HEAD that started after the secret was last set, when the account
        has a single live key.
        """
        if not self.secret or ctx.forge is None or not keys:
            return None
        from wizard.forges.connect import open_forge

        try:
            forge = open_forge(ctx)
            found = forge.get_secret(self.secret)
        except Exception:  # noqa: BLE001 - no token yet, no network: nothing is known
            return None
        if found is None:
            return None
        if forge.kind == "gitlab":
            import base64

            try:
                held = json.loads(base64.b64decode(found.value or "", validate=True)).get("private_key_id")
            except ValueError:
                held = None
            return (held, f"read from the CI/CD variable {self.secret}") if held in keys else None
        recorded = dict(ctx.store.step(self.stored_by).get("outputs", {})) if ctx.store and self.stored_by else {}
        if recorded.get("key_id") in keys and recorded.get("updated_at") == found.updated_at:
            return recorded["key_id"], f"recorded when {self.secret} was set"
        if len(keys) != 1 or not found.updated_at:
            return None
        ws = ctx.workspace
        try:
            head = ws.head()
            if ws.remote_head(ws.branch()) != head:
                return None
            committed = iam.utc(ws.git("show", "-s", "--format=%cI", head))
            runs = forge.runs_for(head)
        except Exception:  # noqa: BLE001 - not on a branch, no remote: nothing proves anything
            return None
        if committed < iam.utc(found.updated_at) or not runs:  # same second: nothing shows it stale
            return None
        if runs[0].status == "completed" and runs[0].conclusion == "success":
            (only,) = keys
            return only, f"the CI run for {head[:7]} succeeded with it, after {self.secret} was last set"
        return None

    def secret_holds_key(self, ctx: Context, kid: str) -> str | None:
        """How it is known that the CI secret holds `kid` (None when nothing shows it)."""
        project_id = ctx.answer("gcp.project_id")
        email = _email(ctx, self.account_id)
        keys = {k.key_id for k in iam.user_keys(ctx.target, project_id, email)}
        held = self.secret_holds(ctx, keys)
        return held[1] if held is not None and held[0] == kid else None

    def key_to_store(self, ctx: Context) -> tuple[bytes | None, str | None]:
        """What the secret step stores: the key this machine has, else the live key the secret is known to hold."""
        material = self.material(ctx)
        kid = self.key_id_of(material)
        if kid is not None and (self.memory_key in ctx.memory and ctx.memory.get(f"{self.memory_key}:fresh")):
            return material, kid
        project_id = ctx.answer("gcp.project_id")
        email = _email(ctx, self.account_id)
        if not iam.find_account(ctx.target, project_id, email):
            return None, None
        keys = {k.key_id for k in iam.user_keys(ctx.target, project_id, email)}
        if kid in keys:
            return material, kid
        if ctx.options.get("no_key_file") and self._stored_key(ctx) in keys:
            return None, self._stored_key(ctx)
        held = self.secret_holds(ctx, keys)
        return (None, held[0]) if held else (None, None)

    def _replacing(self, ctx: Context) -> set[str]:
        """Keys this machine could not obtain, replaced by its new key: deleted once the secret holds the new one."""
        return set(self._recorded(ctx).get("replaces", []))

    def observe(self, ctx: Context) -> Observation:
        project_id = ctx.answer("gcp.project_id")
        email = _email(ctx, self.account_id)
        if not iam.find_account(ctx.target, project_id, email):
            return Observation(Status.TODO, "the service account does not exist yet")
        keys = {k.key_id for k in iam.user_keys(ctx.target, project_id, email)}
        ours = set(self._recorded(ctx).get("created_keys", []))
        kid = self._usable_key(ctx, keys)
        if kid is None:
            held = self.secret_holds(ctx, keys)
            if held is not None and keys == {held[0]}:
                return Observation(
                    Status.DONE,
                    f"key {held[0][:8]}… is in {self.secret} ({held[1]}); this machine "
                    "has no copy of it and needs none",
                    {"key_id": held[0], "key_file": None, "created_keys": sorted(ours & keys)},
                )
            if keys:
                return Observation(
                    Status.TODO,
                    f"this machine cannot get the key {self.secret or 'CI'} holds "
                    f"({_names(keys)}): a new key will replace it",
                )
            return Observation(Status.TODO, "no usable key on this machine yet")
        leftovers = (ours & keys) - {kid}
        if leftovers:
            return Observation(Status.TODO, f"{len(leftovers)} older key(s) made by the wizard to delete")
        replaced = (self._replacing(ctx) & keys) - {kid}
        if replaced and self._secret_has(ctx, keys, kid):
            return Observation(Status.TODO, f"{_names(replaced)}, replaced by {kid[:8]}…, still to delete")
        where = self.path(ctx)
        pending = f"; {_names(replaced)} is deleted once {self.secret} holds it" if replaced else ""
        return Observation(
            Status.DONE,
            f"key {kid[:8]}… " + (f"in {where}" if where else "kept in the CI secret only") + pending,
            {
                "key_id": kid,
                "key_file": str(where) if where else None,
                "created_keys": sorted(ours & keys),
                "replaces": sorted(replaced),
            },
        )

    def _secret_has(self, ctx: Context, keys: set[str], kid: str) -> bool:
        held = self.secret_holds(ctx, keys)
        return held is not None and held[0] == kid

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        project_id = ctx.answer("gcp.project_id")
        email = _email(ctx, self.account_id)
        keys = iam.user_keys(ctx.target, project_id, email)
        live = {k.key_id for k in keys}
        ours = set(self._recorded(ctx).get("created_keys", []))
        replacing = self._replacing(ctx) & live
        kid = self._usable_key(ctx, live)
        doomed = {k.key_id for k in keys if k.key_id in ours}
        if Status.read(ctx.previous.get("status")) in {Status.STARTED, Status.FAILED} and ctx.previous.get("at"):
            # A key created after an interrupted attempt began, and never recorded, is an orphan.
            since = iam.utc(ctx.previous["at"]) - timedelta(seconds=2)
            doomed |= {k.key_id for k in keys if k.valid_after is not None and k.valid_after >= since}
        if kid is None:
            held = self.secret_holds(ctx, live)
            if held is not None and live == {held[0]}:
                return {"key_id": held[0], "created_keys": sorted(ours & live)}
            # Keys this machine cannot get (another machine's, or one whose file is gone): replaced, not multiplied.
            replacing |= live - doomed
            if replacing:
                ctx.progress(
                    f"This machine has no copy of the key {self.secret or 'CI'} holds ({_names(replacing)}): "
                    f"making a new key to replace it; {_names(replacing)} is deleted once "
                    f"{self.secret or 'the secret'} holds the new one"
                )
            path = self.path(ctx)
            ctx.crash_point("before-call")
            material = iam.create_key(ctx.target, project_id, email, ctx.progress)
            ctx.memory[self.memory_key] = material
            ctx.memory[f"{self.memory_key}:fresh"] = True
            kid = self.key_id_of(material)
            if kid is None:  # pragma: no cover - Google's keys always name their id
                raise WizardError(what="The new key has no private_key_id.", fix="Retry.", retryable=True)
            if ctx.store is not None:
                ctx.store.record(
                    self.id, {"created_keys": sorted(ours | {kid}), "key_id": kid, "replaces": sorted(replacing)}
                )
            ctx.crash_point("after-call")
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._refuse_foreign_file(path, email)
                atomic_write(path, material, mode=0o600)
                ctx.progress(f"Key written to {path} (only you can read it)")
            else:
                ctx.progress("Key kept in memory only (--no-key-file): it goes straight into the CI secret")
        for old in sorted(doomed - {kid} - replacing):
            iam.delete_key(ctx.target, project_id, email, old)
            ctx.progress(f"Deleted key {old[:8]}…, left behind by an earlier attempt")
        if replacing and self._secret_has(ctx, live | {kid}, kid):
            self.after_stored(ctx, kid)
            replacing = set()
        kept = sorted((ours | {kid}) - (doomed - {kid}))
        return {"key_id": kid, "created_keys": kept, "replaces": sorted(replacing - {kid})}

    def after_stored(self, ctx: Context, kid: str | None) -> None:
        """The secret now holds `kid`: the keys it replaced can go (the account ends with one key)."""
        replacing = self._replacing(ctx)
        if not replacing or kid is None:
            return
        project_id = ctx.answer("gcp.project_id")
        email = _email(ctx, self.account_id)
        live = {k.key_id for k in iam.user_keys(ctx.target, project_id, email)}
        for old in sorted((replacing & live) - {kid}):
            iam.delete_key(ctx.target, project_id, email, old)
            ctx.progress(
                f"Deleted key {old[:8]}… ({old}): replaced by {kid[:8]}…, which {self.secret or 'CI'} now holds"
            )
        if ctx.store is not None:
            ctx.store.record(self.id, {"replaces": []})


def _names(keys: set[str]) -> str:
    return ", ".join(f"key {k[:8]}…" for k in sorted(keys))
