"""Report plots, each written as PNG and PDF; every function returns the paths.

- `rd_curves`: each quality metric against kbit/s (log axis), one line per
  group of operating points, with the bootstrap CI as a band.
- `per_item_distributions`: per-item scores per codec (box plot and points).
- `codebook_usage`: code frequencies sorted descending (rank-frequency, log-log).
- `occupancy_maps`: Q2D2 grid points of each pair, sized and coloured by use.
- `spectrogram_panel`: reference and each codec's output for one item.
- `seed_spread`: per family, each seed's mean and the seed-and-item CI.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.ticker import FuncFormatter

from bench.reports.formatting import fmt_sig
from bench.reports.figures import colors_for, grid_figure, legend, markers_for, safe_name, save_figure, style
from bench.reports.grouping import GroupBy
from bench.reports.metric_info import in_table_order, info_for, resolve_metric_info
from bench.reports.stability import scored_metrics
from bench.reports.summary import SCORED, select_dataset, summary_table, table_metrics
from bench.results import TOKEN_ITEM

_ARROW = {True: " ↑", False: " ↓", None: ""}


def _axis_label(info, metric: str, unit: str = "") -> str:
    mi = info_for(info, metric, unit)
    return mi.label + (f" [{mi.unit}]" if mi.unit else "") + _ARROW[mi.higher_is_better]


def rd_curves(df: pd.DataFrame, out_dir: str | Path, *, metric_info: Mapping | None = None,
              group_by: GroupBy = None, dataset: str | None = None,
              metrics: Sequence[str] | None = None, seed: int = 0,
              n_resamples: int = 10_000, table: pd.DataFrame | None = None) -> list[Path]:
    """Rate-distortion curves, one figure per dataset (`rd_<dataset>.png/.pdf`).

    Args:
        df: tidy results.
        out_dir: folder for the files.
        metric_info: overrides of the built-in metric table.
        group_by: see `grouping.operating_points`.
        dataset: one dataset, or all.
        metrics: quality metrics to plot (default: all with any scored item).
        seed, n_resamples: bootstrap settings for the bands.
        table: a precomputed `summary_table` of `df` (saves recomputing the CIs).

    Returns:
        The written paths; none for a dataset without scored quality metrics.
    """
    info = resolve_metric_info(metric_info)
    if table is None:
        table = summary_table(df, dataset, metric_info, seed, group_by=group_by, n_resamples=n_resamples)
    elif dataset is not None:
        table = table[table["dataset"] == dataset]
    paths: list[Path] = []
    for ds, sub in table.groupby("dataset", sort=True):
        chosen = [m for m in (metrics or table_metrics(sub))
                  if sub[f"{m}.kind"].iloc[0] == "quality" and (sub[f"{m}.n"] > 0).any()]
        if not chosen:
            continue
        groups = list(dict.fromkeys(sub["group"]))
        colors, marks = colors_for(groups), markers_for(groups)
        with style():
            fig, axes = grid_figure(len(chosen), 3)
            for ax, m in zip(axes, chosen):
                for group, pts in sub[sub[f"{m}.n"] > 0].groupby("group", sort=False):
                    pts = pts.sort_values("bitrate_kbps", kind="stable")
                    x, c = pts["bitrate_kbps"].to_numpy(), colors[group]
                    mean, lo, hi = (pts[f"{m}.{s}"].to_numpy() for s in ("mean", "lo", "hi"))
                    ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt=marks[group] + "-", color=c, label=group,
                                markersize=4, capsize=2, elinewidth=0.8)
                    ax.fill_between(x, lo, hi, color=c, alpha=0.2, linewidth=0)
                ax.set_xscale("log")
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_sig(v)))
                ax.set_xlabel("bitrate [kbit/s]")
                ax.set_ylabel(_axis_label(info, m))
            legend(fig, axes[0])
            fig.suptitle(f"{ds}: quality vs bitrate (mean, 95% CI over items)")
            paths += save_figure(fig, Path(out_dir) / f"rd_{safe_name(str(ds))}")
    return paths


def per_item_distributions(df: pd.DataFrame, out_dir: str | Path, *,
                           metric_info: Mapping | None = None, dataset: str | None = None,
                           metrics: Sequence[str] | None = None, order: Sequence[str] | None = None
                           ) -> list[Path]:
    """Per-item score distributions per codec, one figure per dataset (`dist_<dataset>`).

    Args:
        df: tidy results (rows with status ok/warn are plotted).
        out_dir: folder for the files.
        metric_info: overrides of the built-in metric table.
        dataset: one dataset, or all.
        metrics: metrics to plot (default: all per-item metrics with values).
        order: codec order on the x axis (default: by bitrate, then name).
    """
    info = resolve_metric_info(metric_info)
    data = select_dataset(df, dataset)
    data = data[(data["item"] != TOKEN_ITEM) & data["status"].isin(SCORED)]
    if order is None:
        rates = data.groupby("codec")["bitrate"].first()
        order = sorted(rates.index, key=lambda c: (rates[c], c))
    paths: list[Path] = []
    for ds, sub in data.groupby("dataset", sort=True):
        chosen = [m for m in (metrics or in_table_order(sub["metric"], info)) if m in set(sub["metric"])]
        if not chosen:
            continue
        codecs = [c for c in order if c in set(sub["codec"])]
        rng = np.random.default_rng(0)  # fixed jitter
        with style():
            fig, axes = grid_figure(len(chosen), 2, panel_size=(max(3.6, 0.5 * len(codecs) + 1.5), 3.0))
            for ax, m in zip(axes, chosen):
                vals = [sub[(sub["codec"] == c) & (sub["metric"] == m)]["value"].to_numpy() for c in codecs]
                pos = [i for i, v in enumerate(vals) if len(v)]
                ax.boxplot([vals[i] for i in pos], positions=pos, widths=0.6, showfliers=False)
                for i in pos:
                    ax.plot(i + rng.uniform(-0.15, 0.15, len(vals[i])), vals[i], ".", color="C0",
                            alpha=0.5, markersize=3)
                ax.set_xticks(range(len(codecs)), codecs, rotation=45, ha="right", fontsize=7)
                ax.set_xlim(-0.6, len(codecs) - 0.4)
                ax.set_ylabel(_axis_label(info, m))
            fig.suptitle(f"{ds}: per-item scores")
            paths += save_figure(fig, Path(out_dir) / f"dist_{safe_name(str(ds))}")
    return paths


def codebook_usage(counts_by_codec: Mapping[str, np.ndarray], out_dir: str | Path, *,
                   name: str = "codebook_usage") -> list[Path]:
    """Rank-frequency plot of code use (log-log), one line per codec or codebook.

    Args:
        counts_by_codec: codec -> counts [V] or [K, V] (K codebooks of V codes).
        out_dir: folder for `<name>.png/.pdf`.
        name: file stem.

    Raises:
        ValueError: counts with another shape, negative counts, or none at all.
    """
    if not counts_by_codec:
        raise ValueError("codebook_usage: no codecs given")
    with style():
        fig, (ax,) = grid_figure(1, 1, panel_size=(5.5, 3.6))
        for codec, counts in counts_by_codec.items():
            arr = np.asarray(counts, dtype=np.float64)
            if arr.ndim not in (1, 2) or arr.size == 0 or (arr < 0).any():
                raise ValueError(f"{codec}: counts must be a non-negative [V] or [K, V] array, "
                                 f"got shape {arr.shape}")
            rows = arr[None] if arr.ndim == 1 else arr
            for k, row in enumerate(rows):
                freq = np.sort(row)[::-1] / max(row.sum(), 1.0)
                used = int((row > 0).sum())
                label = codec if len(rows) == 1 else f"{codec}[{k}]"
                ax.plot(np.arange(1, used + 1), freq[:used], drawstyle="steps-post",
                        label=f"{label}: {used}/{row.size} codes used ({100 * used / row.size:.1f}%)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("code rank")
        ax.set_ylabel("relative frequency")
        legend(fig, ax)
        fig.suptitle("codebook usage (codes sorted by frequency)")
        return save_figure(fig, Path(out_dir) / name)


def occupancy_maps(maps: Mapping[str, Sequence[tuple[np.ndarray, np.ndarray]]],
                   out_dir: str | Path) -> list[Path]:
    """Q2D2 2D occupancy: per codec one figure, one panel per quantized pair.

    Args:
        maps: codec -> per pair (points [N, 2] grid coordinates, counts [N]).
        out_dir: folder for `occupancy_<codec>.png/.pdf`.

    Unused grid points are grey crosses; used ones are circles with area and
    colour (log scale) by count.
    """
    paths: list[Path] = []
    for codec, pairs in maps.items():
        if not pairs:
            raise ValueError(f"{codec}: no pairs given")
        with style():
            fig, axes = grid_figure(len(pairs), 4, panel_size=(2.6, 2.6))
            vmax = max(float(np.max(c)) for _, c in pairs)
            norm = LogNorm(vmin=1.0, vmax=max(vmax, 2.0))
            mappable = None
            for k, (ax, (points, counts)) in enumerate(zip(axes, pairs)):
                points, counts = np.asarray(points, float), np.asarray(counts, float)
                if points.ndim != 2 or points.shape[1] != 2 or counts.shape != (points.shape[0],):
                    raise ValueError(f"{codec} pair {k}: need points [N, 2] and counts [N], "
                                     f"got {points.shape} and {counts.shape}")
                used = counts > 0
                ax.scatter(points[~used, 0], points[~used, 1], marker="x", s=8, color="0.7", linewidths=0.6)
                size = 8 + 120 * np.sqrt(counts[used] / max(vmax, 1.0))
                mappable = ax.scatter(points[used, 0], points[used, 1], s=size, c=counts[used],
                                      norm=norm, edgecolors="none")
                ax.set_aspect("equal")
                ax.set_title(f"pair {k}: {int(used.sum())}/{len(counts)} used", fontsize=8)
            if mappable is not None:
                fig.colorbar(mappable, ax=axes, label="count", shrink=0.8)
            fig.suptitle(f"{codec}: grid point occupancy per pair")
            paths += save_figure(fig, Path(out_dir) / f"occupancy_{safe_name(codec)}")
    return paths


def _spectrogram_db(wav: np.ndarray, sr: int) -> tuple[np.ndarray, float, float]:
    """|STFT| in dB [freq, frames] with a ~32 ms Hann window, hop 1/4; plus duration (s), nyquist (Hz)."""
    n_fft = 2 ** int(round(math.log2(0.032 * sr)))
    hop = n_fft // 4
    x = np.pad(wav.astype(np.float64), (0, max(0, n_fft - len(wav))))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop] * np.hanning(n_fft)
    mag = np.abs(np.fft.rfft(frames, axis=1)).T
    return 20 * np.log10(mag + 1e-10), len(wav) / sr, sr / 2


def spectrogram_panel(signals: Mapping[str, tuple[np.ndarray, int]], out_path: str | Path, *,
                      dynamic_range_db: float = 80.0) -> list[Path]:
    """Spectrograms of one item stacked: the first entry is the reference.

    Args:
        signals: name -> (mono waveform [T], sample rate Hz), reference first.
        out_path: path stem (any suffix is replaced by .png and .pdf).
        dynamic_range_db: colour range below the reference's peak.

    Raises:
        ValueError: a signal is not 1-D or is empty.
    """
    if not signals:
        raise ValueError("spectrogram_panel: no signals given")
    specs = {}
    for name, (wav, sr) in signals.items():
        wav = np.asarray(wav)
        if wav.ndim != 1 or wav.size == 0:
            raise ValueError(f"{name}: need a non-empty mono 1-D signal, got shape {wav.shape}")
        specs[name] = _spectrogram_db(wav, int(sr))
    top = float(next(iter(specs.values()))[0].max())
    khz = max(nyq for _, _, nyq in specs.values()) / 1000  # common axis: lost bands stay visible
    with style():
        fig, axes = grid_figure(len(specs), 1, panel_size=(7.0, 1.8))
        image = None
        for ax, (name, (db, dur, nyq)) in zip(axes, specs.items()):
            image = ax.imshow(db, origin="lower", aspect="auto", extent=(0, dur, 0, nyq / 1000),
                              vmin=top - dynamic_range_db, vmax=top, interpolation="nearest")
            ax.set_title(name, fontsize=8, loc="left")
            ax.set_ylabel("kHz")
            ax.set_ylim(0, khz)
            ax.grid(False)
        axes[-1].set_xlabel("time [s]")
        fig.colorbar(image, ax=axes, label="dB", shrink=0.8)
        out = Path(out_path)
        return save_figure(fig, out.with_name(out.stem if out.suffix else out.name))


def seed_spread(rep: pd.DataFrame, out_dir: str | Path, *, metric_info: Mapping | None = None) -> list[Path]:
    """Per dataset (`seeds_<dataset>`): per family, one dot per seed's mean and the seed-averaged
    mean with its seed-and-item 95% CI, one panel per metric (`seeds.seed_replicates` rows)."""
    info = resolve_metric_info(metric_info)
    paths: list[Path] = []
    for ds, block in rep[rep["n"] > 0].groupby("dataset", sort=True):
        metrics = list(dict.fromkeys(block["metric"]))
        groups = list(dict.fromkeys(block["group"]))
        colors = colors_for(groups)
        with style():
            fig, axes = grid_figure(len(metrics), 3, panel_size=(max(3.0, 0.7 * len(groups) + 1.2), 2.8))
            for ax, m in zip(axes, metrics):
                for i, g in enumerate(groups):
                    r = block[(block["metric"] == m) & (block["group"] == g)].iloc[0]
                    seeds = [float(v) for v in str(r["seed_means"]).split(";")]
                    ax.errorbar([i], [r["mean"]], yerr=[[r["mean"] - r["lo"]], [r["hi"] - r["mean"]]],
                                fmt="_", markersize=14, capsize=4, color=colors[g])
                    ax.plot(i + np.linspace(-0.12, 0.12, len(seeds)), seeds, "o", color=colors[g],
                            markersize=4, alpha=0.8)
                ax.set_xticks(range(len(groups)), groups, rotation=45, ha="right", fontsize=7)
                ax.set_xlim(-0.6, len(groups) - 0.4)
                ax.set_ylabel(_axis_label(info, m))
            fig.suptitle(f"{ds}: mean of each seed (dots, seed 0 left)\nmean and 95% CI over seeds and items (bars)",
                         fontsize=8)
            paths += save_figure(fig, Path(out_dir) / f"seeds_{safe_name(str(ds))}")
    return paths


def length_trends(verdicts: pd.DataFrame, out_dir: str | Path, *, metric_info: Mapping | None = None
                  ) -> list[Path]:
    """Per dataset (`stability_<dataset>`): each family's seed-averaged mean and its seed-and-item 95% CI
    at every training length, one panel per metric (`stability.length_stability` verdict rows)."""
    info = resolve_metric_info(metric_info)
    paths: list[Path] = []
    for ds, block in verdicts.groupby("dataset", sort=True):
        metrics = scored_metrics(block)
        if not metrics:
            continue
        tiers = list(dict.fromkeys(block["tier"]))
        families = list(dict.fromkeys(block["family"]))
        colors, marks = colors_for(families), markers_for(families)
        offsets = np.linspace(-0.08, 0.08, len(families)) if len(families) > 1 else [0.0]
        with style():
            fig, axes = grid_figure(len(metrics), 3)
            for ax, m in zip(axes, metrics):
                for fam, off in zip(families, offsets):
                    rows = block[(block["metric"] == m) & (block["family"] == fam)].set_index("tier").reindex(tiers)
                    x = np.arange(len(tiers)) + off
                    mean, lo, hi = (rows[c].to_numpy(dtype=float) for c in ("mean", "lo", "hi"))
                    ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt=marks[fam] + "-", color=colors[fam],
                                label=fam, markersize=4, capsize=2, elinewidth=0.8)
                ax.set_xticks(range(len(tiers)), tiers, fontsize=7)
                ax.set_xlim(-0.4, len(tiers) - 0.6)
                ax.set_ylabel(_axis_label(info, m))
            legend(fig, axes[0])
            fig.suptitle(f"{ds}: quality vs training length (mean, 95% CI over seeds and items)", fontsize=8)
            paths += save_figure(fig, Path(out_dir) / f"stability_{safe_name(str(ds))}")
    return paths
