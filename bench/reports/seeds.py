"""Seed replicates: how much of a quantizer comparison is training noise.

A trained codec "fsq-800-xlong" and its replicates "fsq-800-xlong-seed1",
"fsq-800-xlong-seed2" (same config, another seed) form one replicate set.
Two tables come out of the results:

- `seed_replicates`: per family, the mean of every seed, their spread, and a
  comparison with the reference family that resamples items *and* seeds
  (`statistics.seed_item_bootstrap`), plus how many cross-seed pairs agree
  on the sign of the difference.
- `seed_null_tests`: the same quantizer against itself, seed against seed,
  with the item-level paired bootstrap that single-checkpoint tables use. A
  "significant" difference there is training noise that such a table would
  report as a quantizer effect.

    rep = seed_replicates(df, reference="fsq-xlong")
    null = seed_null_tests(df)
    print(seeds_markdown(rep, null))
"""
from __future__ import annotations

import math
import re
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from bench.reports.compare import item_scores, table_block
from bench.reports.formatting import fmt_fixed
from bench.reports.grouping import default_group
from bench.reports.metric_info import header_label, in_table_order, info_for, resolve_metric_info
from bench.results import TOKEN_ITEM
from bench.statistics import paired_bootstrap, seed_item_bootstrap

SEED_SUFFIX = re.compile(r"^(?P<base>.+)-seed(?P<seed>\d+)$")
COLUMNS = ["dataset", "group", "metric", "codecs", "n_seeds", "seed_means", "seed_sd", "mean", "lo", "hi",
           "n", "reference_group", "diff", "diff_lo", "diff_hi", "p_value", "effect_size", "significant",
           "sign_agree", "seed_pairs", "note"]
NULL_COLUMNS = ["dataset", "group", "metric", "codec_a", "codec_b", "diff", "diff_lo", "diff_hi", "p_value",
                "effect_size", "n", "significant"]


def replicate_sets(codecs: Sequence[str]) -> dict[str, list[str]]:
    """Group -> its codecs in seed order, for every base codec with at least one "-seedN" replicate.

    The base codec (no suffix) is seed 0 of its set; a replicate whose base is
    not among `codecs` still forms a set with the other replicates.

    Raises:
        ValueError: two sets fall in one family (e.g. fsq-800-long and fsq-2000-long).
    """
    sets: dict[str, dict[int, str]] = {}
    names = set(codecs)
    for codec in sorted(names):
        m = SEED_SUFFIX.match(codec)
        if m:
            sets.setdefault(m["base"], {})[int(m["seed"])] = codec
    out: dict[str, list[str]] = {}
    for base, members in sorted(sets.items()):
        if base in names:
            members.setdefault(0, base)
        group = default_group(base, "trained")
        if group in out:
            raise ValueError(f"replicate sets {out[group][0]!r} and {base!r} are both family {group!r}: "
                             "keep one rate per family in a seed suite (one suite per rung)")
        if len(members) >= 2:
            out[group] = [members[s] for s in sorted(members)]
    return out


def replicate_rows(df: pd.DataFrame, metric_info: Mapping | None, metrics: Sequence[str] | None):
    """(replicate sets, their per-item rows, the metrics to report: `metrics` or all present)."""
    sets = replicate_sets(sorted(df["codec"].unique()))
    per_item = df[(df["item"] != TOKEN_ITEM) & df["codec"].isin({c for cs in sets.values() for c in cs})]
    present = in_table_order(per_item["metric"], resolve_metric_info(metric_info))
    return sets, per_item, present if metrics is None else [m for m in metrics if m in present]


def seed_matrix(data: pd.DataFrame, codecs: Sequence[str], metric: str) -> pd.DataFrame:
    """[seeds, items] scores on the items every codec of the set scored (columns: items)."""
    rows = [item_scores(data, c, metric) for c in codecs]
    return pd.DataFrame(rows, index=list(codecs)).dropna(axis=1)


