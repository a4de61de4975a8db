"""The listening grid: one row per chosen item, one column per codec operating point.

`build_grid` is the only function here that touches files (it writes clips
through `clips`); `item_scores` and `cell_status` are pure views of the tidy
results. Every cell says what it is: a player with the item's scores, or the
reason there is none (codec unavailable, codec failed on the item, audio not
in the cache, codec not run on the item's dataset).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.listening.clips import (AudioSources, Clip, cached_decoded, safe_name, write_decoded,
                                   write_reference)
from bench.listening.selection import ItemRef
from bench.reports.formatting import fmt_fixed, fmt_sig
from bench.reports.grouping import operating_points
from bench.reports.metric_info import info_for, resolve_metric_info

CLIPS_DIR = "listening"


@dataclass(frozen=True)
class Score:
    """One metric of one item: `text` is the value with unit, or the status."""

    label: str
    text: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class GridCell:
    """One codec on one item: `clip` is None exactly when `status` is not "ok"."""

    codec: str
    status: str                     # ok, unavailable, failed, missing, not run
    reason: str = ""
    clip: Clip | None = None
    scores: tuple[Score, ...] = ()

    @property
    def title(self) -> str:
        """Hover text: the scores, one per line, with reasons for missing ones."""
        lines = [f"{self.codec}: {self.status}" + (f" ({self.reason})" if self.reason else "")]
        lines += [f"{s.label}: {s.text}" + (f" ({s.reason})" if s.reason else "") for s in self.scores]
        if self.clip is not None:
            lines.append(self.clip.description + (f"; {self.clip.note}" if self.clip.note else ""))
        return "\n".join(lines)


@dataclass(frozen=True)
class GridColumn:
    codec: str
    family: str
    bitrate_kbps: float
    output_rate: int | None          # Hz; None when the codec could not be described
    unavailable: str = ""

    @property
    def bitrate_text(self) -> str:
        return f"{fmt_sig(self.bitrate_kbps)} kbit/s"

    @property
    def rate_text(self) -> str:
        """Output sample rate, e.g. "16 kHz out"."""
        return f"{fmt_sig(self.output_rate / 1000)} kHz out" if self.output_rate else "output rate unknown"


@dataclass(frozen=True)
class GridRow:
    item: ItemRef
    reference: Clip | None
    reference_reason: str
    cells: tuple[GridCell, ...]


@dataclass(frozen=True)
class Grid:
    columns: tuple[GridColumn, ...]
    rows: tuple[GridRow, ...]


def item_scores(rows: pd.DataFrame, metric_info: dict) -> tuple[Score, ...]:
    """Scores of one (codec, item) from its result rows, in metric-table order."""
    rank = {name: i for i, name in enumerate(metric_info)}
    out = []
    for r in sorted(rows.itertuples(index=False), key=lambda r: (rank.get(r.metric, len(rank)), r.metric)):
        mi = info_for(metric_info, r.metric, str(r.unit))
        if r.status in ("ok", "warn"):
            text = fmt_fixed(float(r.value), mi.decimals) + (f" {mi.unit}" if mi.unit else "")
        else:
            text = r.status
        out.append(Score(mi.label, text, str(r.status), str(r.error)))
    return tuple(out)


def cell_status(rows: pd.DataFrame, has_audio: bool, unavailable: str) -> tuple[str, str]:
    """(status, reason) of a cell from its result rows and whether decoded audio exists."""
    if unavailable:
        return "unavailable", unavailable
    if rows.empty:
        return "not run", "no result rows for this codec on this item"
    if has_audio:
        return "ok", ""
    reasons = sorted({e for e, s in zip(rows["error"], rows["status"]) if s != "ok" and e})
    if (rows["status"] == "unavailable").all():
        return "unavailable", "; ".join(reasons)
    if reasons:
        return "failed", "; ".join(reasons)
    return "missing", "decoded audio is not in the cache; re-run the suite to restore it"


def _output_rate(codec: str, sources: AudioSources) -> int | None:
    """Hz, from the plan; for codecs not planned (unavailable), from the catalog if it can say."""
    if codec in sources.codecs:
        return sources.codecs[codec].output_sample_rate
    from bench.codecs import describe_spec, get_spec
    try:
        return int(describe_spec(get_spec(codec))["output_sample_rate"])
    except Exception:     # unknown or undescribable without weights: the page says "unknown"
        return None


def _columns(results: pd.DataFrame, sources: AudioSources) -> tuple[GridColumn, ...]:
    columns = tuple(GridColumn(op.codec, op.family, float(op.bitrate_kbps), _output_rate(op.codec, sources),
                               sources.unavailable.get(op.codec, ""))
                    for op in operating_points(results).itertuples())
    _check_file_names([c.codec for c in columns], "codec")
    return columns


def _check_file_names(names: list[str], what: str) -> None:
    """Raise if two names share a clip file name (`safe_name`), which would overwrite a clip."""
    files = [safe_name(n) for n in names]
    clashes = sorted({f for f in files if files.count(f) > 1})
    if clashes:
        raise ValueError(f"{what} names {[n for n in names if safe_name(n) in clashes]} map to the same "
                         f"clip file name(s) {clashes}; rename one of them")


def build_grid(results: pd.DataFrame, refs: list[ItemRef], sources: AudioSources, page_dir: Path,
               metric_info: dict | None = None) -> Grid:
    """Write the clips of `refs` under `page_dir/listening/` and describe every cell.

    Args:
        results: item-level tidy rows (no token statistics).
        refs: the grid rows, in order.
        sources: from `clips.locate_sources`.
        page_dir: folder of index.html (the suite's report folder).
        metric_info: `bench.reports.metric_info` overrides.
    """
    info = resolve_metric_info(metric_info)
    columns = _columns(results, sources)
    _check_file_names([f"{r.dataset}/{r.item}" for r in refs], "item")
    grid_rows = []
    for ref in refs:
        base = f"{CLIPS_DIR}/{safe_name(ref.dataset)}/{safe_name(ref.item)}"
        item = sources.items.get((ref.dataset, ref.item))
        reference, why = None, ""
        if item is None:
            why = "item file not found in the dataset now (it was present when the suite ran)"
        else:
            reference = write_reference(item.path, page_dir, f"{base}/reference")
        sel = results[(results["dataset"] == ref.dataset) & (results["item"] == ref.item)]
        cells = []
        for col in columns:
            rows = sel[sel["codec"] == col.codec]
            decoded = None if col.unavailable else cached_decoded(sources, col.codec, ref.dataset, ref.item)
            status, reason = cell_status(rows, decoded is not None, col.unavailable)
            clip = None
            if status == "ok":
                clip = write_decoded(decoded, col.output_rate, page_dir,
                                     f"{base}/decoded/{safe_name(col.codec)}.flac")
            cells.append(GridCell(col.codec, status, reason, clip, item_scores(rows, info)))
        grid_rows.append(GridRow(ref, reference, why, tuple(cells)))
    return Grid(columns, tuple(grid_rows))
