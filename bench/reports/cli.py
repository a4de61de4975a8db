"""Report subcommands beyond `report` and `compare`: ``run_bench.py stability``.

`add_parser(subparsers)` mounts them on the main CLI (`bench.cli.EXTENSIONS`).
"""
from __future__ import annotations

import argparse
import shlex

from bench.config import ConfigError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "stability", help="ranking stability across training length, from seed suites of one rung",
        description="Compare seed suites of one rung trained for different lengths (shortest first): "
                    "each family's seed-aware verdict against the suites' seed_reference at every length, "
                    "the order of the families, and how much each family still changed. Writes "
                    "<out>/<name>/stability.md, stability.csv, stability-change.csv and plots.")
    p.add_argument("--suite", action="append", required=True, metavar="SUITE",
                   help="a seed suite that has been run and has seed_reference (repeat, shortest training first)")
    p.add_argument("--label", action="append", default=[], metavar="TEXT",
                   help="label of each suite's training length, e.g. '2000 steps' (default: the suite names)")
    p.add_argument("--name", required=True, help="report folder name under --out, e.g. stability-800")
    p.add_argument("--out", default="reports")
    p.set_defaults(func=cmd_stability)


def cmd_stability(args: argparse.Namespace) -> int:
    from bench.paths import resolve
    from bench.reports.report import stability_report
    from bench.runner import load_suite
    if args.label and len(args.label) != len(args.suite):
        raise ConfigError(f"give one --label per --suite ({len(args.suite)} suites, {len(args.label)} labels)")
    labels = args.label or list(args.suite)
    tiers = []
    for label, name in zip(labels, args.suite):
        suite = load_suite(name)
        if not suite.seed_reference:
            raise ConfigError(f"suite {name!r} has no seed_reference: it is not a seed suite")
        results = resolve(args.out) / suite.name / "results.csv"
        if not results.is_file():
            raise ConfigError(f"{results} does not exist; run `run_bench.py run --suite {name}` first")
        tiers.append((label, results, suite.seed_reference))
    command = "python run_bench.py stability " + " ".join(
        f"--suite {shlex.quote(s)} --label {shlex.quote(lab)}" for s, lab in zip(args.suite, labels)) \
        + f" --name {shlex.quote(args.name)}"
    try:
        written = stability_report(tiers, resolve(args.out) / args.name, command=command)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    for kind, path in sorted(written.items()):
        print(f"{kind:<28} {path}")
    return 0