def seed_replicates(df: pd.DataFrame, reference: str | None = None, metric_info: Mapping | None = None,
                    seed: int = 0, *, metrics: Sequence[str] | None = None, n_resamples: int = 10_000,
                    confidence: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """One row per (dataset, replicate set, metric); columns `COLUMNS`.

    Args:
        df: tidy results.
        reference: group (e.g. "fsq-xlong") every other set is compared with;
            None: no comparison columns.
        metric_info: overrides of the built-in metric table.
        seed, n_resamples, confidence, alpha: bootstrap settings.
        metrics: quality metrics (default: every per-item metric present).

    Each set is scored on the items all its seeds scored (and, for the test,
    all the reference's seeds too). `seed_means` are the per-seed means on
    those items, `seed_sd` their standard deviation (ddof=1); mean/lo/hi is
    the seed-and-item bootstrap of the set's own mean. `sign_agree` of
    `seed_pairs` is how many (seed of this set, seed of the reference) pairs
    have a mean difference with the same sign as the seed-averaged one.

    Raises:
        ValueError: `reference` is given but is not a replicate set.
    """
    sets, per_item, metrics = replicate_rows(df, metric_info, metrics)
    if reference is not None and reference not in sets:
        raise ValueError(f"seed reference {reference!r} is not a replicate set; sets: {sorted(sets)}")
    records = []
    for ds in sorted(per_item["dataset"].unique()):
        data = per_item[per_item["dataset"] == ds]
        for metric in metrics:
            mats = {g: seed_matrix(data, cs, metric) for g, cs in sets.items()}
            for group, codecs in sets.items():
                records.append(_set_record(ds, group, codecs, metric, mats, reference,
                                           n_resamples, seed, confidence, alpha))
    return pd.DataFrame(records, columns=COLUMNS)


def _set_record(ds, group, codecs, metric, mats, reference, n_resamples, seed, confidence, alpha) -> dict:
    own = mats[group]
    means = own.mean(axis=1).to_numpy() if own.shape[1] else np.full(len(codecs), math.nan)
    rec = dict(dataset=ds, group=group, metric=metric, codecs=";".join(codecs), n_seeds=len(codecs),
               seed_means=";".join(f"{m:.6g}" for m in means),
               seed_sd=float(np.std(means, ddof=1)) if own.shape[1] else math.nan,
               mean=math.nan, lo=math.nan, hi=math.nan, n=int(own.shape[1]), reference_group=reference or "",
               diff=math.nan, diff_lo=math.nan, diff_hi=math.nan, p_value=math.nan, effect_size=math.nan,
               significant=False, sign_agree=0, seed_pairs=0, note="")
    if own.shape[1] == 0:
        return {**rec, "note": "no item scored by every seed"}
    # the set's own mean: resample seeds and items (against a zero system)
    zero = np.zeros((1, own.shape[1]))
    res = seed_item_bootstrap(own.to_numpy(), zero, n_resamples, seed, confidence)
    rec.update(mean=res.mean_diff, lo=res.lo, hi=res.hi)
    if reference is None:
        return rec
    if group == reference:
        return {**rec, "diff": 0.0, "diff_lo": 0.0, "diff_hi": 0.0, "note": "reference"}
    ref = mats[reference]
    shared = own.columns.intersection(ref.columns)
    if len(shared) == 0:
        return {**rec, "note": "no items shared with the reference"}
    a, b = own[shared].to_numpy(), ref[shared].to_numpy()
    test = seed_item_bootstrap(a, b, n_resamples, seed, confidence)
    cross = a.mean(axis=1)[:, None] - b.mean(axis=1)[None, :]
    rec.update(diff=test.mean_diff, diff_lo=test.lo, diff_hi=test.hi, p_value=test.p_value,
               effect_size=test.effect_size, significant=test.significant(alpha),
               sign_agree=int(np.sum(np.sign(cross) == np.sign(test.mean_diff))), seed_pairs=int(cross.size))
    unpaired = own.shape[1] - len(shared)
    if unpaired:
        rec["note"] = f"compared on {len(shared)} items shared with the reference ({unpaired} not shared)"
    return rec


def seed_null_tests(df: pd.DataFrame, metric_info: Mapping | None = None, seed: int = 0, *,
                    metrics: Sequence[str] | None = None, n_resamples: int = 10_000,
                    confidence: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """Every pair of seeds of the same set, paired bootstrap over items; columns `NULL_COLUMNS`.

    These pairs differ only by the training seed, so the fraction found
    "significant" measures how often a one-checkpoint-per-quantizer table
    reports noise as an effect.
    """
    sets, per_item, metrics = replicate_rows(df, metric_info, metrics)
    records = []
    for ds in sorted(per_item["dataset"].unique()):
        data = per_item[per_item["dataset"] == ds]
        for metric in metrics:
            for group, codecs in sets.items():
                mat = seed_matrix(data, codecs, metric)
                if mat.shape[1] == 0:     # nothing scored by every seed (e.g. missing weights)
                    continue
                for i, ca in enumerate(codecs):
                    for cb in codecs[i + 1:]:
                        res = paired_bootstrap(mat.loc[ca].to_numpy(), mat.loc[cb].to_numpy(),
                                               n_resamples, seed, confidence)
                        records.append(dict(dataset=ds, group=group, metric=metric, codec_a=ca, codec_b=cb,
                                            diff=res.mean_diff, diff_lo=res.lo, diff_hi=res.hi,
                                            p_value=res.p_value, effect_size=res.effect_size, n=res.n,
                                            significant=res.significant(alpha)))
    return pd.DataFrame(records, columns=NULL_COLUMNS)


def diff_cell(r: pd.Series, decimals: int) -> str:
    """"diff [diff_lo, diff_hi]", with " n.s." unless the row is significant."""
    d = decimals
    return (f"{fmt_fixed(r['diff'], d)} [{fmt_fixed(r['diff_lo'], d)}, {fmt_fixed(r['diff_hi'], d)}]"
            + ("" if r["significant"] else " n.s."))


def _rep_cell(r: pd.Series, decimals: int) -> str:
    if r["n"] == 0:
        return "n/a"
    text = fmt_fixed(r["mean"], decimals) + f" [{fmt_fixed(r['lo'], decimals)}, {fmt_fixed(r['hi'], decimals)}]"
    if r["note"] == "reference":
        return f"**{text}**"
    if r["reference_group"] and r["seed_pairs"]:
        text += f" {'' if r['significant'] else 'n.s. '}({r['sign_agree']}/{r['seed_pairs']})"
    return text


def seeds_markdown(rep: pd.DataFrame, null: pd.DataFrame, metric_info: Mapping | None = None, *,
                   heading_level: int = 3, alpha: float = 0.05) -> str:
    """Per dataset: the replicate table, the per-seed means and the seed-vs-seed null tests."""
    info = resolve_metric_info(metric_info)
    h = "#" * heading_level
    parts = []
    for ds, block in rep.groupby("dataset", sort=False):
        metrics = [m for m in dict.fromkeys(block["metric"]) if (block.loc[block["metric"] == m, "n"] > 0).any()]
        rows, notes = [], []
        for group, rows_g in block.groupby("group", sort=False):
            shown = rows_g[rows_g["metric"].isin(metrics)]
            cells = [str(group), str(rows_g.iloc[0]["n_seeds"]), str(int(shown["n"].max()))]
            for m in metrics:
                r = rows_g[rows_g["metric"] == m].iloc[0]
                cells.append(_rep_cell(r, info_for(info, m).decimals))
                if r["note"] and r["note"] != "reference":
                    notes.append(f"{group} / {info_for(info, m).label}: {r['note']}")
            rows.append(cells)
        parts += table_block(f"{h} {ds}: seed-averaged means\n",
                             ["Family", "Seeds", "Items"] + [header_label(info, m) for m in metrics], rows,
                             ["l", "r", "r"] + ["r"] * len(metrics),
                             "Items: scored by every seed (the most over metrics). "
                             "Mean over seeds and items [95% CI from resampling both seeds and items]. "
                             "**Bold**: the reference. n.s.: not significantly different from it "
                             f"(seed-and-item bootstrap, p >= {alpha:g}); (k/m): k of the m cross-seed "
                             "pairs (seed of this family, seed of the reference) differ in the same "
                             "direction as the seed-averaged difference.\n", notes)
        parts += _spread_table(h, ds, block, metrics, info)
        parts += _null_table(h, ds, null[null["dataset"] == ds], metrics, info, alpha)
    return "\n".join(parts)


def _spread_table(h: str, ds: str, block: pd.DataFrame, metrics: list[str], info: Mapping) -> list[str]:
    rows = []
    for group, rows_g in block.groupby("group", sort=False):
        cells = [str(group)]
        for m in metrics:
            r = rows_g[rows_g["metric"] == m].iloc[0]
            d = info_for(info, m).decimals
            seeds = " / ".join(fmt_fixed(float(v), d) for v in str(r["seed_means"]).split(";"))
            cells.append(f"{seeds} (sd {fmt_fixed(r['seed_sd'], d + 1)})")
        rows.append(cells)
    spread = []
    for m in metrics:
        sel = block[(block["metric"] == m) & (block["n"] > 0)]
        if len(sel) >= 2:
            d = info_for(info, m).decimals
            spread.append(f"{info_for(info, m).label}: families' seed-averaged means span "
                          f"{fmt_fixed(sel['mean'].max() - sel['mean'].min(), d + 1)}; the median seed sd "
                          f"within a family is {fmt_fixed(float(sel['seed_sd'].median()), d + 1)}")
    return table_block(f"{h} {ds}: per-seed means\n", ["Family"] + [header_label(info, m) for m in metrics],
                       rows, ["l"] + ["r"] * len(metrics),
                       "Mean over items of each seed (seed 0 first) and their standard deviation.\n", spread)


def _null_table(h: str, ds: str, null: pd.DataFrame, metrics: list[str], info: Mapping,
                alpha: float) -> list[str]:
    null = null[null["metric"].isin(metrics)]
    if null.empty:
        return []
    rows = []
    for (ca, cb), rows_p in null.groupby(["codec_a", "codec_b"], sort=False):
        cells = [f"{ca} − {cb}"]
        for m in metrics:
            r = rows_p[rows_p["metric"] == m].iloc[0]
            d = info_for(info, m).decimals
            cells.append(diff_cell(r, d))
        rows.append(cells)
    count = [f"{info_for(info, m).label}: {int(null.loc[null['metric'] == m, 'significant'].sum())} of "
             f"{int((null['metric'] == m).sum())} seed pairs significant" for m in metrics]
    return table_block(f"{h} {ds}: same quantizer, different seed\n",
                       ["Seed pair"] + [header_label(info, m) for m in metrics], rows,
                       ["l"] + ["r"] * len(metrics),
                       "Difference of means [95% CI] by the item-level paired bootstrap that "
                       f"one-checkpoint tables use; unmarked: significant at p < {alpha:g}. Only the seed "
                       "differs within a pair, so every significant cell is training noise that such a "
                       "table would call a quantizer effect.\n", count)
