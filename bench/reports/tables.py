"""Paper-style tables in Markdown, LaTeX (booktabs) and CSV.

    table = summary_table(read_results("reports/speech/results.csv"))
    Path("table.md").write_text(to_markdown(table))
    Path("table.tex").write_text(to_latex(table))
    to_csv(table, "table.csv")

Markdown and LaTeX come from the same `layout.layout_tables`, so they agree on
every number, bold cell and footnote. No timestamps are written: the same
results and seed give the same bytes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from bench.reports.formatting import (latex_escape, latex_marks, latex_number, md_escape,
                                      pipe_table)
from bench.reports.layout import DEFAULT_TOKEN_COLUMNS, Cell, Header, TableLayout, layout_tables
from bench.reports.summary import summary_table

__all__ = ["summary_table", "to_markdown", "to_latex", "to_csv"]
_ARROWS = {"up": "↑", "down": "↓", "": ""}
_CI_STYLES = ("bracket", "pm")


def _check_ci(ci: str) -> None:
    if ci not in _CI_STYLES:
        raise ValueError(f"ci must be one of {_CI_STYLES}, got {ci!r}")


def _md_header(h: Header) -> str:
    unit = f" [{h.unit}]" if h.unit else ""
    arrow = f" {_ARROWS[h.arrow]}" if h.arrow else ""
    return md_escape(h.label + unit + arrow)


def _md_cell(c: Cell, ci: str) -> str:
    main = f"**{c.main}**" if c.bold else c.main
    if c.lo:
        main += f" [{c.lo}, {c.hi}]" if ci == "bracket" else f" ± {c.half}"
    if c.note:
        main += f" ({c.note})"
    return md_escape(main + c.marks)


def _ci_phrase(ci: str) -> str:
    return "mean [lo, hi]" if ci == "bracket" else "mean ± half-width of the interval"


def layout_markdown(lay: TableLayout, ci: str = "bracket", heading_level: int = 3) -> str:
    """One dataset's table as Markdown: heading, pipe table, caption, footnotes."""
    _check_ci(ci)
    header = [_md_header(h) for h in lay.headers]
    rows = [[_md_cell(c, ci) for c in row] for row in lay.rows]
    parts = ["#" * heading_level + f" {md_escape(lay.dataset)}\n",
             pipe_table(header, rows, [h.align for h in lay.headers]),
             f"{lay.caption} Cells: {_ci_phrase(ci)}.\n"]
    if lay.footnotes:
        parts.append("\n".join(f"- {f.mark} {f.text}" for f in lay.footnotes) + "\n")
    return "\n".join(parts)


def to_markdown(table: pd.DataFrame, metric_info: Mapping | None = None, *, ci: str = "bracket",
                metrics: Sequence[str] | None = None,
                token_columns: Sequence[str] = DEFAULT_TOKEN_COLUMNS, heading_level: int = 3) -> str:
    """All datasets of a summary table as Markdown sections (one pipe table each).

    Args:
        table: `summary_table` output.
        metric_info: overrides of the built-in metric table.
        ci: "bracket" (mean [lo, hi]) or "pm" (mean ± half-width).
        metrics: quality metrics to show (default: all present).
        token_columns: token statistics to show when present.
        heading_level: Markdown heading level of each dataset's title.
    """
    layouts = layout_tables(table, metric_info, metrics=metrics, token_columns=token_columns)
    return "\n".join(layout_markdown(lay, ci, heading_level) for lay in layouts)


def _tex_header_rows(headers: Sequence[Header]) -> list[str]:
    labels = [latex_escape(h.label) for h in headers]
    units = []
    for h in headers:
        unit = f"[{latex_escape(h.unit)}]" if h.unit else ""
        arrow = {"up": r"$\uparrow$", "down": r"$\downarrow$", "": ""}[h.arrow]
        units.append(" ".join(p for p in (unit, arrow) if p))
    rows = [" & ".join(labels) + r" \\"]
    if any(units):
        rows.append(" & ".join(units) + r" \\")
    return rows


def _tex_cell(c: Cell, ci: str, first: bool) -> str:
    main = latex_escape(c.main) if first else latex_number(c.main).replace("—", "--")
    if c.bold:
        main = rf"\textbf{{{main}}}"
    if c.lo:
        if ci == "bracket":
            main += rf" {{\scriptsize [{latex_number(c.lo)}, {latex_number(c.hi)}]}}"
        else:
            main += rf" $\pm$ {latex_number(c.half)}"
    if c.note:
        main += rf" {{\scriptsize ({latex_escape(c.note)})}}"
    return main + latex_marks(c.marks)


def layout_latex(lay: TableLayout, ci: str = "pm", label_prefix: str = "tab:bench") -> str:
    """One dataset's table as a LaTeX table float with booktabs rules and footnotes."""
    _check_ci(ci)
    lines = [r"\begin{table*}[t]", r"\centering", r"\small",
             rf"\caption{{{latex_escape(lay.caption)} Cells: {latex_escape(_ci_phrase(ci))}.}}",
             rf"\label{{{label_prefix}-{_label_key(lay.dataset)}}}",
             r"\begin{tabular}{" + "".join(h.align for h in lay.headers) + "}",
             r"\toprule", *_tex_header_rows(lay.headers), r"\midrule"]
    for i, row in enumerate(lay.rows):
        if i and lay.groups[i] != lay.groups[i - 1]:
            lines.append(r"\midrule")
        lines.append(" & ".join(_tex_cell(c, ci, j == 0) for j, c in enumerate(row)) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if lay.footnotes:
        lines += [r"\par\smallskip", r"\parbox{\linewidth}{\footnotesize"]
        notes = [latex_marks(f.mark) + "~" + latex_escape(f.text) for f in lay.footnotes]
        lines += [" \\\\\n".join(notes), "}"]
    lines.append(r"\end{table*}")
    return "\n".join(lines) + "\n"


def _label_key(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-:" else "-" for ch in name)


def to_latex(table: pd.DataFrame, metric_info: Mapping | None = None, *, ci: str = "pm",
             metrics: Sequence[str] | None = None,
             token_columns: Sequence[str] = DEFAULT_TOKEN_COLUMNS,
             label_prefix: str = "tab:bench") -> str:
    """All datasets as LaTeX tables (needs \\usepackage{booktabs}).

    Args:
        table: `summary_table` output.
        metric_info: overrides of the built-in metric table.
        ci: "pm" (mean \\pm half-width) or "bracket" (mean [lo, hi]).
        metrics: quality metrics to show (default: all present).
        token_columns: token statistics to show when present.
        label_prefix: \\label is "<prefix>-<dataset>".
    """
    layouts = layout_tables(table, metric_info, metrics=metrics, token_columns=token_columns)
    head = "% Generated by bench.reports.tables from results.csv; needs \\usepackage{booktabs}.\n"
    return head + "\n".join(layout_latex(lay, ci, label_prefix) for lay in layouts)


def to_csv(table: pd.DataFrame, path: str | Path | None = None) -> str:
    """The full summary (every statistic and reason) as CSV text, also written to `path` if given.

    Floats use "%.10g" and lines end in "\\n", so the bytes depend only on the values.
    """
    text = table.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
