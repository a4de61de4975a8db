"""Command-line interface: `python run_bench.py <command> ...`.

Commands: list, run, report, compare, stability, train, perf, robustness, regress,
listen.
Each command is a small function; heavy imports happen inside them so that
`--help` and `list` stay fast.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.config import ConfigError


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--suite", default="default", help="suite name (suites/<name>.yaml) or path")
    p.add_argument("--out", default="reports", help="output root; results go to <out>/<suite>/")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--executor", default="local", choices=["local", "serial", "dask"])
    p.add_argument("--dask-address", default=None, help="scheduler address for --executor dask")
    p.add_argument("--device", default=None, help="cpu, cuda or auto (default: $BENCH_DEVICE or auto)")
    p.add_argument("--max-items", type=int, default=None, help="use only the first N items per dataset")
    p.add_argument("--dataset-root", action="append", default=[], metavar="NAME=PATH",
                   help="root folder of a user-provided dataset (repeatable)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _run_options(args: argparse.Namespace):
    from bench.device import pick_device
    from bench.runner import RunOptions
    roots = {}
    for spec in args.dataset_root:
        if "=" not in spec:
            raise ConfigError(f"--dataset-root expects NAME=PATH, got {spec!r}")
        name, path = spec.split("=", 1)
        roots[name] = path
    return RunOptions(out_root=args.out, workers=args.workers, executor=args.executor,
                      dask_address=args.dask_address, device=str(pick_device(args.device)),
                      dataset_roots=roots, max_items=args.max_items, progress=not args.no_progress)


def cmd_list(args: argparse.Namespace) -> int:
    from bench.codecs import describe_spec, load_codec_specs
    from bench.datasets import load_datasets
    import bench.metrics  # noqa: F401  (registers the metrics)
    from bench.registry import METRICS
    print(f"{'codec':<22} {'family':<9} {'kbit/s':>9} {'tokens/s':>9} {'in Hz':>6} {'out Hz':>6}  weights")
    for spec in load_codec_specs():
        try:
            d = describe_spec(spec)
            print(f"{spec.name:<22} {spec.family:<9} {d['nominal_bitrate'] / 1000:>9.4f} "
                  f"{d['token_rate']:>9.2f} {d['sample_rate']:>6} {d['output_sample_rate']:>6}  {d['weights']}")
        except Exception as exc:
            print(f"{spec.name:<22} {spec.family:<9} error: {exc}")
    print("\ndatasets:")
    for ds in load_datasets():
        where = ds.root or f"${ds.root_env}"
        print(f"  {ds.name:<24} {where:<22} {ds.description}")
    print("\nmetrics:")
    for name in METRICS.names():
        m = METRICS.get(name).spec
        arrow = "higher better" if m.higher_is_better else "lower better"
        print(f"  {name:<13} {m.unit:<8} {arrow:<13} {'ref' if m.needs_reference else 'no-ref':<6} "
              f"{(str(m.sample_rate) + ' Hz') if m.sample_rate else 'any rate':<9} {m.description}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bench.runner import load_suite, run_suite
    suite = load_suite(args.suite)
    summary = run_suite(suite, _run_options(args))
    counts = ", ".join(f"{k}={v}" for k, v in sorted(summary.status_counts.items()))
    print(f"{summary.n_rows} rows ({counts}) from {summary.n_tasks} tasks "
          f"({summary.n_cached} cached) in {summary.seconds:.1f} s -> {summary.results}")
    if args.report:
        return cmd_report(args)
    return 0


def _results_of(args: argparse.Namespace) -> tuple[Path, Path]:
    """(suite output folder, results.csv); ConfigError if the suite has not been run."""
    from bench.paths import resolve
    out_dir = resolve(args.out) / Path(args.suite).stem
    results = out_dir / "results.csv"
    if not results.is_file():
        raise ConfigError(f"{results} does not exist; run `run_bench.py run --suite {args.suite}` first")
    return out_dir, results


def cmd_report(args: argparse.Namespace) -> int:
    from bench.reports import write_report
    from bench.report_inputs import gather_extras, suite_report_options
    from bench.runner import load_suite
    out_dir, results = _results_of(args)
    suite = load_suite(args.suite)
    extra = suite_report_options(suite)
    if not args.no_extras:
        try:
            extra.update(gather_extras(suite, out_dir))
        except Exception as exc:   # the tables do not depend on the cache
            print(f"warning: usage/occupancy/spectrogram plots skipped ({exc})", file=sys.stderr)
    written = write_report(results, out_dir, extra=extra)
    if getattr(args, "html", False):   # after the plots, so the page shows them
        from bench.listening import write_listening_page
        from bench.listening.cli import items_arg
        from bench.runner import load_suite
        written["html"] = write_listening_page(out_dir, items=items_arg(args), suite=load_suite(args.suite))
    for kind, path in sorted(written.items()):
        print(f"{kind:<14} {path}")
    return 0


# Modules that add their own subcommands: each defines add_parser(subparsers),
# registering a handler with `set_defaults(func=handler)`; handler(args) -> exit code.
EXTENSIONS = ("bench.reports.cli", "bench.train.cli", "bench.robustness.cli", "bench.regress.cli",
              "bench.perf.cli", "bench.listening.cli")


def cmd_compare(args: argparse.Namespace) -> int:
    from bench.reports import compare_report
    out_dir, results = _results_of(args)
    written = compare_report(results, out_dir, args.target_kbps, reference=args.reference, name=args.name)
    for kind, path in sorted(written.items()):
        print(f"{kind:<14} {path}")
    print(written[f"{args.name}.md"].read_text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    import importlib
    parser = argparse.ArgumentParser(prog="run_bench.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="codecs (bitrate, token rate, weights), datasets, metrics"
                   ).set_defaults(func=cmd_list)
    p = sub.add_parser("run", help="score a suite; writes reports/<suite>/results.csv")
    _add_run_args(p)
    p.add_argument("--report", action="store_true", help="also write the report afterwards")
    p.add_argument("--no-extras", action="store_true", help="with --report: skip plots that need the cache")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("report", help="tables and plots from reports/<suite>/results.csv")
    p.add_argument("--suite", default="default")
    p.add_argument("--out", default="reports")
    p.add_argument("--no-extras", action="store_true",
                   help="only tables and score plots (skip plots that need the run's cache)")
    p.add_argument("--html", action="store_true",
                   help="also write <out>/<suite>/index.html: sortable table, plots, listening grid")
    from bench.listening.cli import add_html_args
    add_html_args(p)   # --items
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("compare", help="matched-bitrate comparison with paired significance")
    p.add_argument("--suite", default="default")
    p.add_argument("--out", default="reports")
    p.add_argument("--target-kbps", type=float, nargs="+", required=True, help="target bitrates (kbit/s)")
    p.add_argument("--reference", default=None, help="family to test the others against (default: best)")
    p.add_argument("--name", default="compare",
                   help="file stem in the suite's report folder: <name>.md and <name>.csv (default: compare)")
    p.set_defaults(func=cmd_compare)
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):   # feature not in this tree
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bench.runner import PreflightError, RunLockedError
    from bench.registry import UnknownNameError
    from bench.datasets import DatasetError
    try:
        return args.func(args)
    except (ConfigError, PreflightError, RunLockedError, UnknownNameError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished work is cached, re-run the same command to resume", file=sys.stderr)
        return 130
