"""Views of the robustness rows: summary frames, Markdown tables, plots and `report.md`.

Statistics: per (codec, packing, p, metric) the scores are first averaged over
channel seeds per item, then the mean over items gets a 95% percentile
bootstrap interval (`bench.statistics.bootstrap_ci`, 2000 resamples, seed 0),
so seeds never inflate the item count. Only rows with status ok/warn enter;
the tables count the others.

Plots (matplotlib Agg, PNG and PDF, no timestamps): one figure per metric,
the metric against p on equally spaced positions (p = 0 cannot sit on a log
axis), one line per codec and packing, shaded 95% CI bands, as in the
NeuCodec paper's figure.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.reports.formatting import fmt_fixed, fmt_sig, md_escape, pipe_table
from bench.statistics import bootstrap_ci

VALID = ("ok", "warn")
DECIMALS = {"stoi": 3, "estoi": 3, "si_sdr": 1}
N_RESAMPLES = 2000


def _decimals(metric: str) -> int:
    return DECIMALS.get(metric, 2)


def summarise_channel(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (codec, packing, metric, p): n, mean, lo, hi, n_bad, flip_rate, oor_rate."""
    cols = ["codec", "packing", "metric", "p", "n", "mean", "lo", "hi", "n_bad", "bits_per_frame",
            "flip_rate", "oor_rate"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = []
    for (codec, packing, metric, p), g in df.groupby(["codec", "packing", "metric", "p"], sort=True):
        ok = g[g["status"].isin(VALID)]
        per_item = ok.groupby("item")["value"].mean().to_numpy()
        ci = bootstrap_ci(per_item, n_resamples=N_RESAMPLES, seed=0)
        once = g.drop_duplicates(["seed", "item"])
        bits, sym = once["n_bits"].sum(), once["n_symbols"].sum()
        out.append({"codec": codec, "packing": packing, "metric": metric, "p": float(p),
                    "n": len(per_item), "mean": ci.mean, "lo": ci.lo, "hi": ci.hi,
                    "n_bad": int((~g["status"].isin(VALID)).sum()),
                    "bits_per_frame": int(once["bits_per_frame"].max()),
                    "flip_rate": once["n_flipped"].sum() / bits if bits else math.nan,
                    "oor_rate": once["n_out_of_range"].sum() / sym if sym else math.nan})
    return pd.DataFrame(out, columns=cols)


def _ci_cell(r, decimals: int) -> str:
    if not math.isfinite(r["mean"]):
        return "n/a"
    return f"{fmt_fixed(r['mean'], decimals)} [{fmt_fixed(r['lo'], decimals)}, {fmt_fixed(r['hi'], decimals)}]"


def metric_table(summary: pd.DataFrame, metric: str) -> str:
    """Markdown: rows codec/packing, columns p, cells mean [95% CI]."""
    s = summary[summary["metric"] == metric]
    ps = sorted(s["p"].unique())
    header = ["codec", "packing", "bits/frame"] + [f"p={fmt_sig(p)}" for p in ps] + ["not scored"]
    rows = []
    for (codec, packing), g in s.groupby(["codec", "packing"], sort=True):
        by_p = {r["p"]: r for _, r in g.iterrows()}
        rows.append([md_escape(codec), packing, str(int(g["bits_per_frame"].max()))]
                    + [_ci_cell(by_p[p], _decimals(metric)) if p in by_p else "" for p in ps]
                    + [str(int(g["n_bad"].sum()))])
    return pipe_table(header, rows, ["l", "l", "r"] + ["r"] * (len(ps) + 1))


def channel_check_table(summary: pd.DataFrame) -> str:
    """Markdown: measured flip rate and out-of-range symbol rate per codec/packing and p."""
    s = summary.drop_duplicates(["codec", "packing", "p"])
    ps = sorted(s["p"].unique())
    header = ["codec", "packing"] + [f"p={fmt_sig(p)}: flips / out of range" for p in ps]
    rows = []
    for (codec, packing), g in s.groupby(["codec", "packing"], sort=True):
        by_p = {r["p"]: r for _, r in g.iterrows()}
        rows.append([md_escape(codec), packing] + [
            f"{fmt_sig(by_p[p]['flip_rate'])} / {fmt_sig(by_p[p]['oor_rate'])}" if p in by_p else ""
            for p in ps])
    return pipe_table(header, rows, ["l", "l"] + ["r"] * len(ps))


def summarise_locality(ldf: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% CI over items per (probe, codec, condition, field, measure)."""
    cols = ["probe", "codec", "condition", "field", "measure", "n", "mean", "lo", "hi"]
    if ldf.empty:
        return pd.DataFrame(columns=cols)
    ok = ldf[ldf["measure"] != "error"].dropna(subset=["value"])
    out = []
    for keys, g in ok.groupby(["probe", "codec", "condition", "field", "measure"], sort=True):
        ci = bootstrap_ci(g["value"].to_numpy(), n_resamples=N_RESAMPLES, seed=0)
        out.append(dict(zip(cols[:5], keys), n=len(g), mean=ci.mean, lo=ci.lo, hi=ci.hi))
    return pd.DataFrame(out, columns=cols)


def _condition_order(conditions) -> list[str]:
    def key(c: str):
        try:
            return (0, -float(c.split()[0]))
        except ValueError:
            return (1, c)
    return sorted(set(conditions), key=key)


def locality_table(ls: pd.DataFrame, probe: str) -> str:
    """Markdown: per codec and condition, frames unchanged and fields within one (vs chance)."""
    s = ls[(ls["probe"] == probe) & (ls["field"] == "all")]
    header = ["codec", "condition", "frames unchanged", "fields unchanged", "fields within one",
              "chance within one"]
    rows = []
    for codec in sorted(s["codec"].unique()):
        for cond in _condition_order(s[s["codec"] == codec]["condition"]):
            g = s[(s["codec"] == codec) & (s["condition"] == cond)].set_index("measure")
            cell = {m: (_ci_cell(g.loc[m], 3) if m in g.index else "n/a")
                    for m in ("frames_unchanged", "unchanged", "within_one", "chance_within_one")}
            rows.append([md_escape(codec), cond, cell["frames_unchanged"], cell["unchanged"],
                         cell["within_one"], cell["chance_within_one"]])
    return pipe_table(header, rows, ["l", "l", "r", "r", "r", "r"])


def field_table(ls: pd.DataFrame, probe: str) -> str:
    """Markdown: per-field fraction within one level / neighbour (means over items)."""
    s = ls[(ls["probe"] == probe) & (ls["field"] != "all") & (ls["measure"] == "within_one")]
    s = s[s["field"].str.match(r"^(dim|pair|s\d)")]
    if s.empty:
        return ""
    fields = list(dict.fromkeys(sorted(s["field"], key=lambda f: (len(f), f))))
    header = ["codec", "condition"] + fields
    rows = []
    for (codec, cond), g in s.groupby(["codec", "condition"], sort=True):
        by = dict(zip(g["field"], g["mean"]))
        rows.append([md_escape(codec), cond] + [fmt_fixed(by[f], 3) if f in by else "" for f in fields])
    return pipe_table(header, rows, ["l", "l"] + ["r"] * len(fields))


def geometry_table(geometry: dict[str, list], rule: str) -> str:
    """Markdown: per distinct field geometry of the run's implicit codecs, how natural binary and
    the Gray ordering place neighbours (Hamming distance) and where one flip lands (distance)."""
    from bench.quantizers.grids import Grid
    from bench.robustness.gray import (bits_for, grid_edges, natural_ordering, neighbour_hamming,
                                       single_flip_distance)
    from bench.robustness.packing import FieldGeometry
    fields = sorted({(k, tuple(l)) for v in geometry.values() for k, l in v})
    header = ["field", "values", "bits", "neighbour Hamming: natural mean / max", "Gray mean / max",
              "Gray pairs at 1 bit", "one flip moves, mean / RMS: natural", "Gray"]
    rows = []
    for kind, levels in fields:
        g = FieldGeometry(kind, levels)
        if kind == "line":
            n = levels[0]
            coords = np.arange(n, dtype=np.float64)[:, None]
            edges = np.stack([np.arange(n - 1), np.arange(1, n)], 1)
        else:
            coords = Grid(kind, *levels).points.numpy()
            n = coords.shape[0]
            edges = grid_edges(kind, *levels)
        nat, gray = natural_ordering(n), g.gray_ordering()
        hn, hg = neighbour_hamming(nat, edges), neighbour_hamming(gray, edges)
        name = f"level L={n}" if kind == "line" else f"{kind} {levels[0]}x{levels[1]}"
        rows.append([name, str(n), str(bits_for(n)), f"{fmt_fixed(hn.mean, 2)} / {hn.max}",
                     f"{fmt_fixed(hg.mean, 2)} / {hg.max}", fmt_fixed(hg.frac_one, 2),
                     " / ".join(fmt_fixed(single_flip_distance(nat, coords, rule, r), 2) for r in (False, True)),
                     " / ".join(fmt_fixed(single_flip_distance(gray, coords, rule, r), 2) for r in (False, True))])
    return pipe_table(header, rows, ["l"] + ["r"] * 7)


def relative_to_clean(summary: pd.DataFrame) -> pd.DataFrame:
    """Summary rows with mean, lo, hi divided by the (codec, packing, metric) mean at p = 0.

    Codecs of very different clean quality then share one scale: the fraction
    of the clean score kept under the channel. The band is the item CI scaled
    by the same constant (the clean mean's own uncertainty is not added).
    """
    out = summary.copy()
    clean = summary[summary["p"] == 0].set_index(["codec", "packing", "metric"])["mean"]
    ref = [clean.get((c, k, m), math.nan) for c, k, m in zip(out["codec"], out["packing"], out["metric"])]
    for col in ("mean", "lo", "hi"):
        out[col] = out[col] / np.asarray(ref, dtype=np.float64)
    return out


def plot_metric(summary: pd.DataFrame, metric: str, path_stem: Path, ylabel: str | None = None) -> list[Path]:
    """Metric against p, one line per codec/packing with a 95% CI band; PNG and PDF."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    s = summary[summary["metric"] == metric]
    ps = sorted(s["p"].unique())
    pos = {p: i for i, p in enumerate(ps)}
    codecs = sorted(s["codec"].unique())
    styles = {"stream": "-", "joint": "-.", "field": "--", "field-gray": ":"}
    colors = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(8.0, 4.5))
    for (codec, packing), g in s.groupby(["codec", "packing"], sort=True):
        g = g.sort_values("p")
        x = [pos[p] for p in g["p"]]
        c = colors(codecs.index(codec) % 10)
        ax.plot(x, g["mean"], styles.get(packing, "-"), color=c, marker="o", ms=3, label=f"{codec} / {packing}")
        ax.fill_between(x, g["lo"], g["hi"], color=c, alpha=0.15, linewidth=0)
    ax.set_xticks(range(len(ps)), [fmt_sig(p) for p in ps])
    ax.set_xlabel("bit flip probability p")
    ax.set_ylabel(ylabel or metric)
    ax.set_title(f"{metric} under a binary symmetric channel (mean, 95% CI)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    out = [path_stem.with_suffix(".png"), path_stem.with_suffix(".pdf")]
    fig.savefig(out[0], dpi=120, metadata={"Software": None})
    fig.savefig(out[1], metadata={"CreationDate": None, "Producer": None, "Creator": None})
    plt.close(fig)
    return out


def _unavailable_lines(notes: dict[str, Any]) -> list[str]:
    lines = []
    for kind in ("unavailable_codecs", "unavailable_metrics"):
        for name, msg in sorted(notes.get(kind, {}).items()):
            lines.append(f"- {kind.split('_')[1][:-1]} `{name}` unavailable: {md_escape(str(msg).splitlines()[0])}")
    return lines


def _codespace_section(codespace: pd.DataFrame, out: Path, rule: str) -> tuple[list[str], list[Path]]:
    from bench.robustness.codespace import summarise_codespace
    s = summarise_codespace(codespace)
    s.to_csv(out / "codespace_summary.csv", index=False, float_format="%.6g")
    files = [out / "codespace_summary.csv"]
    md = ["## Code-space displacement of the shipped quantizer configurations (no decoder)", "",
          "Uniformly drawn codes of each implicit-codebook training config in `codecs/trained/`, packed, "
          "flipped and unpacked; the value is the RMS distance (scaled units: one FSQ level, one Q2D2 grid "
          f"unit) between the sent and received code points, mean over channel seeds [95% CI over seeds]; "
          f"out of range: `{rule}`. This isolates geometry and packing from any trained weight.", ""]
    for rung, g in s.groupby("rung_bps", sort=True):
        tag = f"{int(rung)}bps" if rung else "all"
        files += plot_metric(g, "rms_displacement", out / "plots" / f"codespace_{tag}")
        md += [f"### Rung {fmt_sig(rung)} bit/s", "", f"![code-space displacement](plots/codespace_{tag}.png)", "",
               metric_table(g, "rms_displacement"), "Out-of-range symbol rates:", "", channel_check_table(g)]
    return md, files


def write_report(cdf: pd.DataFrame, ldf: pd.DataFrame, notes: dict[str, Any], out: Path,
                 codespace: pd.DataFrame | None = None) -> list[Path]:
    """Write summary CSVs, plots and `report.md` into `out`; returns the files written."""
    out = Path(out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    summary, ls = summarise_channel(cdf), summarise_locality(ldf)
    summary.to_csv(out / "channel_summary.csv", index=False, float_format="%.6g")
    ls.to_csv(out / "locality_summary.csv", index=False, float_format="%.6g")
    files = [out / "channel_summary.csv", out / "locality_summary.csv"]
    ch = notes.get("channel", {})
    md = ["# Robustness: bit flips and code locality", "",
          "Generated by `run_bench.py robustness`; do not edit (interpretation: `README.md`).", "",
          f"- suite `{notes.get('suite', {}).get('name', '?')}`; items: "
          + ", ".join(f"{ds}: {len(v)}" for ds, v in notes.get("items", {}).items()),
          f"- flip probabilities {ch.get('ps')}, channel seeds {ch.get('seeds')}, "
          f"out-of-range rule `{ch.get('rule')}`",
          f"- packings per codec: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in notes.get("schemes", {}).items()),
          "- cells: mean over items (each item averaged over seeds) [95% bootstrap CI]", ""]
    md += _unavailable_lines(notes) + [""]
    for metric in sorted(summary["metric"].unique()):
        stem = out / "plots" / f"channel_{metric}"
        files += plot_metric(summary, metric, stem)
        files += plot_metric(relative_to_clean(summary), metric, stem.with_name(stem.name + "_relative"),
                             ylabel=f"{metric} / {metric} at p = 0")
        md += [f"## {metric} against bit flip probability", "",
               f"![{metric}](plots/channel_{metric}.png)", "",
               f"Relative to each line's clean score (p = 0), so codecs of different clean quality "
               f"share one scale:", "", f"![{metric} relative](plots/channel_{metric}_relative.png)", "",
               metric_table(summary, metric)]
    if notes.get("geometry"):
        md += ["## Field packings: natural binary against the Gray ordering", "",
               "Per field geometry of the implicit codecs and shipped configs: Hamming distance between the codewords of "
               "grid / level neighbours (Gray: reflected code of the level, snake-path code of the grid, "
               "see `bench/robustness/gray.py`), and the mean and RMS distance (in level / grid units) that one "
               f"bit flip moves a value, over all values and bits (out of range: `{ch.get('rule')}`).", "",
               geometry_table(notes["geometry"], ch.get("rule", "clamp"))]
    if len(summary):
        md += ["## Channel check: measured flip rate / out-of-range symbols", "",
               "Fractions of bits flipped and of symbols whose corrupted codeword fell outside the "
               "codebook (mapped by the out-of-range rule).", "", channel_check_table(summary)]
    if codespace is not None and len(codespace):
        cs_md, cs_files = _codespace_section(codespace, out, ch.get("rule", "clamp"))
        md += cs_md
        files += cs_files
    md += ["## Locality under input noise", "",
           f"White Gaussian noise at {notes.get('snrs_db')} dB SNR (seed {notes.get('noise_seed')}). "
           "'within one': same or adjacent level (FSQ dims, PCM / mu-law samples) or grid neighbour "
           "(Q2D2 pairs); 'chance': two independent draws from the two code histograms.", ""]
    md += [locality_table(ls, "noise") if (ls["probe"] == "noise").any() else "not run", ""]
    ft = field_table(ls, "noise")
    if ft:
        md += ["Per field, fraction within one level / neighbour:", "", ft]
    md += ["## Locality across training seeds", "", f"Seed pairs: {notes.get('seed_pair_note', 'not run')}", ""]
    if (ls["probe"] == "seed-pair").any():
        md += [locality_table(ls, "seed-pair"), "", field_table(ls, "seed-pair")]
    (out / "report.md").write_text("\n".join(md).rstrip() + "\n")
    return files + [out / "report.md"]
