"""Write a whole report folder from a results CSV (the `report` and `compare` commands).

    write_report(Path("reports/speech/results.csv"), Path("reports/speech"))

writes table.md, table.tex, table.csv, plots/*.png|pdf and report.md (table,
footnotes, status counts, plot links and the provenance summary from
`provenance.json` beside it). Nothing here reads a clock: regenerating from
the same results gives the same tables.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from bench.reports import plots
from bench.reports.ablation import ablation_markdown, grid_ablation
from bench.reports.compare import compare_markdown, matched_bitrate
from bench.reports.seeds import seed_null_tests, seed_replicates, seeds_markdown
from bench.reports.stability import Tier, length_stability, stability_markdown
from bench.reports.summary import summary_table
from bench.reports.tables import to_csv, to_latex, to_markdown
from bench.results import STATUSES, read_results

EXTRA_KEYS = {
    "metric_info": "overrides of the metric table (name -> {label, unit, higher_is_better, decimals})",
    "group_by": "column name or function (codec, family) -> group for curves and comparisons",
    "metrics": "quality metrics to show in the table",
    "token_columns": "token statistics to show in the table",
    "n_resamples": "bootstrap resamples (default 10000)",
    "targets_kbps": "also write the matched-bitrate comparison at these kbit/s",
    "reference": "group the comparison tests against (default: best per metric)",
    "counts_by_codec": "codec -> code counts [V] or [K, V] for the codebook usage plot",
    "occupancy_maps": "codec -> [(points [N, 2], counts [N]), ...] for Q2D2 occupancy plots",
    "spectrograms": "item -> {name: (waveform, sample rate)}, reference first",
    "title": "report title (default: the folder name)",
    "quantizers": "codec -> quantizer block of its training config (for the grid ablation)",
    "grid_ablation": "also write ablation.md/.csv: Q2D2 grid type x levels (needs quantizers)",
    "seed_reference": "also write seeds.md/.csv: seed replicate sets, tested against this set",
}
_PROVENANCE_FIELDS = (  # (label, candidate key paths in provenance.json)
    ("git commit", ("git.commit", "git_commit", "commit")),
    ("uncommitted changes", ("git.dirty", "git_dirty")),
    ("date", ("date", "created")),
    ("device", ("device", "machine.device")),
    ("config hash", ("suite_hash", "config_hash", "config_sha256")),
    ("data manifest sha256", ("data_manifest_sha256",)),
    ("seed", ("seed",)),
)


def _check_extra(extra: Mapping[str, Any] | None) -> dict[str, Any]:
    extra = dict(extra or {})
    unknown = sorted(set(extra) - set(EXTRA_KEYS))
    if unknown:
        known = "\n".join(f"  {k}: {v}" for k, v in EXTRA_KEYS.items())
        raise ValueError(f"write_report: unknown extra key(s) {unknown}; known keys:\n{known}")
    return extra


def _lookup(record: Mapping, dotted: str):
    node: Any = record
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def provenance_summary(path: Path) -> str:
    """Markdown bullet list of the key provenance fields ('' when the file does not exist)."""
    if not path.is_file():
        return ""
    record = json.loads(path.read_text(encoding="utf-8"))
    lines = []
    for label, keys in _PROVENANCE_FIELDS:
        value = next((v for v in (_lookup(record, k) for k in keys) if v is not None), None)
        if value is not None:
            lines.append(f"- {label}: `{value}`")
    return "\n".join(lines) + "\n" if lines else ""


def status_summary(df: pd.DataFrame) -> str:
    """One line: total rows and rows per status (every status listed, zeros included)."""
    counts = df["status"].value_counts()
    parts = ", ".join(f"{s} {int(counts.get(s, 0))}" for s in STATUSES)
    return f"{len(df)} result rows: {parts}."


def _plot_links(paths: Sequence[Path], out_dir: Path) -> str:
    pngs = [p for p in paths if p.suffix == ".png"]
    lines = []
    for p in pngs:
        rel = p.relative_to(out_dir).as_posix()
        pdf = p.with_suffix(".pdf").relative_to(out_dir).as_posix()
        lines.append(f"![{p.stem}]({rel})\n\n[{p.stem} (PDF)]({pdf})\n")
    return "\n".join(lines)


def _make_plots(df, table, out_dir: Path, extra: dict, seed: int) -> list[Path]:
    plot_dir = out_dir / "plots"
    info = extra.get("metric_info")
    paths = plots.rd_curves(df, plot_dir, metric_info=info, group_by=extra.get("group_by"),
                            seed=seed, table=table)
    paths += plots.per_item_distributions(df, plot_dir, metric_info=info)
    if extra.get("counts_by_codec"):
        paths += plots.codebook_usage(extra["counts_by_codec"], plot_dir)
    if extra.get("occupancy_maps"):
        paths += plots.occupancy_maps(extra["occupancy_maps"], plot_dir)
    for item, signals in sorted((extra.get("spectrograms") or {}).items()):
        paths += plots.spectrogram_panel(signals, plot_dir / f"spectrogram_{plots.safe_name(item)}")
    return paths


def write_report(results_csv: Path, out_dir: Path, *, extra: Mapping[str, Any] | None = None,
                 seed: int = 0) -> dict[str, Path]:
    """Tables, plots and report.md for one results file.

    Args:
        results_csv: tidy results (`bench.results.write_results`).
        out_dir: report folder (usually the results' folder); `provenance.json`
            there is summarised in report.md.
        extra: optional inputs, see `EXTRA_KEYS` (an unknown key is an error).
        seed: bootstrap seed.

    Returns:
        Written files keyed by their path relative to `out_dir`.
    """
    extra = _check_extra(extra)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    df = read_results(results_csv)
    info = extra.get("metric_info")
    table = summary_table(df, None, info, seed, group_by=extra.get("group_by"),
                          n_resamples=extra.get("n_resamples", 10_000))
    view = dict(metrics=extra.get("metrics"))
    if "token_columns" in extra:
        view["token_columns"] = extra["token_columns"]
    written = {"table.md": out_dir / "table.md", "table.tex": out_dir / "table.tex",
               "table.csv": out_dir / "table.csv"}
    table_md = to_markdown(table, info, **view)
    written["table.md"].write_text(table_md, encoding="utf-8")
    written["table.tex"].write_text(to_latex(table, info, **view), encoding="utf-8")
    to_csv(table, written["table.csv"])
    plot_paths = _make_plots(df, table, out_dir, extra, seed)
    written.update({p.relative_to(out_dir).as_posix(): p for p in plot_paths})
    sections = [f"# {extra.get('title', out_dir.name)}\n", status_summary(df) + "\n"]
    prov = provenance_summary(out_dir / "provenance.json")
    if prov:
        sections.append("## Provenance\n\n" + prov)
    sections.append("## Results\n\n" + table_md)
    sections.append("Full statistics and every failure reason: [table.csv](table.csv); "
                    "LaTeX: [table.tex](table.tex).\n")
    if extra.get("targets_kbps"):
        cmp_written = compare_report(results_csv, out_dir, extra["targets_kbps"],
                                     reference=extra.get("reference"), seed=seed,
                                     metric_info=info, group_by=extra.get("group_by"))
        written.update(cmp_written)
        sections.append("## Matched-bitrate comparison\n\nSee [compare.md](compare.md).\n")
    if extra.get("grid_ablation"):
        written.update(ablation_report(df, out_dir, extra.get("quantizers") or {}, seed=seed,
                                       metric_info=info))
        sections.append("## Grid ablation\n\nSee [ablation.md](ablation.md).\n")
    if extra.get("seed_reference"):
        written.update(seeds_report(df, out_dir, extra["seed_reference"], seed=seed, metric_info=info))
        sections.append("## Seed replicates\n\nSee [seeds.md](seeds.md).\n")
    if plot_paths:
        sections.append("## Plots\n\n" + _plot_links(plot_paths, out_dir))
    written["report.md"] = out_dir / "report.md"
    written["report.md"].write_text("\n".join(sections), encoding="utf-8")
    return written


def compare_report(results_csv: Path, out_dir: Path, targets_kbps: Sequence[float], *,
                   reference: str | None = None, seed: int = 0, metric_info: Mapping | None = None,
                   group_by=None, max_ratio: float = 2.0, name: str = "compare") -> dict[str, Path]:
    """<name>.md and <name>.csv: the matched-bitrate comparison at `targets_kbps`.

    Args:
        results_csv: tidy results.
        out_dir: report folder.
        targets_kbps: target bitrates (kbit/s).
        reference: group to test against (default: best pick per metric).
        seed: bootstrap seed.
        metric_info, group_by, max_ratio: see `compare.matched_bitrate`.
        name: file stem, so a second reference ("compare-hex") sits beside the
            suite's own compare.md instead of replacing it.

    Returns:
        {"<name>.md": path, "<name>.csv": path}.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    df = read_results(results_csv)
    cmp = matched_bitrate(df, list(targets_kbps), metric_info, seed, reference=reference,
                          group_by=group_by, max_ratio=max_ratio)
    md, csv = out_dir / f"{name}.md", out_dir / f"{name}.csv"
    title = "# Matched-bitrate comparison\n\n"
    md.write_text(title + compare_markdown(cmp, metric_info), encoding="utf-8")
    to_csv(cmp, csv)
    return {md.name: md, csv.name: csv}


def ablation_report(df: pd.DataFrame, out_dir: Path, quantizers: Mapping[str, Mapping], *,
                    seed: int = 0, metric_info: Mapping | None = None) -> dict[str, Path]:
    """ablation.md and ablation.csv: Q2D2 grid type x levels (`ablation.grid_ablation`).

    Raises:
        ValueError: fewer than two grid types among the results' Q2D2 codecs.
    """
    cmp = grid_ablation(df, quantizers, metric_info, seed)
    if cmp.empty:
        q2d2 = sorted(c for c, q in quantizers.items() if (q or {}).get("name") == "q2d2")
        raise ValueError(f"grid ablation needs Q2D2 codecs of at least two grid types; found {q2d2 or 'none'}")
    md, csv = out_dir / "ablation.md", out_dir / "ablation.csv"
    md.write_text("# Grid ablation: Q2D2 grid type x levels\n\n" + ablation_markdown(cmp, metric_info),
                  encoding="utf-8")
    to_csv(cmp, csv)
    return {"ablation.md": md, "ablation.csv": csv}


def seeds_report(df: pd.DataFrame, out_dir: Path, reference: str, *, seed: int = 0,
                 metric_info: Mapping | None = None) -> dict[str, Path]:
    """seeds.md, seeds.csv and seeds-null.csv: replicate sets vs `reference` (`seeds.seed_replicates`)
    and every same-quantizer seed pair (`seeds.seed_null_tests`).

    Raises:
        ValueError: `reference` is not a replicate set of the results.
    """
    rep = seed_replicates(df, reference, metric_info, seed)
    null = seed_null_tests(df, metric_info, seed)
    md, csv, null_csv = out_dir / "seeds.md", out_dir / "seeds.csv", out_dir / "seeds-null.csv"
    figures = plots.seed_spread(rep, out_dir / "plots", metric_info=metric_info)
    links = "".join(f"![seed spread]({p.relative_to(out_dir).as_posix()})\n\n" for p in figures
                    if p.suffix == ".png")
    md.write_text("# Seed replicates: quantizer effects against training noise\n\n" + links
                  + seeds_markdown(rep, null, metric_info), encoding="utf-8")
    to_csv(rep, csv)
    to_csv(null, null_csv)
    return {"seeds.md": md, "seeds.csv": csv, "seeds-null.csv": null_csv,
            **{p.relative_to(out_dir).as_posix(): p for p in figures}}


def stability_report(tiers: Sequence[tuple[str, Path, str]], out_dir: Path, *, command: str = "",
                     seed: int = 0, metric_info: Mapping | None = None) -> dict[str, Path]:
    """stability.md, stability.csv (verdicts per length), stability-change.csv and
    plots/stability_<dataset>.png|pdf: seed suites of one rung at several training lengths
    (`stability.length_stability`).

    Args:
        tiers: (label, results.csv, seed reference group) per training length, shortest first.
        out_dir: report folder.
        command: the command line that regenerates the report (quoted in stability.md).
        seed: bootstrap seed.

    Raises:
        ValueError: see `stability.length_stability`.
    """
    from bench.paths import portable
    from bench.weights import sha256_file
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = [Tier(label, read_results(path), ref) for label, path, ref in tiers]
    verdicts, changes = length_stability(frames, metric_info, seed)
    figures = plots.length_trends(verdicts, out_dir / "plots", metric_info=metric_info)
    inputs = "".join(f"- {label}: `{portable(path).as_posix()}` (sha256 `{sha256_file(path)[:16]}`), "
                     f"reference `{ref}`\n" for label, path, ref in tiers)
    links = "".join(f"![quality vs training length]({p.relative_to(out_dir).as_posix()})\n\n" for p in figures
                    if p.suffix == ".png")
    head = ("# Ranking stability across training length\n\n"
            + (f"Regenerate: `{command}`\n\n" if command else "") + "Inputs:\n\n" + inputs + "\n")
    md, csv, change_csv = out_dir / "stability.md", out_dir / "stability.csv", out_dir / "stability-change.csv"
    md.write_text(head + links + stability_markdown(verdicts, changes, metric_info), encoding="utf-8")
    to_csv(verdicts, csv)
    to_csv(changes, change_csv)
    return {"stability.md": md, "stability.csv": csv, "stability-change.csv": change_csv,
            **{p.relative_to(out_dir).as_posix(): p for p in figures}}
