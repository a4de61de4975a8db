"""Per-cell summaries of tidy results: mean, bootstrap CI and status counts.

A cell is one (dataset, codec, metric). Its mean and 95% CI use the rows with
status ok or warn; rows with other statuses are counted per status and their
`error` texts kept (deduplicated, sorted) so that every table can footnote
exactly what is missing and why. Dataset-level token statistics (item ==
TOKEN_ITEM) are cells of kind "token" holding one value each.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from bench.reports.grouping import GroupBy, operating_points
from bench.reports.metric_info import MetricInfo, resolve_metric_info
from bench.results import TOKEN_ITEM
from bench.statistics import bootstrap_ci

SCORED = ("ok", "warn")
EXCLUDED = ("unavailable", "error", "invalid")  # statuses whose rows carry no value
NOTED = ("warn",) + EXCLUDED                     # statuses that get footnotes, in this order
STATS = ("mean", "lo", "hi", "n", "n_rows") + tuple(f"n_{s}" for s in NOTED) \
    + tuple(f"why_{s}" for s in NOTED) + ("unit", "kind")


def select_dataset(df: pd.DataFrame, dataset: str | None) -> pd.DataFrame:
    """Rows of one dataset (all rows for None); an unknown name is an error listing the known ones."""
    if dataset is None:
        return df
    known = sorted(df["dataset"].unique())
    if dataset not in known:
        raise ValueError(f"dataset {dataset!r} not in results; datasets present: {known}")
    return df[df["dataset"] == dataset]


def _cell(rows: pd.DataFrame, seed: int, n_resamples: int, confidence: float) -> dict:
    # sorted by item so the bootstrap does not depend on the input row order
    scored = rows[rows["status"].isin(SCORED)].sort_values("item", kind="stable")
    values = scored["value"].to_numpy(dtype=np.float64)
    mean, lo, hi = bootstrap_ci(values, n_resamples=n_resamples, confidence=confidence, seed=seed)
    out = dict(mean=mean, lo=lo, hi=hi, n=int(values.size), n_rows=int(len(rows)))
    for status in NOTED:
        sel = rows[rows["status"] == status]
        out[f"n_{status}"] = int(len(sel))
        out[f"why_{status}"] = "\n".join(sorted({e.strip() for e in sel["error"] if e.strip()}))
    units = sorted({u for u in rows["unit"].astype(str) if u and u != "nan"})
    out["unit"] = units[0] if len(units) == 1 else "/".join(units)
    return out


def summarize_cells(df: pd.DataFrame, *, dataset: str | None = None, seed: int = 0,
                    n_resamples: int = 10_000, confidence: float = 0.95) -> pd.DataFrame:
    """Long summary: one row per (dataset, codec, metric) with `STATS` and `kind`.

    Args:
        df: tidy results (`bench.results.read_results`).
        dataset: restrict to one dataset.
        seed: bootstrap seed (the same for every cell, so tables regenerate exactly).
        n_resamples: bootstrap resamples.
        confidence: CI coverage.

    Raises:
        ValueError: a metric appears both per item and as a token statistic.
    """
    df = select_dataset(df, dataset)
    is_token = df["item"] == TOKEN_ITEM
    both = sorted(set(df.loc[is_token, "metric"]) & set(df.loc[~is_token, "metric"]))
    if both:
        raise ValueError(f"metric(s) {both} appear both per item and as token statistics")
    records = []
    for (ds, codec, metric), rows in df.groupby(["dataset", "codec", "metric"], sort=True):
        kind = "token" if (rows["item"] == TOKEN_ITEM).all() else "quality"
        records.append(dict(dataset=ds, codec=codec, metric=metric, kind=kind,
                            **_cell(rows, seed, n_resamples, confidence)))
    return pd.DataFrame(records, columns=["dataset", "codec", "metric", *STATS])


def metric_order(cells: pd.DataFrame, info: Mapping[str, MetricInfo]) -> list[str]:
    """Token statistics first, then quality metrics; each in table order, unknown names last (sorted)."""
    rank = {name: i for i, name in enumerate(info)}
    kinds = cells.drop_duplicates("metric").set_index("metric")["kind"]
    return sorted(kinds.index, key=lambda m: (kinds[m] != "token", rank.get(m, len(rank)), m))


def _empty_cell(kind: str) -> dict:
    cell = {s: 0 for s in STATS}
    cell.update(mean=math.nan, lo=math.nan, hi=math.nan, unit="", kind=kind)
    cell.update({f"why_{s}": "" for s in NOTED})
    return cell


def summary_table(df: pd.DataFrame, dataset: str | None = None,
                  metric_info: Mapping | None = None, seed: int = 0, *,
                  group_by: GroupBy = None, n_resamples: int = 10_000,
                  confidence: float = 0.95) -> pd.DataFrame:
    """Wide summary: one row per (dataset, codec operating point).

    Columns: dataset, codec, family, group, bitrate_kbps, token_rate,
    frame_rate, is_reference, then for every metric ``<metric>.<stat>`` for
    stat in `STATS` (mean, lo, hi, n, n_rows, n_warn, n_unavailable, n_error,
    n_invalid, why_*, unit, kind: "quality" or "token"). A (codec, metric) with no rows at all has
    n_rows == 0. Rows follow `operating_points` order within each dataset.

    Args:
        df: tidy results.
        dataset: one dataset, or None for all.
        metric_info: overrides of the built-in metric table (column order only here).
        seed: bootstrap seed.
        group_by: see `bench.reports.grouping.operating_points`.
        n_resamples: bootstrap resamples.
        confidence: CI coverage.
    """
    info = resolve_metric_info(metric_info)
    df = select_dataset(df, dataset)
    cells = summarize_cells(df, seed=seed, n_resamples=n_resamples, confidence=confidence)
    ops = operating_points(df, group_by)
    metrics = metric_order(cells, info)
    kinds = dict(zip(cells["metric"], cells["kind"]))
    by_key = {(r.dataset, r.codec, r.metric): r._asdict() for r in cells.itertuples(index=False)}
    records = []
    for ds in sorted(df["dataset"].unique()):
        present = set(df.loc[df["dataset"] == ds, "codec"])
        for op in ops.itertuples(index=False):
            if op.codec not in present:
                continue
            record = dict(dataset=ds, **op._asdict())
            for m in metrics:
                cell = by_key.get((ds, op.codec, m)) or _empty_cell(kinds[m])
                record.update({f"{m}.{s}": cell[s] for s in STATS})
            records.append(record)
    columns = ["dataset", *ops.columns] + [f"{m}.{s}" for m in metrics for s in STATS]
    table = pd.DataFrame(records, columns=columns)
    table.attrs.update(seed=seed, n_resamples=n_resamples, confidence=confidence)
    return table


def table_metrics(table: pd.DataFrame) -> list[str]:
    """Metric names of a wide summary table, in column order."""
    return [c[:-len(".mean")] for c in table.columns if c.endswith(".mean")]
