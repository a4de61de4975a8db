"""`run_bench.py listen`: write the listening page of a suite that has been run.

`run_bench.py report --html` does the same after the tables and plots (so the
page shows them); `listen` alone rewrites only the page and its clips.
"""
from __future__ import annotations

import argparse


def add_html_args(p: argparse.ArgumentParser) -> None:
    """`--items`, shared by `listen` and `report --html`."""
    p.add_argument("--items", default=None, metavar="DS/ITEM,...",
                   help="comma-separated listening-grid items as dataset/item_id "
                        "(default: the suite's 'listen:' list, else 3 speech + 1 music + 1 noise)")


def items_arg(args: argparse.Namespace) -> list[str] | None:
    """The --items value as a list (None when not given)."""
    raw = getattr(args, "items", None)
    return [s.strip() for s in raw.split(",") if s.strip()] if raw else None


def roots_arg(args: argparse.Namespace) -> dict[str, str]:
    from bench.config import ConfigError
    roots = {}
    for spec in getattr(args, "dataset_root", None) or []:
        if "=" not in spec:
            raise ConfigError(f"--dataset-root expects NAME=PATH, got {spec!r}")
        name, path = spec.split("=", 1)
        roots[name] = path
    return roots


def cmd_listen(args: argparse.Namespace) -> int:
    from bench.config import ConfigError
    from bench.listening.page import write_listening_page
    from bench.paths import resolve
    from bench.runner import load_suite
    from pathlib import Path
    suite = load_suite(args.suite)
    out_dir = resolve(args.out) / suite.name
    if not (out_dir / "results.csv").is_file():
        raise ConfigError(f"{out_dir / 'results.csv'} does not exist; "
                          f"run `run_bench.py run --suite {args.suite}` first")
    page = write_listening_page(out_dir, items=items_arg(args), suite=suite, dataset_roots=roots_arg(args))
    print(f"listening page {Path(page)}")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("listen", help="static HTML page: sortable table, plots, listening grid")
    p.add_argument("--suite", default="default", help="suite name (suites/<name>.yaml) or path")
    p.add_argument("--out", default="reports", help="output root; the page goes to <out>/<suite>/index.html")
    add_html_args(p)
    p.add_argument("--dataset-root", action="append", default=[], metavar="NAME=PATH",
                   help="root folder of a user-provided dataset (repeatable)")
    p.set_defaults(func=cmd_listen)
