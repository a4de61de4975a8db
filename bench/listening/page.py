"""Write `reports/<suite>/index.html`: table, plots and listening grid, offline.

    write_listening_page(Path("reports/default"))

The page is rendered with Jinja2 from the tidy results (`results.csv`), the
runner's decoded-audio cache and the report's plots (`plots/*.png`, written by
`bench.reports.write_report`). Everything it links to lives in the same folder
(`listening/` holds the clips, rewritten on every call), so the folder can be
zipped or opened from disk with no server; the only script is a small inline
column sorter, no framework and no CDN.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import jinja2
import pandas as pd

from bench.config import SuiteSpec
from bench.listening.clips import locate_sources
from bench.listening.grid import CLIPS_DIR, build_grid
from bench.listening.selection import ItemRef, default_items, parse_items
from bench.listening.table import html_tables
from bench.results import STATUSES, TOKEN_ITEM, read_results

PAGE = "index.html"


@dataclass(frozen=True)
class Plot:
    name: str
    path: str      # relative to the page


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("bench.listening", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def choose_items(results: pd.DataFrame, requested: Sequence[str] | None) -> list[ItemRef]:
    """The grid's items: `requested` ("dataset/item_id"), else the default rule."""
    item_rows = results[results["item"] != TOKEN_ITEM]
    available = {ds: sorted(g["item"].unique()) for ds, g in item_rows.groupby("dataset")}
    if requested:
        return parse_items(requested, available)
    return default_items(available)


def _plots(suite_dir: Path) -> list[Plot]:
    found = sorted([*(suite_dir / "plots").glob("*.png"), *suite_dir.glob("*.png")],
                   key=lambda p: (not p.stem.startswith("rd_"), p.name))   # rate-distortion first
    return [Plot(p.stem.replace("_", " "), p.relative_to(suite_dir).as_posix()) for p in found]


def _provenance(suite_dir: Path) -> list[tuple[str, str]]:
    path = suite_dir / "provenance.json"
    if not path.is_file():
        return [("provenance", "missing")]
    record = json.loads(path.read_text(encoding="utf-8"))
    git = record.get("git") or {}
    pairs = [("commit", str(git.get("commit", "unknown"))[:12] + (" (dirty)" if git.get("dirty") else "")),
             ("run", str(record.get("date", "unknown"))), ("device", str(record.get("device", "unknown")))]
    return pairs


def _status_line(results: pd.DataFrame) -> str:
    counts = results["status"].value_counts()
    return f"{len(results)} result rows: " + ", ".join(f"{s} {int(counts.get(s, 0))}" for s in STATUSES)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_listening_page(suite_dir: str | Path, *, items: Sequence[str] | None = None,
                         table_df: pd.DataFrame | None = None, suite: SuiteSpec | None = None,
                         dataset_roots: dict[str, str] | None = None) -> Path:
    """Write `<suite_dir>/index.html` and its clips; returns the page path.

    Args:
        suite_dir: a suite's output folder (holds results.csv, cache/, plots/).
        items: grid items as "dataset/item_id" (or bare unique item ids);
            default: the suite's `listen:` list, else `selection.default_items`.
        table_df: the `bench.reports.summary.summary_table` of the results, if
            already computed (saves the bootstrap).
        suite: the suite the results came from (default: `load_suite(suite_dir.name)`).
        dataset_roots: roots of user-provided datasets (as for `run --dataset-root`).

    Raises:
        FileNotFoundError: no results.csv in `suite_dir`.
        bench.config.ConfigError: a requested item is not in the results.
        bench.runner.PreflightError: the suite's codecs or datasets cannot be resolved.
    """
    from bench.runner import load_suite
    suite_dir = Path(suite_dir)
    results_csv = suite_dir / "results.csv"
    if not results_csv.is_file():
        raise FileNotFoundError(f"{results_csv} does not exist; run `run_bench.py run --suite "
                                f"{suite_dir.name}` first")
    results = read_results(results_csv)
    suite = suite or load_suite(suite_dir.name)
    refs = choose_items(results, items or suite.listen)
    sources = locate_sources(suite, suite_dir, dataset_roots)
    shutil.rmtree(suite_dir / CLIPS_DIR, ignore_errors=True)
    grid = build_grid(results[results["item"] != TOKEN_ITEM], refs, sources, suite_dir)
    html = _environment().get_template("page.html.j2").render(
        title=f"{suite.name}: codec listening report", description=suite.description,
        status_line=_status_line(results), provenance=_provenance(suite_dir),
        tables=html_tables(results, table_df), plots=_plots(suite_dir), grid=grid)
    page = suite_dir / PAGE
    _write_atomic(page, html)
    return page
