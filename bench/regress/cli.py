"""`run_bench.py regress` (is the candidate worse than the baseline?) and `run_bench.py golden`.

Exit codes of ``regress``: 0 no regression, 1 regression (a metric regressed
or a rate changed undeclared), 2 error or missing data (the reason is printed).
Every error, including unexpected ones, exits 2, never 1, so CI can tell "the
candidate is worse" from "the check could not run".
"""
from __future__ import annotations

import argparse
import sys

from bench.regress.rates import RATE_FIELDS
from bench.regress.scoring import DEFAULT_OUT

DEFAULT_REPORT_DIR = "reports/regress"


def _error(exc: BaseException) -> int:
    from bench.config import ConfigError
    from bench.registry import UnknownNameError
    from bench.regress.core import RegressError
    known = (ConfigError, UnknownNameError, RegressError)
    try:
        from bench.datasets import DatasetError
        from bench.runner import PreflightError, RunLockedError
        known += (DatasetError, PreflightError, RunLockedError)
    except ImportError:
        pass
    text = str(exc) if isinstance(exc, known) else f"{type(exc).__name__}: {exc}"
    print(f"error: {text}", file=sys.stderr)
    return 2


def _metric_list(text: str | None) -> tuple[str, ...] | None:
    return tuple(m.strip() for m in text.split(",") if m.strip()) if text else None


def cmd_regress(args: argparse.Namespace) -> int:
    from bench.cli import _run_options
    from bench.regress.core import RegressRequest, run_regression
    from bench.regress.report import to_markdown, write_report
    try:
        opts = _run_options(args)
        req = RegressRequest(
            baseline=args.baseline, candidate=args.candidate, suite=args.suite,
            metrics=_metric_list(args.metrics), tolerances=args.tolerances,
            declared=tuple(args.declare_change), baseline_codec=args.baseline_codec,
            candidate_codec=args.candidate_codec, candidate_config=args.candidate_config,
            resamples=args.resamples, seed=args.seed, allow_missing=args.allow_missing,
            fail_on_inconclusive=args.fail_on_inconclusive)
        report = run_regression(req, opts)
        written = write_report(report, args.report_dir)
    except Exception as exc:   # any failure to check is exit 2, never 1
        return _error(exc)
    if not args.quiet:
        print(to_markdown(report))
    for kind, path in sorted(written.items()):
        print(f"{kind:<9} {path}", file=sys.stderr)
    return report.exit_code


def cmd_golden(args: argparse.Namespace) -> int:
    from bench.cli import _run_options
    from bench.regress.golden import refresh_golden
    try:
        written = refresh_golden(_run_options(args), dataset=args.dataset, metrics=_metric_list(args.metrics),
                                 golden_root=args.golden_root, codecs=_metric_list(args.codecs))
    except Exception as exc:
        return _error(exc)
    for kind, path in sorted(written.items()):
        print(f"{kind:<11} {path}")
    return 0


def add_parser(subparsers) -> None:
    """Add the ``regress`` and ``golden`` subcommands to bench.cli."""
    from bench.cli import _add_run_args
    p = subparsers.add_parser(
        "regress", help="is a retrained codec worse than its baseline? (exit 0 ok, 1 regression, 2 error)",
        description="Score baseline and candidate on the same items, pair the scores per item, and give "
                    "each metric a paired-bootstrap CI and a verdict (improved, unchanged, regressed, "
                    "inconclusive). See docs/regression.md.")
    p.add_argument("--baseline", required=True,
                   help="results.csv (or its folder, e.g. reports/golden/speech-16k), codec name, or checkpoint")
    p.add_argument("--candidate", required=True, help="checkpoint (.pt), codec name, or results.csv")
    p.add_argument("--metrics", default=None, help="comma-separated metric names (default: the suite's)")
    p.add_argument("--tolerances", default=None, help="tolerance YAML (default: bench/regress/tolerances.yaml)")
    p.add_argument("--declare-change", action="append", default=[], choices=sorted(RATE_FIELDS),
                   help="the candidate changes this rate on purpose (repeatable)")
    p.add_argument("--baseline-codec", default=None, help="codec to take from a multi-codec baseline results file")
    p.add_argument("--candidate-codec", default=None, help="codec to take from a candidate results file")
    p.add_argument("--candidate-config", default=None, help="training YAML of a checkpoint candidate")
    p.add_argument("--resamples", type=int, default=None, help="bootstrap resamples (default: tolerance file's)")
    p.add_argument("--seed", type=int, default=None, help="bootstrap seed (default: tolerance file's)")
    p.add_argument("--allow-missing", action="store_true",
                   help="compare the remaining pairs when items are missing or failed (still listed)")
    p.add_argument("--fail-on-inconclusive", action="store_true", help="exit 1 on an inconclusive metric")
    p.add_argument("--report-dir", default=DEFAULT_REPORT_DIR, help="where regress.md/.json/.png go")
    p.add_argument("--quiet", action="store_true", help="do not print the Markdown summary")
    _add_run_args(p)
    p.set_defaults(func=cmd_regress, out=DEFAULT_OUT, suite="regress")

    g = subparsers.add_parser(
        "golden", help="refresh the committed golden baselines (reports/golden/<dataset>/)",
        description="Score every shipped checkpoint and reference codec whose weights are present on a "
                    "dataset and write results.csv + provenance.json into reports/golden/<dataset>/.")
    g.add_argument("--dataset", default="speech-16k")
    g.add_argument("--metrics", default=None, help="comma-separated (default: the golden metric set)")
    g.add_argument("--codecs", default=None, help="comma-separated codec names (default: all with weights)")
    g.add_argument("--golden-root", default="reports/golden")
    g.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    g.add_argument("--executor", default="local", choices=["local", "serial", "dask"])
    g.add_argument("--device", default=None, help="cpu, cuda or auto (default: $BENCH_DEVICE or auto)")
    g.add_argument("--no-progress", action="store_true", help="hide progress bars")
    g.set_defaults(func=cmd_golden, out=DEFAULT_OUT, dask_address=None, dataset_root=[], max_items=None)
