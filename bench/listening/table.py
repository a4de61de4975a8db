"""The paper-style table as sortable HTML cells.

The numbers, bold cells and footnotes come from `bench.reports.layout`, the
same layout the Markdown and LaTeX tables use, so the page never disagrees
with them. This module only adds what HTML needs: a numeric sort key per cell
(parsed from the displayed text, so sorting follows what the reader sees) and
the confidence interval as a hover title.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from bench.reports.layout import Cell, Header, layout_tables
from bench.reports.summary import summary_table

_POWER = re.compile(r"^(-?\d+(?:\.\d+)?)\^(\d+)$")


@dataclass(frozen=True)
class HtmlCell:
    """Text as displayed; `sort` is a number, or None for cells without a value (sorted last)."""

    text: str
    sort: float | None
    bold: bool = False
    title: str = ""


@dataclass(frozen=True)
class HtmlHeader:
    text: str
    numeric: bool
    align: str


@dataclass(frozen=True)
class HtmlTable:
    dataset: str
    headers: tuple[HtmlHeader, ...]
    rows: tuple[tuple[HtmlCell, ...], ...]
    footnotes: tuple[tuple[str, str], ...]      # (mark, text)
    caption: str


def sort_value(text: str) -> float | None:
    """The number a displayed cell shows ("3.41", "1,024", "2^10", "−1.5"), or None ("n/a", "—")."""
    t = text.replace(",", "").replace("−", "-").strip()
    power = _POWER.match(t)
    if power:
        return float(power.group(1)) ** int(power.group(2))
    try:
        value = float(t)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _header_text(h: Header) -> str:
    arrow = {"up": " ↑", "down": " ↓"}.get(h.arrow, "")
    return h.label + (f" [{h.unit}]" if h.unit else "") + arrow


def _cell(c: Cell) -> HtmlCell:
    title = f"95% CI [{c.lo}, {c.hi}]" if c.lo else ""
    if c.note:
        title = (title + "; " if title else "") + c.note
    return HtmlCell(c.main + c.marks, sort_value(c.main), c.bold, title)


def html_tables(results: pd.DataFrame, table_df: pd.DataFrame | None = None) -> list[HtmlTable]:
    """One sortable table per dataset.

    Args:
        results: tidy results (all rows, token statistics included).
        table_df: a precomputed `bench.reports.summary.summary_table` of
            `results` (computed here when None).
    """
    table = summary_table(results) if table_df is None else table_df
    out = []
    for lay in layout_tables(table):
        rows = tuple(tuple(_cell(c) for c in row) for row in lay.rows)
        numeric = [i > 0 for i in range(len(lay.headers))]
        headers = tuple(HtmlHeader(_header_text(h), numeric[i], h.align) for i, h in enumerate(lay.headers))
        out.append(HtmlTable(lay.dataset, headers, rows, tuple((f.mark, f.text) for f in lay.footnotes),
                             lay.caption))
    return out
