#!/usr/bin/env python3
"""Benchmark: the whole headless run of chapters 7, 8 and 14 on the sandbox, and `status`.

One fresh sandbox (GitHub), the guide's answers, `mlops-wizard run --chapter 7 --chapter 8
--chapter 14 --yes` in a new process, timed. Its references, measured or read in the same run:

- the unavoidable waits: the sandbox's own waits for what the run asked (each long-running
  operation `operation_seconds`, each new service account `service_account_visibility_seconds`,
  each CI run `run_seconds`, as configured in the world) plus the data push to a
  local-directory remote (what DVC itself needs, without any cloud);
- the API calls the sandbox counted, against `MINIMUM_CALLS`: each write the chapters need
  once and one read per fact they must observe (counted by hand from the steps);
- `mlops-wizard status` per chapter on the finished sandbox (target: within 1 s).

    .venv/bin/python bench/run.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The fewest calls the run can make, counted from the steps (one write per change, one read per fact):
# - writes: project, services, billing link, bucket; 3 pushes (the POST of each); per chapter 8 and 14 an
#   account, its roles (one policy write), a key and a secret: 4 + 3 + 2 * 4 = 15, plus one upload per
#   object DVC pushes (counted in the bucket after the run: the data, not the wizard, sets it);
# - DVC's own reads during `dvc push` (what it asks the remote before uploading): 27 for the demo's data,
#   counted from the sandbox's requests; the wizard cannot ask DVC to ask less;
# - the sandbox's CI reading the bucket as the learner's CI would (`dvc pull` in the runs): 6;
# - the wizard's facts, one read each: chapter 7: billing accounts, project, each operation once done (2),
#   services, billing info, bucket, the bucket listing, the push check, and per commit origin's branch
#   (ls-remote: 2 requests) and the push's ref advertisement (1): 12; chapter 8: the token (/user), the
#   repository, the project's policy, the older edition's secret, the account, its visibility, its keys, the
#   secret, the repository's public key, the commit (3), the run once finished: 13; chapter 14: services,
#   clusters, registry, the account, its visibility, the policy (changed by chapter 8), its keys, the secret,
#   the public key, the commit (3), the run: 13.
# (An earlier hand count said 84: it left out the uploads, DVC's and CI's own requests.)
MINIMUM_WRITES = 15
DVC_PUSH_READS = 27
CI_READS = 6
MINIMUM_FACTS = 12 + 13 + 13
ANSWERS = """[gcp]
project_id = "mlops-bench-4242"
bucket_name = "mlops-bench-4242-data"

[gke]
cluster_name = "mlops-kubernetes"
cluster_zone = "europe-west6-a"
"""


def _wizard(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "wizard", *args], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL
    )
    return time.perf_counter() - start, result


def _local_push(repo: Path, tmp: Path, env: dict[str, str]) -> float:
    """The learner's data pushed to a local folder: the floor of chapter 7's push."""
    copy = tmp / "local-push"
    shutil.copytree(repo, copy, symlinks=True)
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run(
        [*dvc, "remote", "add", "-f", "bench-local", str(tmp / "local-remote")],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    start = time.perf_counter()
    subprocess.run([*dvc, "push", "-r", "bench-local"], cwd=copy, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _objects_in_bucket(sandbox: Path) -> int:
    """How many objects the push left in the learner's bucket (each was one upload)."""
    for root, dirs, _files in os.walk(sandbox / "storage"):
        if "dvcstore" in dirs:
            return sum(len(f) for _, _, f in os.walk(Path(root) / "dvcstore"))
    return 0


def main() -> int:
    from wizard.sandbox.forge import run_seconds_of
    from wizard.sandbox.init import init_sandbox
    from wizard.sandbox.world import DEFAULT_FAULTS, World

    print(f"load before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        sandbox = tmp / "sandbox"
        init_sandbox(sandbox, forge="github")
        repo = sandbox / "learner-repo"
        (tmp / "home").mkdir()
        answers = tmp / "answers.toml"
        answers.write_text(ANSWERS)
        env = {**os.environ, "HOME": str(tmp / "home"), "DVC_NO_ANALYTICS": "1", "GIT_TERMINAL_PROMPT": "0"}
        push_floor = _local_push(repo, tmp, env)

        seconds, result = _wizard(
            [
                "run",
                "--repo",
                str(repo),
                "--sandbox",
                str(sandbox),
                "--chapter",
                "7",
                "--chapter",
                "8",
                "--chapter",
                "14",
                "--answers",
                str(answers),
                "--yes",
            ],
            env,
        )
        if result.returncode != 0:
            print(result.stdout[-3000:], result.stderr[-3000:], sep="\n", file=sys.stderr)
            return 1
        world = World(sandbox).read()
        faults = {**DEFAULT_FAULTS, **world.get("faults", {})}
        operations = len(world.get("operations", {}))
        accounts = sum(
            len(p.get("service_accounts", {})) for p in world["projects"].values() if p.get("owner") == world["learner"]
        )
        runs = sum(len(r.get("runs", [])) for r in world.get("forges", {}).get("github", {}).get("repos", {}).values())
        waits = (
            operations * float(faults["operation_seconds"])
            + accounts * float(faults["service_account_visibility_seconds"])
            + runs * run_seconds_of({"faults": faults})
        )
        floor = waits + push_floor
        calls = world["calls"]
        total = calls["reads"] + calls["writes"]
        uploads = _objects_in_bucket(sandbox)
        minimum = MINIMUM_WRITES + uploads + DVC_PUSH_READS + CI_READS + MINIMUM_FACTS
        print(
            f"full headless run 7+8+14: {seconds:.1f} s against unavoidable {floor:.1f} s "
            f"({operations} operations, {accounts} new accounts, {runs} CI runs = {waits:.1f} s of sandbox waits, "
            f"data push to a local folder {push_floor:.1f} s): ratio {seconds / floor:.2f}x (target <= 1.2x)"
        )
        per = ", ".join(f"{svc} {c['reads']}r/{c['writes']}w" for svc, c in sorted(calls["by_service"].items()))
        print(
            f"API calls: {total} ({calls['reads']} reads, {calls['writes']} writes) against a minimum of "
            f"{minimum} ({MINIMUM_WRITES} writes + {uploads} uploads, {DVC_PUSH_READS} DVC and {CI_READS} CI reads, "
            f"{MINIMUM_FACTS} facts): ratio {total / minimum:.2f}x (target <= 1.5x); {per}"
        )
        for chapter in (7, 8, 14):
            seconds, result = _wizard(
                ["status", "--repo", str(repo), "--sandbox", str(sandbox), "--chapter", str(chapter), "--json"], env
            )
            steps = json.loads(result.stdout)["steps"] if result.returncode == 0 else []
            done = sum(1 for s in steps if s["status"] == "done")
            print(f"status --chapter {chapter}: {seconds:.2f} s ({done}/{len(steps)} steps done; target <= 1 s)")
        # One `status` for every chapter: the process and the sandbox start once, as a learner sees it.
        seconds, result = _wizard(["status", "--repo", str(repo), "--sandbox", str(sandbox), "--json"], env)
        chapters = json.loads(result.stdout)["chapters"] if result.returncode == 0 else []
        print(
            f"status of all {len(chapters)} chapters: {seconds:.2f} s, "
            f"{seconds / max(1, len(chapters)):.2f} s per chapter (target <= 1 s)"
        )
    print(f"load after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
