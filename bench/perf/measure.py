"""Small measurement helpers: wall time and peak memory of a child process."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mib: float      # max over the main process and its workers
    output: Any


CHILD = r"""
import json, resource, sys, time
from bench.runner import RunOptions, run_suite
from bench.config import SuiteSpec
from bench.datasets import load_datasets
from bench.registry import DATASETS
from bench.config import DatasetSpec
args = json.loads(sys.argv[1])
load_datasets()
for extra in args.get("datasets", []):
    DATASETS.add(extra["name"], DatasetSpec(**extra), replace=True)
suite = SuiteSpec(**args["suite"])
t0 = time.perf_counter()
s = run_suite(suite, RunOptions(**args["options"]))
dt = time.perf_counter() - t0
self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("RESULT " + json.dumps({"seconds": dt, "rss_self_kib": self_kib, "rss_children_kib": kids_kib,
                             "n_rows": s.n_rows, "n_tasks": s.n_tasks, "n_cached": s.n_cached}))
"""


def run_suite_in_child(suite: dict, options: dict, datasets: list[dict] | None = None,
                       timeout: float = 1800) -> Measured:
    """Run a suite in a fresh Python process; time it and read its peak RSS.

    A fresh process keeps memory figures honest (nothing preloaded) and
    includes the cost a user pays: imports, worker start-up, model loading.
    """
    payload = json.dumps({"suite": suite, "options": options, "datasets": datasets or []})
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, payload], capture_output=True, text=True,
                          timeout=timeout)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"suite child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    out = json.loads(line[len("RESULT "):])
    peak = max(out["rss_self_kib"], out["rss_children_kib"]) / 1024
    return Measured(wall, peak, out)
