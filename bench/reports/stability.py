"""Ranking stability across training length, from seed replicate suites.

One seed suite per training length (same rung, same families, seeds 0..k of
each) gives, per length, a seed-aware verdict of every family against the
reference family (`seeds.seed_replicates`: better, worse or n.s.). A verdict
is *stable* when it is the same at every length; a ranking that still moves
between the last two lengths was not trained long enough to be read as a
quantizer effect. A second table tests how much each family still changed
between the last two lengths, resampling items (paired) and both lengths'
seeds (`statistics.seed_item_bootstrap`): a significant change there means
the models have not converged on that metric.

    tiers = [Tier("2000 steps", df_long, "fsq-long"), Tier("6000 steps", df_xlong, "fsq-xlong")]
    verdicts, changes = length_stability(tiers)
    print(stability_markdown(verdicts, changes))

Families are matched across lengths by the codec name without its rate and
tier ("q2d2-hex-800-xlong" -> "q2d2-hex"), so group names like "fsq-long" and
"fsq-xlong" line up.
"""
from __future__ import annotations

import math
from typing import Mapping, NamedTuple, Sequence

import pandas as pd

from bench.reports.compare import table_block
from bench.reports.formatting import fmt_fixed
from bench.reports.grouping import TRAILING_RATE
from bench.reports.metric_info import header_label, in_table_order, info_for, resolve_metric_info
from bench.reports.seeds import diff_cell, replicate_rows, seed_matrix, seed_replicates
from bench.statistics import seed_item_bootstrap

VERDICT_COLUMNS = ["dataset", "family", "metric", "tier", "group", "reference", "n_seeds", "n", "mean",
                   "lo", "hi", "diff", "diff_lo", "diff_hi", "p_value", "significant", "sign_agree",
                   "seed_pairs", "verdict"]
CHANGE_COLUMNS = ["dataset", "family", "metric", "from_tier", "to_tier", "from_mean", "to_mean", "diff",
                  "diff_lo", "diff_hi", "p_value", "significant", "n"]


class Tier(NamedTuple):
    """One training length: a label ("2000 steps"), its tidy results and its seed reference group."""

    label: str
    results: pd.DataFrame
    reference: str


def family_of(codec: str) -> str:
    """Codec name without its rate and tier: "q2d2-hex-800-xlong-seed1" -> "q2d2-hex"."""
    return TRAILING_RATE.sub("", codec) or codec


def _verdict(row: pd.Series, higher: bool | None) -> str:
    if row["group"] == row["reference"]:
        return "reference"
    if row["n"] == 0 or math.isnan(row["diff"]):
        return "n/a"
    if not row["significant"]:
        return "n.s."
    if higher is None:
        return "higher" if row["diff"] > 0 else "lower"
    return "better" if (row["diff"] > 0) == higher else "worse"


def _shared(values: Sequence[set]) -> set:
    return set.intersection(*values) if values else set()


