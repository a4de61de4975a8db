"""Deterministic matplotlib figures: no pyplot, no timestamps, fixed style.

Figures are `matplotlib.figure.Figure` objects (no global pyplot state, no
backend switch: PNG renders with Agg, PDF with the pdf backend). `save_figure`
writes PNG and PDF without creation dates or software versions, so the same
data gives the same bytes with the same matplotlib and fonts.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import matplotlib
from matplotlib.figure import Figure

STYLE = {
    "svg.hashsalt": "bench-reports",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "image.cmap": "viridis",
}
PNG_METADATA = {"Software": None}
PDF_METADATA = {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}


@contextmanager
def style() -> Iterator[None]:
    """The report style, applied only inside the block (global rcParams untouched)."""
    with matplotlib.rc_context(STYLE):
        yield


def safe_name(name: str) -> str:
    """A file-name-safe version of a codec or dataset name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "unnamed"


def grid_figure(n_panels: int, ncols: int, panel_size: tuple[float, float] = (3.6, 2.8),
                **subplot_kw) -> tuple[Figure, list]:
    """A figure with `n_panels` axes on a grid (unused cells removed), flattened."""
    if n_panels < 1:
        raise ValueError("a figure needs at least one panel")
    ncols = max(1, min(ncols, n_panels))
    nrows = -(-n_panels // ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, subplot_kw=subplot_kw).ravel().tolist()
    for ax in axes[n_panels:]:
        fig.delaxes(ax)
    return fig, axes[:n_panels]


def save_figure(fig: Figure, stem: Path, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Write `stem.png` and `stem.pdf` (creating folders); returns the paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = stem.with_name(stem.name + "." + fmt)
        metadata = {"png": PNG_METADATA, "pdf": PDF_METADATA}.get(fmt)
        fig.savefig(path, format=fmt, metadata=metadata)
        paths.append(path)
    return paths


def colors_for(names: Sequence[str]) -> dict[str, tuple]:
    """A stable colour per name: tab10 in the given order, tab20 for more than ten (cycling)."""
    cmap = matplotlib.colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {n: cmap(i % cmap.N) for i, n in enumerate(names)}


MARKERS = "osD^v<>ph*"


def markers_for(names: Sequence[str], per_marker: int = 20) -> dict[str, str]:
    """A marker per name: "o" for the first `per_marker`, then the next shape (tells cycled colours apart)."""
    return {n: MARKERS[(i // per_marker) % len(MARKERS)] for i, n in enumerate(names)}


def legend(fig, ax, max_inside: int = 8) -> None:
    """The axis legend inside when short; beside the figure's grid when longer than `max_inside`."""
    handles, labels = ax.get_legend_handles_labels()
    if len(labels) <= max_inside:
        ax.legend(loc="best")
    else:
        fig.legend(handles, labels, loc="outside right upper", fontsize=7,
                   ncol=1 + len(labels) // 30)
