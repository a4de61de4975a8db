"""`run_bench.py perf`: benchmark the harness and print measured ratios vs targets."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

TARGETS = {
    "overhead": 0.10,          # suite wall (1 worker) / library time - 1
    "warm_rerun": 0.05,        # warm re-run wall / cold run wall
    "memory_growth": 1.25,     # peak RSS at the largest / smallest item count
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("perf", help="benchmark the harness (throughput, overhead, cache, memory, RTF)")
    p.add_argument("--quantizers", action="store_true", help="only the quantizer kernel benchmark")
    p.add_argument("--vectors", type=int, default=1_000_000, help="vectors for --quantizers")
    p.add_argument("--max-items", type=int, default=None, help="items of speech-16k for suite timings")
    p.add_argument("--scaling", default="30,100,300", help="item counts for the scaling run ('' to skip)")
    p.add_argument("--workers", type=int, default=None, help="'all cores' worker count (default: all)")
    p.add_argument("--device", default=None, help="also time codecs on this device (e.g. cuda)")
    p.add_argument("--out", default="reports/perf")
    p.set_defaults(func=run)


def _mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def run(args: argparse.Namespace) -> int:
    from bench.executors import default_workers
    from bench.paths import resolve
    from bench.provenance import build_provenance, write_provenance
    out = resolve(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    record: dict[str, Any] = {}
    if args.quantizers:
        return _quantizers(args, out)
    from bench.perf import harness
    workers = args.workers or default_workers()
    t = harness.suite_timings(workers, args.max_items)
    record["suite"] = t
    lib = t["library"]
    audio = t["audio_s"]
    lines += ["## Evaluation throughput (audio-seconds scored per wall-second)", "",
              f"Suite: {harness.PERF_SUITE['codecs']} x {harness.PERF_SUITE['datasets']} x "
              f"{harness.PERF_SUITE['metrics']}; {audio:.1f} s of audio per codec pass.", "",
              "| what | audio-s per s |", "|---|---|"]
    for m, s in lib["per_metric_s"].items():
        lines.append(f"| {m} (library alone, 1 core) | {audio / s:.1f} |" if s > 0 else f"| {m} | n/a |")
    lines.append(f"| whole suite, 1 worker (cold, incl. start-up) | {audio / t['cold_1_worker_s']:.2f} |")
    lines.append(f"| whole suite, {workers} workers (cold, incl. start-up) | {audio / t['cold_n_workers_s']:.2f} |")
    speedup = t["cold_1_worker_s"] / t["cold_n_workers_s"]
    eff = speedup / workers
    lines += ["", f"Parallel speed-up {speedup:.2f}x on {workers} workers: efficiency {eff:.0%}.", ""]
    overhead = t["cold_1_worker_s"] / lib["total_s"] - 1
    overhead_inner = t["cold_1_worker_inner_s"] / lib["total_s"] - 1
    warm = t["warm_rerun_s"] / t["cold_n_workers_s"]
    warm_inner = t["warm_rerun_inner_s"] / t["cold_n_inner_s"]
    lines += ["## Targets", "", "| figure | measured | target | |", "|---|---|---|---|",
              f"| harness overhead, 1 worker, whole process (wall / library time - 1) | {overhead:.1%} | "
              f"< {TARGETS['overhead']:.0%} | {_mark(overhead < TARGETS['overhead'])} |",
              f"| harness overhead, 1 worker, inside run_suite (no interpreter start) | {overhead_inner:.1%} | "
              f"< {TARGETS['overhead']:.0%} | {_mark(overhead_inner < TARGETS['overhead'])} |",
              f"| warm-cache re-run / cold run, whole process | {warm:.1%} | < {TARGETS['warm_rerun']:.0%} | "
              f"{_mark(warm < TARGETS['warm_rerun'])} |",
              f"| warm-cache re-run / cold run, inside run_suite | {warm_inner:.1%} | "
              f"< {TARGETS['warm_rerun']:.0%} | {_mark(warm_inner < TARGETS['warm_rerun'])} |", ""]
    lines += [f"Library time (codecs {lib['codec_s']:.2f} s + metrics "
              f"{sum(lib['per_metric_s'].values()):.2f} s) = {lib['total_s']:.2f} s; "
              f"suite with 1 worker {t['cold_1_worker_s']:.2f} s (inside run_suite "
              f"{t['cold_1_worker_inner_s']:.2f} s). Peak RSS {t['peak_rss_mib']:.0f} MiB.", ""]
    counts = tuple(int(c) for c in args.scaling.split(",") if c.strip())
    if counts:
        rows = harness.scaling(counts, workers)
        record["scaling"] = rows
        growth = rows[-1]["peak_rss_mib"] / rows[0]["peak_rss_mib"]
        lines += ["## Scaling with the number of items", "", "| items | wall s | s per item | peak RSS MiB |",
                  "|---|---|---|---|"]
        lines += [f"| {r['items']} | {r['seconds']:.1f} | {r['seconds'] / r['items']:.3f} | "
                  f"{r['peak_rss_mib']:.0f} |" for r in rows]
        lines += ["", f"Peak memory at {rows[-1]['items']} items / at {rows[0]['items']} items: {growth:.2f} "
                  f"(target < {TARGETS['memory_growth']}: {_mark(growth < TARGETS['memory_growth'])}).", ""]
        _scaling_plot(rows, out / "scaling.png")
        lines.append("![scaling](scaling.png)\n")
    rtf = harness.codec_rtf("cpu")
    if args.device and args.device != "cpu":
        rtf += harness.codec_rtf(args.device)
    record["codec_rtf"] = rtf
    lines += ["## Codec real-time factors (compute time / audio time; < 1 is faster than real time)", "",
              "| codec | device | encode RTF | decode RTF |", "|---|---|---|---|"]
    for r in rtf:
        if r["status"] == "ok":
            lines.append(f"| {r['codec']} | {r['device']} | {r['encode_rtf']:.4f} | {r['decode_rtf']:.4f} |")
        else:
            lines.append(f"| {r['codec']} | {r['device']} | unavailable | {r['message'][:60]} |")
    lines.append("")
    try:
        from bench.perf_quantizers import format_table, run_quantizer_perf
        q = run_quantizer_perf(n_vectors=args.vectors)
        record["quantizers"] = q
        lines += ["## Quantizer kernels", "", "```", format_table(q), "```", ""]
    except ImportError as exc:
        lines += [f"Quantizer benchmark not available: {exc}", ""]
    prov = build_provenance(command="perf", workers=workers)
    write_provenance(out / "provenance.json", prov)
    machine = prov["machine"]
    header = [f"# Harness performance", "",
              f"Machine: {machine['processor']}, {machine['cpus']} CPUs, {machine['memory_gib']} GiB; "
              f"Python {machine['python']}; torch {prov['packages']['torch']}; "
              f"git {prov['git']['commit'][:10]}{' (dirty)' if prov['git']['dirty'] else ''}; {prov['date']}.",
              ""]
    text = "\n".join(header + lines)
    (out / "perf.md").write_text(text + "\n")
    (out / "perf.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(text)
    return 0


def _quantizers(args: argparse.Namespace, out: Path) -> int:
    from bench.perf_quantizers import format_table, run_quantizer_perf
    rows = run_quantizer_perf(n_vectors=args.vectors)
    text = format_table(rows)
    (out / "quantizers.md").write_text("# Quantizer kernels\n\n```\n" + text + "\n```\n")
    print(text)
    return 0


def _scaling_plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(8, 3.2))
    n = [r["items"] for r in rows]
    ax[0].plot(n, [r["seconds"] for r in rows], "o-")
    ax[0].set(xlabel="items", ylabel="wall time (s)", title="run time")
    ax[1].plot(n, [r["peak_rss_mib"] for r in rows], "o-")
    ax[1].set(xlabel="items", ylabel="peak RSS (MiB)", title="peak memory", ylim=(0, None))
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
