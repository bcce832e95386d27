#!/usr/bin/env python3
"""Benchmark: launch of the full-screen wizard to its first painted screen (not a test).

Runs the real app headless in fresh processes against a throw-away sandbox and prints,
per run, the time from process start to the first painted screen, whether the heavy
clients (Google, gcsfs, dvc) were still unimported at that moment, and peak memory.

    python3 dev.py bench            # or: .venv/bin/python bench/launch.py [--runs N]
Target: under 0.5 s on the development machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import time, sys
T0 = float(sys.argv[1])
import asyncio, json, resource
from pathlib import Path
from wizard.tui.app import WizardApp
from wizard.engine.chapter import get_chapter

HEAVY = ("google.cloud.storage", "google.cloud.resourcemanager_v3", "gcsfs", "dvc.repo", "grpc")

class Timed(WizardApp):
    def on_mount(self):  # Textual also calls WizardApp.on_mount
        self.call_after_refresh(self.first_paint)

    def first_paint(self):
        painted = time.time() - T0
        heavy = [m for m in HEAVY if m in sys.modules]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"first_paint_s": painted, "heavy_loaded": heavy, "peak_rss_mb": rss}), flush=True)

async def main():
    app = Timed(Path(sys.argv[2]) / "learner-repo", Path(sys.argv[2]), [get_chapter(7)])
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(400):
            if app.ready:
                break
            await pilot.pause(0.05)
        print(json.dumps({"ready_s": time.time() - T0}), flush=True)

asyncio.run(main())
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from wizard.sandbox.init import init_sandbox

    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Path(tmp) / "sandbox"
        print("Preparing a sandbox…", file=sys.stderr)
        init_sandbox(sandbox)
        paints, readies = [], []
        for run in range(args.runs):
            start = time.time()
            out = subprocess.run([sys.executable, "-c", CHILD, str(start), str(sandbox)],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            out = out.stdout.splitlines()
            first, ready = json.loads(out[0]), json.loads(out[1])
            paints.append(first["first_paint_s"])
            readies.append(ready["ready_s"])
            print(f"run {run + 1}: first paint {first['first_paint_s'] * 1000:.0f} ms, "
                  f"world observed {ready['ready_s'] * 1000:.0f} ms, heavy clients loaded at first paint: "
                  f"{first['heavy_loaded'] or 'none'}, peak RSS {first['peak_rss_mb']:.0f} MB")
    print(f"\nlaunch → first painted screen: median {statistics.median(paints) * 1000:.0f} ms "
          f"(min {min(paints) * 1000:.0f}, max {max(paints) * 1000:.0f}); target < 500 ms")
    print(f"launch → every step observed live: median {statistics.median(readies) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
