"""Timing of the quantizers' nearest-code search on many vectors.

For each 2D grid (levels L x L) the same uniform vectors of the scaled plane
are quantized four ways:

- ``fsq``: FSQ rounding with levels (L, L) (the baseline),
- ``q2d2``: the Q2D2 module's snap (closed-form search plus point lookup),
- ``closed``: the grid's closed-form `Grid.nearest` alone,
- ``brute``: `brute_force_nearest` over all points (chunked, bounded memory).

Targets (issue 4): Q2D2 within 3x of FSQ rounding, and for grids of 64 points
or more the closed form at least 10x faster than brute force. VQ and RVQ
(exhaustive search by nature) are timed on the same number of vectors for
scale. `run_bench.py perf --quantizers` prints `format_table(run_quantizer_perf())`.
"""
from __future__ import annotations

import time
from typing import Callable

import torch

from bench.device import describe_device, pick_device
from bench.quantizers.fsq import FSQ
from bench.quantizers.grids import Grid, brute_force_nearest
from bench.quantizers.q2d2 import Q2D2
from bench.quantizers.vq import nearest_code

GRID_CASES = (("rectangular", 8), ("hexagonal", 8), ("rhombic", 7), ("rhombic", 9), ("hexagonal", 16))
FSQ_TARGET = 3.0          # Q2D2 time / FSQ time must not exceed this
BRUTE_TARGET = 10.0       # brute-force time / closed-form time must reach this (grids >= 64 points)
BRUTE_MIN_POINTS = 64


def _time(fns: dict[str, Callable[[], object]], device: torch.device, repeats: int) -> dict[str, float]:
    """Best wall time (s) of each function over `repeats` rounds, after one warm-up call each.

    The functions are called in turn within each round, so on a shared,
    fluctuating machine they see the same load; the minimum filters the noise.
    """
    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    for fn in fns.values():
        fn()
    sync()
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            sync()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def run_quantizer_perf(n_vectors: int = 1_000_000, device: str | torch.device | None = None,
                       repeats: int = 7, seed: int = 0) -> list[dict]:
    """Time each quantizer's search on `n_vectors` vectors.

    Args:
        n_vectors: vectors per timing (2D for the grids, 8D for VQ / RVQ).
        device: torch device (default: `bench.device.pick_device()`).
        repeats: timed rounds for the fast searches (the best is kept); brute
            force, VQ and RVQ are timed once after a warm-up.
        seed: for the random vectors.

    Returns:
        One dict per entry: quantizer, config, n_points, device, seconds,
        vectors_per_s, and for grids fsq_ratio / brute_speedup with their
        targets and `met` (True, False, or None where no target applies).
    """
    dev = pick_device(str(device) if device is not None else None)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    where = f"{describe_device(dev)} ({torch.get_num_threads()} threads)" if dev.type == "cpu" \
        else describe_device(dev)
    rows: list[dict] = []

    def row(quantizer, config, n_points, seconds, **extra):
        rows.append({"quantizer": quantizer, "config": config, "n_points": n_points, "device": where,
                     "n_vectors": n_vectors, "seconds": seconds,
                     "vectors_per_s": n_vectors / seconds if seconds > 0 else float("inf"), **extra})

    with torch.no_grad():
        for kind, L in GRID_CASES:
            grid = Grid(kind, L, L)
            xy = ((torch.rand(n_vectors, 2, generator=gen) * 2 - 1) * (L / 2)).to(dev)
            fsq = FSQ(2, levels=[L, L], project=False).to(dev)
            q2d2 = Q2D2(2, grid=kind, levels=[L, L], project=False).to(dev)
            t = _time({"fsq": lambda: fsq._snap(xy), "q2d2": lambda: q2d2._snap(xy),
                       "closed": lambda: grid.nearest(xy)}, dev, repeats)
            t_fsq, t_q2d2, t_closed = t["fsq"], t["q2d2"], t["closed"]
            t_brute = _time({"brute": lambda: brute_force_nearest(grid.points, xy)}, dev, 1)["brute"]
            config = f"{kind} {L}x{L}"
            row("fsq", f"levels [{L}, {L}]", L * L, t_fsq)
            ratio = t_q2d2 / t_fsq
            row("q2d2", config, grid.n_points, t_q2d2, fsq_ratio=ratio, fsq_target=FSQ_TARGET,
                met=ratio <= FSQ_TARGET)
            speedup = t_brute / t_closed
            big = grid.n_points >= BRUTE_MIN_POINTS
            row("q2d2 closed form", config, grid.n_points, t_closed, fsq_ratio=t_closed / t_fsq,
                brute_speedup=speedup, brute_target=BRUTE_TARGET if big else None,
                met=(speedup >= BRUTE_TARGET) if big else None)
            row("brute force", config, grid.n_points, t_brute)
        x = torch.randn(n_vectors, 8, generator=gen).to(dev)
        for k, stages in ((1024, 1), (256, 4)):
            books = [torch.randn(k, 8, generator=gen).to(dev) for _ in range(stages)]

            def search():
                residual = x
                for book in books:
                    residual = residual - book[nearest_code(residual, book)]
            row("vq" if stages == 1 else "rvq", f"{stages} x {k} codes, dim 8", k,
                _time({"search": search}, dev, 1)["search"])
    return rows


def format_table(rows: list[dict]) -> str:
    """Plain-text table of `run_quantizer_perf` rows with the ratios and whether targets are met."""
    def mark(r):
        if r.get("met") is None:
            return ""
        return "met" if r["met"] else "NOT met"

    lines = [f"{'quantizer':<17} {'config':<22} {'points':>6} {'seconds':>8} {'Mvec/s':>7} "
             f"{'x FSQ':>6} {'brute/closed':>12}  target"]
    for r in rows:
        fr = f"{r['fsq_ratio']:.2f}" if "fsq_ratio" in r else ""
        bs = f"{r['brute_speedup']:.1f}" if "brute_speedup" in r else ""
        target = ""
        if r["quantizer"] == "q2d2":
            target = f"<= {FSQ_TARGET:g}x FSQ: {mark(r)}"
        elif r.get("brute_target"):
            target = f">= {BRUTE_TARGET:g}x brute: {mark(r)}"
        lines.append(f"{r['quantizer']:<17} {r['config']:<22} {r['n_points']:>6} {r['seconds']:>8.4f} "
                     f"{r['vectors_per_s'] / 1e6:>7.2f} {fr:>6} {bs:>12}  {target}")
    devices = sorted({r["device"] for r in rows})
    lines.append(f"device: {', '.join(devices)}; {rows[0]['n_vectors'] if rows else 0} vectors per entry")
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_table(run_quantizer_perf()))
