"""Render a `RegressReport`: Markdown (for pull requests), JSON and a per-item difference plot."""
from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

from bench.regress.core import RegressReport
from bench.regress.verdict import IMPROVED, INCONCLUSIVE, REGRESSED, UNCHANGED

_BADGE = {IMPROVED: "✅ improved", UNCHANGED: "➖ unchanged", REGRESSED: "❌ regressed",
          INCONCLUSIVE: "❔ inconclusive"}
_HEAD = {0: "✅ no regression", 1: "❌ regression", 2: "⚠️ error: missing data"}


def _num(x: float, digits: int = 4) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def _signed(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:+.4g}"


def _worst_items(report: RegressReport, k: int = 3) -> list[str]:
    """For each metric not judged unchanged/improved, the k items that got most worse."""
    comps = {c.metric: c for c in report.comparisons}
    out = []
    for p in report.pairs:
        c = comps.get(p.metric)
        if c is None or c.verdict not in (REGRESSED, INCONCLUSIVE) or not len(p.items):
            continue
        diffs = p.candidate - p.baseline
        order = diffs.argsort() if c.higher_is_better else (-diffs).argsort()
        worst = ", ".join(f"`{p.items[i]}` ({diffs[i]:+.3g})" for i in order[:k])
        out.append(f"- most worse on {p.metric}: {worst}")
    return [""] + out if out else []


def to_markdown(report: RegressReport, max_problems: int = 20) -> str:
    """A Markdown summary: outcome, per-metric table, rates, problems and settings."""
    s = report.settings
    conf = int(round(100 * s.get("confidence", 0.95)))
    lines = [f"## Codec regression check: {_HEAD[report.exit_code]} (exit {report.exit_code})", "",
             f"- baseline: `{report.baseline}`", f"- candidate: `{report.candidate}`", ""]
    if report.reasons:
        lines += ["**Why:**", ""] + [f"- {r}" for r in report.reasons] + [""]
    lines += [f"| metric | items | baseline | candidate | Δ (cand − base) | {conf}% CI of Δ | effect d_z "
              f"| p | tolerance | verdict |", "|---|---:|---:|---:|---:|---|---:|---:|---:|---|"]
    for c in report.comparisons:
        arrow = "↑" if c.higher_is_better else "↓"
        tol = c.tolerance if c.higher_is_better else -c.tolerance
        unit = f" {c.unit}" if c.unit else ""
        lines.append(f"| {c.metric} {arrow}{unit} | {c.n} | {_num(c.baseline_mean)} | {_num(c.candidate_mean)} "
                     f"| {_signed(c.mean_diff)} | [{_signed(c.lo)}, {_signed(c.hi)}] | {_num(c.effect_size, 3)} "
                     f"| {_num(c.p_value, 2)} | {tol:+g} | {_BADGE[c.verdict]} |")
    lines += _worst_items(report)
    lines += ["", "| rate | baseline | candidate | check |", "|---|---:|---:|---|"]
    for r in report.rates:
        check = "❌ changed" if r.failed else ("declared change" if r.changed else
                                              ("same" if r.known else "unknown"))
        lines.append(f"| {r.field} ({r.unit}) | {_num(r.baseline, 8)} | {_num(r.candidate, 8)} | {check} |")
    if report.problems:
        lines += ["", f"**{len(report.problems)} item(s) without a usable pair** (never dropped silently):", ""]
        lines += [f"- {p}" for p in report.problems[:max_problems]]
        if len(report.problems) > max_problems:
            lines.append(f"- ... and {len(report.problems) - max_problems} more (see the JSON report)")
    lines += ["", f"<sub>Paired bootstrap over items: {s.get('resamples')} resamples, seed {s.get('seed')}, "
              f"{conf}% percentile CI; suite `{s.get('suite')}` ({', '.join(s.get('datasets', []))}); "
              f"tolerances `{s.get('tolerances_file')}`; Δ > 0 is better for ↑ metrics, worse for ↓; "
              f"tolerance is the allowed change of the mean in the metric's unit.</sub>", ""]
    return "\n".join(lines)


def _clean(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def to_dict(report: RegressReport) -> dict:
    """JSON-ready record: outcome, comparisons, per-item values, rates, problems, settings."""
    per_item = {p.metric: [{"item": i, "baseline": float(b), "candidate": float(c), "diff": float(c - b)}
                           for i, b, c in zip(p.items, p.baseline, p.candidate)] for p in report.pairs}
    return _clean({
        "exit_code": report.exit_code, "outcome": report.outcome, "reasons": list(report.reasons),
        "baseline": report.baseline, "candidate": report.candidate,
        "metrics": [asdict(c) for c in report.comparisons],
        "rates": [{**asdict(r), "changed": r.changed, "failed": r.failed} for r in report.rates],
        "problems": list(report.problems), "per_item": per_item, "settings": report.settings})


def plot_differences(report: RegressReport, path: str | Path) -> Path | None:
    """Per-item candidate − baseline of each metric (points), with 0, the tolerance and the CI.

    Returns the PNG path, or None when no metric has pairs.
    """
    pairs = [p for p in report.pairs if len(p.items)]
    if not pairs:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    comps = {c.metric: c for c in report.comparisons}
    fig, axes = plt.subplots(1, len(pairs), figsize=(2.6 * len(pairs) + 0.6, 3.0), squeeze=False)
    for ax, p in zip(axes[0], pairs):
        c = comps[p.metric]
        diffs = p.candidate - p.baseline
        ax.axhspan(c.lo, c.hi, color="tab:blue", alpha=0.2, lw=0, label="CI of mean")
        ax.plot(range(len(diffs)), diffs, "o", ms=3, color="tab:blue", label="item")
        ax.axhline(0.0, color="black", lw=0.8)
        tol = c.tolerance if c.higher_is_better else -c.tolerance
        ax.axhline(tol, color="tab:red", lw=0.8, ls="--", label="tolerance")
        ax.set_title(f"{p.metric}: {c.verdict}", fontsize=9)
        ax.set_xlabel("item", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0][0].set_ylabel("candidate − baseline", fontsize=8)
    axes[0][0].legend(fontsize=6, loc="best")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return path


def write_report(report: RegressReport, folder: str | Path) -> dict[str, Path]:
    """Write ``regress.md``, ``regress.json`` and ``regress.png`` into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {"markdown": folder / "regress.md", "json": folder / "regress.json"}
    out["markdown"].write_text(to_markdown(report), encoding="utf-8")
    out["json"].write_text(json.dumps(to_dict(report), indent=2, default=str) + "\n", encoding="utf-8")
    png = plot_differences(report, folder / "regress.png")
    if png:
        out["plot"] = png
    return out
