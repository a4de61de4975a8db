"""Format-neutral layout of a paper table: headers, cells, bold and footnotes.

`layout_tables` turns a wide summary (`summary.summary_table`) into one
`TableLayout` per dataset; the Markdown and LaTeX writers only add syntax, so
both always show the same numbers, bold cells and footnotes.

Footnotes: every (metric, status) with at least one affected codec gets a mark
(†, ‡, §, ...) in column order, shown on each affected cell, and a note with
the number of codecs and rows and the deduplicated `error` texts. A cell
without any usable value reads "n/a"; a codec never scored on a metric reads
"—" with a "not run" note. Nothing is left blank without a reason.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import pandas as pd

from bench.reports.formatting import fmt_count, fmt_fixed, fmt_sig, mark
from bench.reports.metric_info import info_for, resolve_metric_info
from bench.reports.summary import EXCLUDED, NOTED, table_metrics

DEFAULT_TOKEN_COLUMNS = ("codebook_size", "utilization", "entropy_bitrate", "field_entropy_bitrate")
MAX_MESSAGES = 3  # distinct error texts quoted per footnote; the CSV keeps all
_PHRASES = {"warn": "scored with warnings (values included) for",
            "unavailable": "unavailable for", "error": "failed with an error for",
            "invalid": "items not scorable (excluded from the mean) for",
            "missing": "not run for"}


@dataclass(frozen=True)
class Header:
    """One column head: label, unit ('' for none), arrow ("up", "down" or '')."""

    label: str
    unit: str = ""
    arrow: str = ""
    align: str = "r"


@dataclass(frozen=True)
class Cell:
    """One table cell: main text, CI parts ('' when none), bold flag, footnote marks."""

    main: str
    lo: str = ""
    hi: str = ""
    half: str = ""
    bold: bool = False
    marks: str = ""
    note: str = ""


@dataclass(frozen=True)
class Footnote:
    mark: str
    text: str


@dataclass(frozen=True)
class TableLayout:
    """A rendered-to-be table of one dataset."""

    dataset: str
    headers: tuple[Header, ...]
    rows: tuple[tuple[Cell, ...], ...]
    groups: tuple[str, ...]          # group of each row (rule between groups)
    footnotes: tuple[Footnote, ...]
    caption: str


def _messages(texts: Sequence[str]) -> str:
    distinct = sorted({line for t in texts for line in t.split("\n") if line})
    if not distinct:
        return ""
    shown = "; ".join(distinct[:MAX_MESSAGES])
    rest = len(distinct) - MAX_MESSAGES
    return f": {shown}" + (f"; and {rest} more distinct message(s), see table.csv" if rest > 0 else "")


def _footnotes(sub: pd.DataFrame, metric: str, label: str, start: int) -> tuple[list[Footnote], dict]:
    """Footnotes of one metric column and the marks of each row index."""
    notes, marks = [], {}
    for status in (*NOTED, "missing"):
        if status == "missing":
            hit = sub[f"{metric}.n_rows"] == 0
            count, why = "", ""
        else:
            hit = sub[f"{metric}.n_{status}"] > 0
            rows = int(sub.loc[hit, f"{metric}.n_{status}"].sum())
            total = int(sub.loc[hit, f"{metric}.n_rows"].sum())
            count = f" ({rows} of {total} rows)"
            why = _messages(sub.loc[hit, f"{metric}.why_{status}"].tolist())
        if not hit.any():
            continue
        m = mark(start + len(notes))
        notes.append(Footnote(m, f"{label}: {_PHRASES[status]} {int(hit.sum())} codec(s){count}{why}"))
        for idx in sub.index[hit]:
            marks[idx] = marks.get(idx, "") + m
    return notes, marks


def _token_text(row: pd.Series, metric: str, value: float) -> str:
    """Token statistics: sizes as "K×2^b" (K streams), counts as integers, others 3 digits."""
    if metric == "codebook_size":
        streams = round(row["token_rate"] / row["frame_rate"]) if row["frame_rate"] > 0 else 1
        return (f"{streams}×" if streams > 1 else "") + fmt_count(value)
    if metric in ("n_frames", "nominal_bitrate", "entropy_bitrate", "field_entropy_bitrate"):
        return fmt_fixed(value, 0)
    return fmt_sig(value, 3)


def _value_cell(row: pd.Series, metric: str, decimals: int, kind: str, marks: str) -> Cell:
    n, mean = int(row[f"{metric}.n"]), float(row[f"{metric}.mean"])
    if int(row[f"{metric}.n_rows"]) == 0:
        return Cell("—", marks=marks)
    if n == 0:
        return Cell("n/a", marks=marks)
    if kind == "token":
        return Cell(_token_text(row, metric, mean), marks=marks)
    lo, hi = float(row[f"{metric}.lo"]), float(row[f"{metric}.hi"])
    if n == 1:
        return Cell(fmt_fixed(mean, decimals), marks=marks, note="n=1")
    return Cell(fmt_fixed(mean, decimals), fmt_fixed(lo, decimals), fmt_fixed(hi, decimals),
                fmt_fixed((hi - lo) / 2.0, decimals), marks=marks)


def _best(sub: pd.DataFrame, metric: str, decimals: int, higher: bool | None) -> set:
    """Row indices holding the best displayed mean among non-reference codecs."""
    if higher is None:
        return set()
    ok = sub[(sub[f"{metric}.n"] > 0) & ~sub["is_reference"].astype(bool)]
    if ok.empty:
        return set()
    shown = ok[f"{metric}.mean"].round(decimals)
    best = shown.max() if higher else shown.min()
    return set(ok.index[shown == best])


def _caption(dataset: str, attrs: Mapping, n_items: int) -> str:
    conf = round(100 * attrs.get("confidence", 0.95))
    text = f"{dataset}: one row per codec operating point."
    if n_items:
        text += (f" Quality metrics: mean over {n_items} items with its {conf}% confidence interval"
                 f" (percentile bootstrap over items, {attrs.get('n_resamples', 10_000)} resamples,"
                 f" seed {attrs.get('seed', 0)}). Best non-reference value per column in bold.")
    return text


def layout_tables(table: pd.DataFrame, metric_info: Mapping | None = None, *,
                  metrics: Sequence[str] | None = None,
                  token_columns: Sequence[str] = DEFAULT_TOKEN_COLUMNS) -> list[TableLayout]:
    """One `TableLayout` per dataset of a wide summary table.

    Args:
        table: `summary_table` output.
        metric_info: overrides of the built-in metric table.
        metrics: quality metrics to show, in order (default: all present).
        token_columns: token statistics to show, when present.

    Raises:
        ValueError: a requested metric is not in the table.
    """
    info = resolve_metric_info(metric_info)
    present = table_metrics(table)
    kinds = {m: table[f"{m}.kind"].iloc[0] for m in present} if len(table) else {}
    if metrics is None:
        metrics = [m for m in present if kinds[m] == "quality"]
    unknown = [m for m in metrics if m not in present]
    if unknown:
        raise ValueError(f"metric(s) {unknown} not in the table; present: {present}")
    columns = [m for m in token_columns if m in present] + list(metrics)
    layouts = []
    for ds in sorted(table["dataset"].unique()):
        sub = table[table["dataset"] == ds]
        shown = [m for m in columns if (sub[f"{m}.n_rows"] > 0).any()]
        headers = [Header("Codec", align="l"), Header("kbit/s"), Header("tokens/s")]
        cells = {i: [Cell(str(r.codec)), Cell(fmt_sig(r.bitrate_kbps)), Cell(fmt_sig(r.token_rate))]
                 for i, r in sub.iterrows()}
        footnotes: list[Footnote] = []
        for m in shown:
            units = sorted({u for u in sub[f"{m}.unit"] if u})
            data_unit = units[0] if len(units) == 1 else ""
            mi = info_for(info, m, data_unit)
            arrow = {True: "up", False: "down", None: ""}[mi.higher_is_better]
            # quality metrics show the data's unit when the table has none (token units are noise)
            unit = mi.unit or (data_unit if kinds[m] == "quality" else "")
            headers.append(Header(mi.label, unit, arrow))
            notes, marks = _footnotes(sub, m, mi.label, len(footnotes))
            footnotes += notes
            best = _best(sub, m, mi.decimals, mi.higher_is_better)
            for i, r in sub.iterrows():
                c = _value_cell(r, m, mi.decimals, kinds[m], marks.get(i, ""))
                cells[i].append(replace(c, bold=i in best))
        layouts.append(TableLayout(
            dataset=str(ds), headers=tuple(headers), rows=tuple(tuple(cells[i]) for i in sub.index),
            groups=tuple(str(g) for g in sub["group"]), footnotes=tuple(footnotes),
            caption=_caption(str(ds), table.attrs, max(
                [int(sub[f"{m}.n_rows"].max()) for m in shown if kinds[m] == "quality"], default=0))))
    return layouts


def excluded_counts(table: pd.DataFrame) -> dict[str, int]:
    """Total rows per non-scored status over the whole table (for report summaries)."""
    return {s: int(sum(table[c].sum() for c in table.columns if c.endswith(f".n_{s}")))
            for s in EXCLUDED}
