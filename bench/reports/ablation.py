"""The Q2D2 paper's grid ablation (grid type x levels) from a results table.

Every trained Q2D2 codec is one cell, keyed by its levels and its grid type
(from the quantizer block of its training config). Within one levels setting
the rectangular grid is the reference: each other grid is compared with it
by a paired bootstrap over the items both scored, as in `compare`.

    cmp = grid_ablation(df, {"q2d2-hex-800-long": {"name": "q2d2", "grid": "hexagonal",
                                                   "levels": [4] * 8}, ...})
    print(ablation_markdown(cmp))
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Mapping, Sequence

import pandas as pd

from bench.reports.compare import COLUMNS as COMPARE_COLUMNS
from bench.reports.compare import item_scores, metric_cells, pick_record, table_block
from bench.reports.formatting import fmt_sig
from bench.reports.grouping import operating_points
from bench.reports.metric_info import header_label, in_table_order, resolve_metric_info
from bench.results import TOKEN_ITEM

GRID_ORDER = ("rectangular", "hexagonal", "rhombic")
COLUMNS = ["levels", "grid"] + [c for c in COMPARE_COLUMNS if c not in ("target_kbps", "group", "ratio")]


def q2d2_cells(quantizers: Mapping[str, Mapping], codecs: Sequence[str]) -> dict[tuple[str, str], str]:
    """(levels label, grid) -> codec, for the Q2D2 codecs among `codecs`.

    Raises:
        ValueError: two codecs share a levels setting and grid (the ablation
            would have to choose between them; run it on a suite with one of each).
    """
    cells: dict[tuple[str, str], str] = {}
    for codec in sorted(codecs):
        q = quantizers.get(codec) or {}
        if q.get("name") != "q2d2":
            continue
        key = (str(list(q["levels"])), str(q.get("grid", "rhombic")))
        if key in cells:
            raise ValueError(f"grid ablation: {cells[key]!r} and {codec!r} both have grid {key[1]} "
                             f"and levels {key[0]}; keep one per cell (e.g. one training length per suite)")
        cells[key] = codec
    return cells


def _levels_order(label: str) -> tuple[int, str]:
    levels = [int(v) for v in label.strip("[]").split(",")]
    return (len(levels), label)


def grid_ablation(df: pd.DataFrame, quantizers: Mapping[str, Mapping], metric_info: Mapping | None = None,
                  seed: int = 0, *, metrics: Sequence[str] | None = None, n_resamples: int = 10_000,
                  confidence: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """One row per (dataset, levels, grid, metric); columns `COLUMNS`.

    Args:
        df: tidy results.
        quantizers: codec -> quantizer block of its training config (codecs
            that are not Q2D2 are ignored).
        metric_info: overrides of the built-in metric table.
        seed, n_resamples, confidence, alpha: bootstrap settings, as in
            `compare.matched_bitrate`.
        metrics: quality metrics (default: every per-item metric present).

    Returns:
        Rows ordered by dataset, levels (fewer dimensions first), grid
        (rectangular, hexagonal, rhombic). The rectangular cell of a levels
        setting is the reference ("reference" note); a setting without a
        rectangular cell has means and CIs but no tests. Empty when fewer than
        two grid types are present.
    """
    cells = q2d2_cells(quantizers, sorted(df["codec"].unique()))
    if len({grid for _, grid in cells}) < 2:
        return pd.DataFrame(columns=COLUMNS)
    per_item = df[(df["item"] != TOKEN_ITEM) & df["codec"].isin(set(cells.values()))]
    present = in_table_order(per_item["metric"], resolve_metric_info(metric_info))
    metrics = present if metrics is None else [m for m in metrics if m in present]
    ops = operating_points(df[df["codec"].isin(set(cells.values()))]).set_index("codec")
    order = sorted(cells, key=lambda k: (_levels_order(k[0]), GRID_ORDER.index(k[1])
                                         if k[1] in GRID_ORDER else len(GRID_ORDER), k[1]))
    records = []
    for ds in sorted(per_item["dataset"].unique()):
        data = per_item[per_item["dataset"] == ds]
        for metric in metrics:
            scores = {c: item_scores(data, c, metric) for c in cells.values()}
            for levels, grid in order:
                codec = cells[(levels, grid)]
                ref = cells.get((levels, "rectangular"))
                ref_note = "" if ref else "no rectangular grid at these levels"
                if ref is not None and not len(scores[ref]):
                    ref, ref_note = None, f"reference {cells[(levels, 'rectangular')]} has no scored items"
                p = SimpleNamespace(group=grid, codec=codec, bitrate_kbps=float(ops.loc[codec, "bitrate_kbps"]),
                                    ratio=1.0, in_range=True)
                rec = pick_record(ds, 0.0, p, metric, scores, ref, ref_note, 1.0, n_resamples, seed,
                              confidence, alpha)
                records.append({"levels": levels, "grid": grid, **rec})
    return pd.DataFrame(records)[COLUMNS] if records else pd.DataFrame(columns=COLUMNS)


def ablation_markdown(cmp: pd.DataFrame, metric_info: Mapping | None = None, *,
                      heading_level: int = 3, alpha: float = 0.05) -> str:
    """One table per dataset: rows (levels, grid), cells "mean [lo, hi]", n.s. vs rectangular."""
    info = resolve_metric_info(metric_info)
    parts = []
    for ds, block in cmp.groupby("dataset", sort=False):
        metrics = [m for m in dict.fromkeys(block["metric"]) if (block.loc[block["metric"] == m, "n"] > 0).any()]
        header = ["Levels", "Grid", "Codec", "kbit/s"] + [header_label(info, m) for m in metrics]
        rows, notes = [], []
        for (levels, grid, codec), rows_g in block.groupby(["levels", "grid", "codec"], sort=False):
            own: list[str] = []
            rows.append([levels, grid, codec, fmt_sig(rows_g.iloc[0]["bitrate_kbps"])]
                        + metric_cells(rows_g, metrics, info, codec, own))
            # one line per codec when every metric has the same note ("no rectangular grid ...")
            shared = set(rows_g.loc[rows_g["metric"].isin(metrics), "note"]) - {"", "reference"}
            notes += [f"{codec}: {shared.pop()}"] if len(own) == len(metrics) and len(shared) == 1 else own
        parts += table_block("#" * heading_level + f" {ds}\n", header, rows,
                             ["l", "l", "l", "r"] + ["r"] * len(metrics),
                             "Mean [95% CI] over items. **Bold**: the rectangular grid at the same levels, "
                             "the reference of its rows. n.s.: not significantly different from it (paired "
                             f"bootstrap over shared items, p >= {alpha:g}); unmarked differences are "
                             "significant. At equal levels the grids have different point counts, hence "
                             "different bitrates.\n", notes)
    return "\n".join(parts)
