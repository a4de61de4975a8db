"""Matched-bitrate comparison: each family's operating point nearest a target.

For every dataset, target bitrate and group (see `grouping`), the operating
point whose bitrate is nearest the target on a log scale is picked (a tie
goes to the lower bitrate); a group whose nearest point is more than
`max_ratio` times off is listed as out of range, not dropped. Per metric, each
pick is compared with the reference (the best pick for that metric, or the
pick of a chosen reference group) by a paired bootstrap over the items both
scored; items scored by only one side are counted in the row.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from bench.reports.formatting import fmt_fixed, fmt_sig, pipe_table
from bench.reports.grouping import GroupBy, operating_points
from bench.reports.metric_info import header_label, in_table_order, info_for, resolve_metric_info
from bench.reports.summary import SCORED, select_dataset
from bench.results import TOKEN_ITEM
from bench.statistics import bootstrap_ci, paired_bootstrap

COLUMNS = ["dataset", "target_kbps", "group", "codec", "bitrate_kbps", "ratio", "in_range",
           "metric", "mean", "lo", "hi", "n", "reference_codec", "diff", "diff_lo", "diff_hi",
           "p_value", "effect_size", "n_pairs", "n_unpaired", "significant", "note"]


def pick_nearest(ops: pd.DataFrame, target_kbps: float) -> pd.Series:
    """The operating point (row of `ops`) nearest `target_kbps` in log bitrate; ties -> lower."""
    if target_kbps <= 0:
        raise ValueError(f"target bitrate must be positive, got {target_kbps} kbit/s")
    dist = np.abs(np.log(ops["bitrate_kbps"].to_numpy(dtype=float) / target_kbps))
    keys = [(round(float(d), 12), float(b), str(c))
            for d, b, c in zip(dist, ops["bitrate_kbps"], ops["codec"])]
    return ops.iloc[min(range(len(keys)), key=keys.__getitem__)]


def item_scores(df: pd.DataFrame, codec: str, metric: str) -> pd.Series:
    rows = df[(df["codec"] == codec) & (df["metric"] == metric) & df["status"].isin(SCORED)]
    return rows.set_index("item")["value"].astype(float).sort_index()


def _why_unscored(df: pd.DataFrame, codec: str, metric: str) -> str:
    """'no scored items' plus the statuses and reasons of the rows there are."""
    rows = df[(df["codec"] == codec) & (df["metric"] == metric)]
    if rows.empty:
        return "no scored items (no result rows)"
    parts = []
    for status, sel in rows.groupby("status", sort=True):
        reasons = sorted({e for e in sel["error"] if e})
        parts.append(f"{len(sel)} {status}" + (f": {reasons[0]}" if reasons else "")
                     + (f" (+{len(reasons) - 1} other reasons)" if len(reasons) > 1 else ""))
    return "no scored items (" + "; ".join(parts) + ")"


def _reference(picks: pd.DataFrame, scores: dict, higher: bool | None, reference: str | None):
    """Codec name of the reference pick for one metric, or None with a reason."""
    if reference is not None:
        hit = picks[picks["group"] == reference]
        if hit.empty or not bool(hit.iloc[0]["in_range"]):
            return None, f"reference group {reference!r} has no operating point in range"
        codec = hit.iloc[0]["codec"]
        return (codec, "") if len(scores[codec]) else (None, f"reference {codec} has no scored items")
    if higher is None:
        return None, "metric has no direction; no best"
    in_range = picks.set_index("codec")["in_range"]
    cands = [(float(s.mean()) * (-1 if higher else 1), c) for c, s in scores.items()
             if len(s) and bool(in_range[c])]
    if not cands:
        return None, "no scored operating point in range"
    return min(cands)[1], ""


def _compare_one(a: pd.Series, b: pd.Series, n_resamples: int, seed: int, confidence: float,
                 alpha: float) -> dict:
    shared = a.index.intersection(b.index)
    unpaired = len(a.index.symmetric_difference(b.index))
    res = paired_bootstrap(a.loc[shared].to_numpy(), b.loc[shared].to_numpy(),
                           n_resamples=n_resamples, seed=seed, confidence=confidence)
    note = "" if unpaired == 0 else f"{unpaired} item(s) scored by only one side; compared on {len(shared)} shared"
    if len(shared) == 0:
        note = "no shared items with the reference"
    return dict(diff=res.mean_diff, diff_lo=res.lo, diff_hi=res.hi, p_value=res.p_value,
                effect_size=res.effect_size, n_pairs=res.n, n_unpaired=unpaired,
                significant=res.significant(alpha), note=note)


def matched_bitrate(df: pd.DataFrame, targets_kbps: Sequence[float], metric_info: Mapping | None = None,
                    seed: int = 0, *, dataset: str | None = None, reference: str | None = None,
                    group_by: GroupBy = None, metrics: Sequence[str] | None = None,
                    max_ratio: float = 2.0, n_resamples: int = 10_000, confidence: float = 0.95,
                    alpha: float = 0.05) -> pd.DataFrame:
    """One row per (dataset, target, group, metric); columns `COLUMNS`.

    Args:
        df: tidy results.
        targets_kbps: target bitrates in kbit/s.
        metric_info: overrides of the built-in metric table (directions).
        seed: bootstrap seed.
        dataset: restrict to one dataset.
        reference: group to compare against; default: the best pick per metric.
        group_by: see `grouping.operating_points`.
        metrics: quality metrics (default: all per-item metrics present).
        max_ratio: a pick more than this factor from the target is out of range
            (reported with note, no statistics).
        n_resamples, confidence, alpha: bootstrap settings; `significant` is
            p_value < alpha.

    Returns:
        Rows in (dataset, target order, group order, metric order). The
        reference row has diff 0 and note "reference".
    """
    if max_ratio < 1:
        raise ValueError(f"max_ratio must be >= 1, got {max_ratio}")
    info = resolve_metric_info(metric_info)
    df = select_dataset(df, dataset)
    per_item = df[df["item"] != TOKEN_ITEM]
    present = in_table_order(per_item["metric"], info)
    metrics = present if metrics is None else list(metrics)
    missing = [m for m in metrics if m not in present]
    if missing:
        raise ValueError(f"metric(s) {missing} not in the results; present: {present}")
    ops = operating_points(df, group_by)
    if reference is not None and reference not in set(ops["group"]):
        raise ValueError(f"reference group {reference!r} not found; groups: {sorted(set(ops['group']))}")
    records = []
    for ds in sorted(df["dataset"].unique()):
        data = per_item[per_item["dataset"] == ds]
        ds_ops = ops[ops["codec"].isin(set(df.loc[df["dataset"] == ds, "codec"]))]
        for target in targets_kbps:
            picks = pd.DataFrame([pick_nearest(g, float(target)) for _, g in ds_ops.groupby("group", sort=False)])
            picks["ratio"] = picks["bitrate_kbps"] / float(target)
            picks["in_range"] = np.maximum(picks["ratio"], 1 / picks["ratio"]) <= max_ratio
            for metric in metrics:
                mi = info_for(info, metric)
                scores = {c: item_scores(data, c, metric) for c in picks["codec"]}
                ref, ref_note = _reference(picks, scores, mi.higher_is_better, reference)
                for p in picks.itertuples(index=False):
                    rec = pick_record(ds, float(target), p, metric, scores, ref, ref_note,
                                  max_ratio, n_resamples, seed, confidence, alpha)
                    if rec["in_range"] and rec["n"] == 0:
                        rec["note"] = _why_unscored(data, p.codec, metric)
                    records.append(rec)
    return pd.DataFrame(records, columns=COLUMNS)


def pick_record(ds, target, p, metric, scores, ref, ref_note, max_ratio, n_resamples, seed,
                confidence, alpha) -> dict:
    """One `COLUMNS` row: pick `p` (group, codec, bitrate_kbps, ratio, in_range) on `metric`,
    its bootstrap CI and its paired test against `ref` (None: no test; `ref_note` says why)."""
    base = dict(dataset=ds, target_kbps=target, group=p.group, codec=p.codec,
                bitrate_kbps=p.bitrate_kbps, ratio=p.ratio, in_range=bool(p.in_range), metric=metric)
    nan_stats = dict(mean=math.nan, lo=math.nan, hi=math.nan, n=0, reference_codec=ref or "",
                     diff=math.nan, diff_lo=math.nan, diff_hi=math.nan, p_value=math.nan,
                     effect_size=math.nan, n_pairs=0, n_unpaired=0, significant=False)
    if not p.in_range:
        return {**base, **nan_stats, "note": f"no operating point within {fmt_sig(max_ratio)}x of the target "
                                             f"(nearest: {p.codec} at {fmt_sig(p.bitrate_kbps)} kbit/s)"}
    s = scores[p.codec]
    mean, lo, hi = bootstrap_ci(s.to_numpy(), n_resamples=n_resamples, confidence=confidence, seed=seed)
    out = {**base, **nan_stats, "mean": mean, "lo": lo, "hi": hi, "n": len(s)}
    if len(s) == 0:
        return {**out, "note": "no scored items"}  # the caller adds the reasons
    if ref is None:
        return {**out, "note": ref_note}
    if p.codec == ref:
        return {**out, "diff": 0.0, "diff_lo": 0.0, "diff_hi": 0.0, "n_pairs": len(s), "note": "reference"}
    return {**out, **_compare_one(s, scores[ref], n_resamples, seed, confidence, alpha)}


def compare_markdown(cmp: pd.DataFrame, metric_info: Mapping | None = None, *,
                     heading_level: int = 3, alpha: float = 0.05) -> str:
    """Markdown tables of a `matched_bitrate` frame: one per (dataset, target).

    Cells read "mean [lo, hi]"; the reference is bold; "n.s." marks a
    difference from it that is not significant; "—" is a family without an
    operating point in range. A metric no operating point could score becomes
    a note instead of a column; all other row notes (out of range, unpaired
    items) are listed under each table.
    """
    info = resolve_metric_info(metric_info)
    parts = []
    for (ds, target), block in cmp.groupby(["dataset", "target_kbps"], sort=False):
        notes, metrics = [], []
        for m, rows_m in block.groupby("metric", sort=False):
            scored = rows_m[rows_m["in_range"] & (rows_m["n"] > 0)]
            if scored.empty:
                why = sorted(set(rows_m.loc[rows_m["in_range"], "note"])) or ["no operating point in range"]
                notes.append(f"{info_for(info, m).label}: not shown; " + "; ".join(why))
            else:
                metrics.append(m)
        header = ["Family", "Codec", "kbit/s"] + [header_label(info, m) for m in metrics]
        rows = []
        for (group, codec), rows_g in block.groupby(["group", "codec"], sort=False):
            cells = [str(group), str(codec), fmt_sig(rows_g.iloc[0]["bitrate_kbps"])]
            if not rows_g.iloc[0]["in_range"]:
                notes.append(f"{group}: {rows_g.iloc[0]['note']}")
            rows.append(cells + metric_cells(rows_g, metrics, info, str(group), notes))
        parts += table_block("#" * heading_level + f" {ds} at {fmt_sig(target)} kbit/s\n", header, rows,
                             ["l", "l", "r"] + ["r"] * len(metrics),
                             "Mean [95% CI] over items. **Bold**: best operating point per metric "
                             "(or the chosen reference). n.s.: not significantly different from it "
                             f"(paired bootstrap over shared items, p >= {alpha:g}); unmarked differences "
                             "are significant. —: no operating point in range.\n", notes)
    return "\n".join(parts)


def metric_cells(rows: pd.DataFrame, metrics: Sequence[str], info: Mapping, who: str,
                 notes: list[str]) -> list[str]:
    """One "mean [lo, hi] (n.s.)" cell per metric from one operating point's rows; row notes go to `notes`."""
    cells = []
    for m in metrics:
        r = rows[rows["metric"] == m].iloc[0]
        cells.append(_cmp_cell(r, info_for(info, m).decimals))
        if r["in_range"] and r["note"] and r["note"] != "reference":
            notes.append(f"{who} / {info_for(info, m).label}: {r['note']}")
    return cells


def table_block(heading: str, header: list[str], rows: list[list[str]], align: list[str], legend: str,
                notes: list[str]) -> list[str]:
    """Heading, pipe table, legend and the de-duplicated notes as a bullet list."""
    parts = [heading, pipe_table(header, rows, align), legend]
    if notes:
        parts.append("\n".join(f"- {n}" for n in dict.fromkeys(notes)) + "\n")
    return parts


def _cmp_cell(r: pd.Series, decimals: int) -> str:
    if not r["in_range"]:
        return "—"
    if r["n"] == 0:
        return "n/a"
    text = fmt_fixed(r["mean"], decimals)
    if r["note"] == "reference":
        text = f"**{text}**"
    if r["n"] > 1:
        text += f" [{fmt_fixed(r['lo'], decimals)}, {fmt_fixed(r['hi'], decimals)}]"
    if r["reference_codec"] and r["note"] != "reference":
        if r["n_pairs"] == 0:
            text += " (unpaired)"
        elif not r["significant"]:
            text += " n.s."
    return text
