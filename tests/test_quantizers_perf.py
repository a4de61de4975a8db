"""The quantizer timing harness runs and reports every entry with its targets.

Timings themselves are not asserted: on a shared CPU they are noise; the
table marks each target met / NOT met for a human to read.
"""
from __future__ import annotations

from bench.perf_quantizers import BRUTE_MIN_POINTS, GRID_CASES, format_table, run_quantizer_perf


def test_perf_rows_and_table():
    rows = run_quantizer_perf(n_vectors=5_000, device="cpu", repeats=1)
    kinds = [r["quantizer"] for r in rows]
    assert kinds.count("q2d2") == kinds.count("fsq") == kinds.count("brute force") == len(GRID_CASES)
    assert {"vq", "rvq"} <= set(kinds)
    for r in rows:
        assert r["seconds"] > 0 and r["n_vectors"] == 5_000 and r["device"].startswith("cpu")
        if r["quantizer"] == "q2d2":
            assert r["fsq_ratio"] > 0 and r["met"] == (r["fsq_ratio"] <= r["fsq_target"])
        if r["quantizer"] == "q2d2 closed form":
            assert (r["met"] is None) == (r["n_points"] < BRUTE_MIN_POINTS)
    text = format_table(rows)
    assert "<= 3x FSQ" in text and ">= 10x brute" in text and "5000 vectors per entry" in text
    verdicts = [line.rsplit(":", 1)[1].strip() for line in text.splitlines() if "x FSQ:" in line]
    assert len(verdicts) == len(GRID_CASES) and set(verdicts) <= {"met", "NOT met"}
