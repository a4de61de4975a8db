"""Pair baseline and candidate result rows item by item, hiding nothing.

Rows are paired on (dataset, item, metric). A pair is used only when both
rows have a value (status ``ok`` or ``warn``). Everything else is listed by
item: items of the selection that one side lacks, rows with a failed status
(``invalid``, ``unavailable``, ``error``) with their reason, and duplicate
rows. Dataset-level token statistics (item `bench.results.TOKEN_ITEM`) are
not per-item scores and are not paired.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.results import TOKEN_ITEM

USABLE = ("ok", "warn")


@dataclass(frozen=True)
class Problem:
    """One item that could not be paired, and why."""

    metric: str
    item: str          # "<dataset>/<item id>"
    side: str          # "baseline", "candidate" or "both"
    reason: str

    def __str__(self) -> str:
        return f"{self.metric} {self.item}: {self.side}: {self.reason}"


@dataclass(frozen=True)
class Pairs:
    """The usable pairs of one metric output and the problems of the others.

    Attributes:
        metric: metric output name.
        unit: unit from the rows ('' when no row was found).
        items: "<dataset>/<item>" of each pair, sorted [n].
        baseline / candidate: paired values [n].
        problems: every selected item that is not a pair, with its reason.
    """

    metric: str
    unit: str
    items: tuple[str, ...]
    baseline: np.ndarray
    candidate: np.ndarray
    problems: tuple[Problem, ...]


def _index(df: pd.DataFrame, metric: str, side: str, problems: list[Problem]) -> dict[str, pd.Series]:
    rows = df[(df["metric"] == metric) & (df["item"] != TOKEN_ITEM)]
    out: dict[str, pd.Series] = {}
    for _, row in rows.iterrows():
        key = f"{row['dataset']}/{row['item']}"
        if key in out:
            problems.append(Problem(metric, key, side, "duplicate rows for this item; the file mixes runs"))
            continue
        out[key] = row
    return out


def _failure(row: pd.Series) -> str:
    return f"status {row['status']}" + (f" ({row['error']})" if row["error"] else "")


def pair_metric(baseline: pd.DataFrame, candidate: pd.DataFrame, metric: str,
                selection: list[str] | None = None) -> Pairs:
    """Pairs of one metric output.

    Args:
        baseline: result rows of the baseline codec (one codec).
        candidate: result rows of the candidate codec (one codec).
        metric: metric output name.
        selection: "<dataset>/<item>" keys to compare; None means every item
            either side has. Items outside the selection are ignored.

    Returns:
        `Pairs`; a selected item without a usable pair is a `Problem`.
    """
    problems: list[Problem] = []
    base = _index(baseline, metric, "baseline", problems)
    cand = _index(candidate, metric, "candidate", problems)
    keys = sorted(selection if selection is not None else set(base) | set(cand))
    dup = {p.item for p in problems}
    items, bv, cv = [], [], []
    for key in keys:
        b, c = base.get(key), cand.get(key)
        side_problems = []
        for side, row in (("baseline", b), ("candidate", c)):
            if row is None:
                side_problems.append((side, "no row (item missing)"))
            elif row["status"] not in USABLE:
                side_problems.append((side, _failure(row)))
        if side_problems:
            sides = {s for s, _ in side_problems}
            reasons = {r for _, r in side_problems}
            if len(sides) == 2 and len(reasons) == 1:
                problems.append(Problem(metric, key, "both", side_problems[0][1]))
            else:
                problems += [Problem(metric, key, s, r) for s, r in side_problems]
            continue
        if key in dup:
            continue
        items.append(key)
        bv.append(float(b["value"]))
        cv.append(float(c["value"]))
    units = [r["unit"] for r in list(base.values()) + list(cand.values()) if isinstance(r["unit"], str)]
    return Pairs(metric, units[0] if units else "", tuple(items), np.asarray(bv, dtype=np.float64),
                 np.asarray(cv, dtype=np.float64), tuple(problems))
