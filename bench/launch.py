#!/usr/bin/env python3
"""Benchmark: launch of the full-screen wizard to its first painted screen (not a test).

Runs the real app headless in fresh processes against a throw-away sandbox and, interleaved
with it, a bare Textual app painting one widget (the reference: what any Textual app costs
on this machine at this load). Prints, per run, the time from process start to the first
painted screen, whether the heavy clients (Google, gcsfs, dvc) were still unimported at that
moment, and the process's own peak memory (VmHWM: ru_maxrss would report the parent's peak,
which an exec'd child inherits).

    python3 dev.py bench            # or: .venv/bin/python bench/launch.py [--runs N]
Target: first paint within 1.5x the bare Textual app.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import time, sys
T0 = float(sys.argv[1])
import asyncio, json
from pathlib import Path
from wizard.tui.app import WizardApp
from wizard.engine.chapter import get_chapter

def peak_mb():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

HEAVY = ("google.cloud.storage", "google.cloud.resourcemanager_v3", "gcsfs", "dvc.repo", "grpc")

class Timed(WizardApp):
    def on_mount(self):  # Textual also calls WizardApp.on_mount
        self.call_after_refresh(self.first_paint)

    def first_paint(self):
        painted = time.time() - T0
        heavy = [m for m in HEAVY if m in sys.modules]
        rss = peak_mb()
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

BARE = r"""
import time, sys
T0 = float(sys.argv[1])
import asyncio, json
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("Hello")

    def on_mount(self):
        self.call_after_refresh(self.first_paint)

    def first_paint(self):
        print(json.dumps({"first_paint_s": time.time() - T0}), flush=True)

async def main():
    async with Bare().run_test(size=(120, 40)) as pilot:
        await pilot.pause()

asyncio.run(main())
"""


def _bare_paint() -> float:
    start = time.time()
    out = subprocess.run([sys.executable, "-c", BARE, str(start)], capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout.splitlines()[0])["first_paint_s"])


def _byte_compile() -> None:
    """The project's modules compiled as an installed wizard's are (pip and pipx compile a wheel's modules
    at install; a learner's first run writes them otherwise). Without this, a shell that sets
    PYTHONDONTWRITEBYTECODE compiles every wizard module from source at each launch while Textual's own
    are read compiled: tens of milliseconds the learner never waits, counted against the wizard only."""
    import compileall

    root = Path(__file__).resolve().parent.parent
    for folder in ("wizard", "chapters"):
        compileall.compile_dir(root / folder, quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from wizard.sandbox.init import init_sandbox

    _byte_compile()

    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Path(tmp) / "sandbox"
        print("Preparing a sandbox…", file=sys.stderr)
        init_sandbox(sandbox)
        paints, readies, bares = [], [], []
        for run in range(args.runs):
            bares.append(_bare_paint())
            start = time.time()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(start), str(sandbox)], capture_output=True, text=True
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            out = out.stdout.splitlines()
            first, ready = json.loads(out[0]), json.loads(out[1])
            paints.append(first["first_paint_s"])
            readies.append(ready["ready_s"])
            print(
                f"run {run + 1}: first paint {first['first_paint_s'] * 1000:.0f} ms "
                f"(bare Textual app {bares[-1] * 1000:.0f} ms), "
                f"world observed {ready['ready_s'] * 1000:.0f} ms, heavy clients loaded at first paint: "
                f"{first['heavy_loaded'] or 'none'}, peak RSS {first['peak_rss_mb']:.0f} MB"
            )
    ratios = [paint / bare for paint, bare in zip(paints, bares, strict=True)]
    print(
        f"\nlaunch → first painted screen: median {statistics.median(paints) * 1000:.0f} ms "
        f"(min {min(paints) * 1000:.0f}, max {max(paints) * 1000:.0f}); bare Textual app median "
        f"{statistics.median(bares) * 1000:.0f} ms; paired ratio median {statistics.median(ratios):.2f}x "
        f"(target <= 1.5x); load {os.getloadavg()[0]:.2f}"
    )
    print(f"launch → every step observed live: median {statistics.median(readies) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