def length_stability(tiers: Sequence[Tier], metric_info: Mapping | None = None, seed: int = 0, *,
                     metrics: Sequence[str] | None = None, n_resamples: int = 10_000,
                     confidence: float = 0.95, alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(verdicts, changes): columns `VERDICT_COLUMNS` and `CHANGE_COLUMNS`.

    Only datasets, metrics and families present in every tier are compared;
    `verdicts.attrs["left_out"]` lists the metrics some tier lacks.

    Raises:
        ValueError: fewer than two tiers, repeated labels, or references of
            different families.
    """
    if len(tiers) < 2:
        raise ValueError(f"ranking stability needs at least two training lengths, got {len(tiers)}")
    labels = [t.label for t in tiers]
    if len(set(labels)) != len(labels):
        raise ValueError(f"training-length labels must differ, got {labels}")
    info = resolve_metric_info(metric_info)
    per_tier = [replicate_rows(t.results, metric_info, metrics) for t in tiers]
    ref_families = {family_of(sets[t.reference][0]) if t.reference in sets else t.reference
                    for t, (sets, _, _) in zip(tiers, per_tier)}
    if len(ref_families) != 1:
        raise ValueError(f"every length needs the same reference family, got {sorted(ref_families)}")
    families = _shared([{family_of(cs[0]) for cs in sets.values()} for sets, _, _ in per_tier])
    shared_metrics = _shared([set(ms) for _, _, ms in per_tier])
    keep = in_table_order(shared_metrics, info)
    datasets = _shared([set(rows["dataset"]) for _, rows, _ in per_tier])

    frames = []
    for t in tiers:
        rep = seed_replicates(t.results, t.reference, metric_info, seed, metrics=keep,
                              n_resamples=n_resamples, confidence=confidence, alpha=alpha)
        rep["family"] = [family_of(c.split(";")[0]) for c in rep["codecs"]]
        rep = rep[rep["family"].isin(families) & rep["dataset"].isin(datasets)].copy()
        rep["tier"], rep["reference"] = t.label, t.reference
        rep["verdict"] = [_verdict(r, info_for(info, r["metric"]).higher_is_better) for _, r in rep.iterrows()]
        frames.append(rep)
    verdicts = pd.concat(frames, ignore_index=True)[VERDICT_COLUMNS]
    verdicts.attrs["left_out"] = sorted(set().union(*(ms for _, _, ms in per_tier)) - shared_metrics)
    changes = _changes(tiers[-2], tiers[-1], per_tier[-2], per_tier[-1], families, datasets, keep,
                       n_resamples, seed, confidence, alpha)
    return verdicts, changes


def _changes(first: Tier, last: Tier, rows_first, rows_last, families, datasets, metrics,
             n_resamples, seed, confidence, alpha) -> pd.DataFrame:
    """Per family: `last` minus `first`, on the items both scored, seeds and items resampled."""
    sets_first = {family_of(cs[0]): cs for cs in rows_first[0].values()}
    sets_last = {family_of(cs[0]): cs for cs in rows_last[0].values()}
    records = []
    for ds in sorted(datasets):
        data_first = rows_first[1][rows_first[1]["dataset"] == ds]
        data_last = rows_last[1][rows_last[1]["dataset"] == ds]
        for metric in metrics:
            for fam in sorted(families):
                a = seed_matrix(data_last, sets_last[fam], metric)
                b = seed_matrix(data_first, sets_first[fam], metric)
                shared = a.columns.intersection(b.columns)
                rec = dict(dataset=ds, family=fam, metric=metric, from_tier=first.label, to_tier=last.label,
                           from_mean=math.nan, to_mean=math.nan, diff=math.nan, diff_lo=math.nan,
                           diff_hi=math.nan, p_value=math.nan, significant=False, n=len(shared))
                if len(shared):
                    res = seed_item_bootstrap(a[shared].to_numpy(), b[shared].to_numpy(), n_resamples, seed,
                                              confidence)
                    rec.update(from_mean=float(b[shared].to_numpy().mean()),
                               to_mean=float(a[shared].to_numpy().mean()), diff=res.mean_diff, diff_lo=res.lo,
                               diff_hi=res.hi, p_value=res.p_value, significant=res.significant(alpha))
                records.append(rec)
    return pd.DataFrame(records, columns=CHANGE_COLUMNS)


def scored_metrics(block: pd.DataFrame) -> list[str]:
    """Metrics of `block` in row order that some family scored at every length (drops e.g. UTMOS
    without weights)."""
    n_tiers = block["tier"].nunique()
    scored = block[block["n"] > 0].groupby("metric")["tier"].nunique()
    return [m for m in dict.fromkeys(block["metric"]) if scored.get(m, 0) == n_tiers]


def _order(block: pd.DataFrame, higher: bool | None) -> list[str]:
    """Families best first by seed-averaged mean (name order breaks exact ties)."""
    scored = block[block["n"] > 0].sort_values("family")
    key = scored["mean"] if higher is not False else -scored["mean"]
    return list(scored.assign(_k=key).sort_values("_k", ascending=False, kind="stable")["family"])


def _kendall_tau(x: Sequence[str], y: Sequence[str]) -> float:
    """Kendall's tau-a between two orders of the same names (NaN for fewer than 2)."""
    pos = {n: i for i, n in enumerate(y)}
    common = [n for n in x if n in pos]
    pairs = [(i, j) for i in range(len(common)) for j in range(i + 1, len(common))]
    if not pairs:
        return math.nan
    agree = sum(1 if pos[common[i]] < pos[common[j]] else -1 for i, j in pairs)
    return agree / len(pairs)


def stability_markdown(verdicts: pd.DataFrame, changes: pd.DataFrame, metric_info: Mapping | None = None, *,
                       heading_level: int = 3, alpha: float = 0.05) -> str:
    """Per dataset: verdicts per length with a stability count, rankings with Kendall's tau, and the change
    between the last two lengths."""
    info = resolve_metric_info(metric_info)
    h = "#" * heading_level
    tiers = list(dict.fromkeys(verdicts["tier"]))
    left_out = verdicts.attrs.get("left_out")
    parts = [f"Not scored at every length, so left out: {', '.join(left_out)}.\n"] if left_out else []
    for ds, block in verdicts.groupby("dataset", sort=False):
        metrics = scored_metrics(block)
        reference = block.loc[block["verdict"] == "reference", "family"]
        ref = str(reference.iloc[0]) if len(reference) else "?"
        rows, stable, total = [], [], 0
        for fam, rows_f in block.groupby("family", sort=False):
            if fam == ref:
                continue
            cells = [str(fam)]
            for m in metrics:
                seq = [rows_f[(rows_f["metric"] == m) & (rows_f["tier"] == t)] for t in tiers]
                words = [str(s.iloc[0]["verdict"]) if len(s) else "n/a" for s in seq]
                same = len(set(words)) == 1 and words[0] != "n/a"
                total += 1
                if same:
                    relation = "n.s. from" if words[0] == "n.s." else f"{words[0]} than"
                    stable.append(f"{fam} {relation} {ref} on {info_for(info, m).label}")
                cells.append((" → ".join(words)) + (" ✓" if same else ""))
            rows.append(cells)
        summary = [f"{len(stable)} of {total} verdicts are the same at every length"] + stable
        parts += table_block(f"{h} {ds}: verdict against {ref} at each length ({' → '.join(tiers)})\n",
                             ["Family"] + [header_label(info, m) for m in metrics], rows,
                             ["l"] + ["l"] * len(metrics),
                             f"Each length's seed-aware verdict against {ref} (seeds and items resampled; "
                             f"n.s.: p >= {alpha:g}). ✓: the same verdict at every length.\n", summary)
        parts += _ranking_table(h, ds, block, metrics, tiers, info)
        parts += _change_table(h, ds, changes[changes["dataset"] == ds], metrics, info, alpha)
    return "\n".join(parts)


def _ranking_table(h, ds, block, metrics, tiers, info) -> list[str]:
    rows = []
    for m in metrics:
        higher = info_for(info, m).higher_is_better
        orders = [_order(block[(block["metric"] == m) & (block["tier"] == t)], higher) for t in tiers]
        tau = _kendall_tau(orders[-2], orders[-1])
        rows.append([info_for(info, m).label] + [" > ".join(o) for o in orders]
                    + ["—" if math.isnan(tau) else f"{tau:+.2f}"])
    return table_block(f"{h} {ds}: order by seed-averaged mean\n",
                       ["Metric"] + tiers + [f"Kendall τ ({tiers[-2]} vs {tiers[-1]})"], rows,
                       ["l"] + ["l"] * len(tiers) + ["r"],
                       "Families best first by the mean over seeds and items. Adjacent families are often "
                       "within seed noise: read the order together with the verdicts above. τ = 1: the "
                       "last two lengths order the families identically.\n", [])


def _change_table(h, ds, changes, metrics, info, alpha) -> list[str]:
    if changes.empty:
        return []
    first, last = changes.iloc[0]["from_tier"], changes.iloc[0]["to_tier"]
    rows = []
    for fam, rows_f in changes.groupby("family", sort=False):
        cells = [str(fam)]
        for m in metrics:
            r = rows_f[rows_f["metric"] == m]
            if r.empty or r.iloc[0]["n"] == 0:
                cells.append("n/a")
                continue
            r, d = r.iloc[0], info_for(info, m).decimals
            cells.append(f"{fmt_fixed(r['from_mean'], d)} → {fmt_fixed(r['to_mean'], d)}: {diff_cell(r, d)}")
        rows.append(cells)
    tested = changes[changes["metric"].isin(metrics) & (changes["n"] > 0)]
    n_sig = int(tested["significant"].sum())
    return table_block(f"{h} {ds}: change from {first} to {last}\n",
                       ["Family"] + [header_label(info, m) for m in metrics], rows,
                       ["l"] + ["r"] * len(metrics),
                       f"Seed-averaged mean at {first} → at {last}: difference [95% CI], seeds of both "
                       f"lengths and items resampled; unmarked: significant at p < {alpha:g}. A family "
                       "whose scores still change significantly has not converged on that metric.\n",
                       [f"{n_sig} of {len(tested)} family × metric changes are significant"])
