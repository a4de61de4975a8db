"""The regression check: pair both sides' rows, test every metric, decide the exit code.

`evaluate` is the pure core (rows in, `RegressReport` out); `run_regression`
resolves the sources, scores what needs scoring and calls it.

Exit codes (`RegressReport.exit_code`), the most severe wins:

- 2: missing data or an error: a selected item without a usable pair on
  either side (missing, invalid, unavailable or failed row), unless
  ``allow_missing`` (then those items are listed and the rest compared), or a
  metric with no pair at all (always);
- 1: regression: a metric "regressed", a rate (bitrate, token rate, sample
  rate, frame rate) changed without being declared, or, with
  ``fail_on_inconclusive``, a metric "inconclusive";
- 0: no regression (every metric improved, unchanged or inconclusive).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd

from bench.config import ConfigError
from bench.regress.pairing import Pairs, pair_metric
from bench.regress.rates import RateCheck, check_rates, codec_rates
from bench.regress.tolerances import RegressConfig
from bench.regress.verdict import INCONCLUSIVE, REGRESSED, MetricComparison, compare_metric

EXIT_OK, EXIT_REGRESSION, EXIT_ERROR = 0, 1, 2


class RegressError(RuntimeError):
    """The check cannot be made (bad input files, mixed rows); exit code 2."""


@dataclass(frozen=True)
class MetricOutput:
    """A metric output to compare: its name, unit and direction."""

    name: str
    unit: str
    higher_is_better: bool


def metric_outputs(metric_names: Sequence[str]) -> list[MetricOutput]:
    """Outputs of registered metrics (``dnsmos`` -> ``dnsmos_sig``, ...), direction from the registry."""
    from bench.worker import get_metric
    out = []
    for name in metric_names:
        spec = get_metric(name).spec
        out += [MetricOutput(o, spec.unit, spec.higher_is_better) for o in spec.outputs]
    return out


@dataclass(frozen=True)
class RegressReport:
    """Everything a regression check found; `bench.regress.report` renders it.

    Attributes:
        baseline / candidate: "<codec> (<kind>: <detail>)" of each side.
        comparisons: one per metric output with at least one pair.
        pairs: the per-item pairs of each metric output (for plots and JSON).
        rates: the four rate checks.
        problems: items without a usable pair, as lines.
        reasons: why the exit code is what it is, one line each.
        settings: suite, metrics, tolerance file, bootstrap settings.
        exit_code: 0, 1 or 2 (module docstring).
    """

    baseline: str
    candidate: str
    comparisons: tuple[MetricComparison, ...]
    pairs: tuple[Pairs, ...]
    rates: tuple[RateCheck, ...]
    problems: tuple[str, ...]
    reasons: tuple[str, ...]
    settings: dict = field(default_factory=dict)
    exit_code: int = EXIT_OK

    @property
    def outcome(self) -> str:
        return {EXIT_OK: "no regression", EXIT_REGRESSION: "regression",
                EXIT_ERROR: "error: missing data"}[self.exit_code]


def evaluate(baseline_rows: pd.DataFrame, candidate_rows: pd.DataFrame, outputs: Sequence[MetricOutput],
             cfg: RegressConfig, *, selection: list[str] | None = None, declared: tuple[str, ...] = (),
             allow_missing: bool = False, fail_on_inconclusive: bool = False,
             labels: tuple[str, str] = ("baseline", "candidate"), settings: dict | None = None) -> RegressReport:
    """Compare the rows of one baseline codec with those of one candidate codec.

    Args:
        baseline_rows / candidate_rows: tidy result rows, one codec each.
        outputs: metric outputs to compare (each needs a tolerance in `cfg`).
        cfg: tolerances and bootstrap settings.
        selection: "<dataset>/<item>" keys that must be paired (None: every
            item either side has).
        declared: rates the candidate declares as changed.
        allow_missing: compare the remaining pairs when items are missing
            (still listed; exit 2 only when a metric has no pair at all).
        fail_on_inconclusive: treat "inconclusive" as a regression.
        labels: names of the two sides for the report.
        settings: extra settings recorded in the report.

    Raises:
        ConfigError: a metric without tolerance.
        RegressError: rows of one side disagree about a rate.
    """
    for side, df in (("baseline", baseline_rows), ("candidate", candidate_rows)):
        if df["codec"].nunique() > 1:
            raise RegressError(f"{side} rows hold several codecs {sorted(df['codec'].unique())}; pass one")
    tolerances = {o.name: cfg.tolerance(o.name) for o in outputs}
    try:
        rates = check_rates(codec_rates(baseline_rows, "baseline"), codec_rates(candidate_rows, "candidate"),
                            declared)
    except ValueError as exc:
        raise RegressError(str(exc)) from exc
    comparisons, all_pairs, problems, reasons = [], [], [], []
    exit_code = EXIT_OK
    for out in outputs:
        pairs = pair_metric(baseline_rows, candidate_rows, out.name, selection)
        all_pairs.append(pairs)
        problems += [str(p) for p in pairs.problems]
        if pairs.problems and not allow_missing:
            exit_code = EXIT_ERROR
            reasons.append(f"{out.name}: {len(pairs.problems)} item(s) without a usable pair "
                           f"(listed under problems; --allow-missing compares the rest)")
        if len(pairs.items) == 0:
            exit_code = EXIT_ERROR
            reasons.append(f"{out.name}: no item has a value on both sides")
            continue
        comparisons.append(compare_metric(
            out.name, pairs.baseline, pairs.candidate, unit=out.unit, higher_is_better=out.higher_is_better,
            tolerance=tolerances[out.name], resamples=cfg.resamples, confidence=cfg.confidence,
            seed=cfg.seed, min_pairs=cfg.min_pairs))
    severity = EXIT_OK
    for rate in rates:
        if rate.failed:
            severity = EXIT_REGRESSION
            reasons.append(rate.message())
    for c in comparisons:
        if c.verdict == REGRESSED or (fail_on_inconclusive and c.verdict == INCONCLUSIVE):
            severity = EXIT_REGRESSION
            reasons.append(f"{c.metric}: {c.verdict}: {c.reason}")
    exit_code = max(exit_code, severity)
    record = {"confidence": cfg.confidence, "resamples": cfg.resamples, "seed": cfg.seed,
              "min_pairs": cfg.min_pairs, "tolerances_file": cfg.source_file, "tolerances": tolerances,
              "declared_changes": list(declared), "allow_missing": allow_missing,
              "fail_on_inconclusive": fail_on_inconclusive, "n_selected_items":
              len(selection) if selection is not None else None, **(settings or {})}
    return RegressReport(labels[0], labels[1], tuple(comparisons), tuple(all_pairs), tuple(rates),
                         tuple(problems), tuple(reasons), record, exit_code)


@dataclass(frozen=True)
class RegressRequest:
    """What `run_bench.py regress` was asked (see `bench.regress.cli` for each flag)."""

    baseline: str
    candidate: str
    suite: str = "regress"
    metrics: tuple[str, ...] | None = None
    tolerances: str | None = None
    declared: tuple[str, ...] = ()
    baseline_codec: str | None = None
    candidate_codec: str | None = None
    candidate_config: str | None = None
    resamples: int | None = None
    seed: int | None = None
    allow_missing: bool = False
    fail_on_inconclusive: bool = False


def _results_rows(source, hint: str | None) -> tuple[pd.DataFrame, str]:
    """Rows of the chosen codec of a results source, and its name."""
    from bench.regress.sources import select_codec
    from bench.results import read_results
    try:
        rows = read_results(source.results)
    except ValueError as exc:
        raise RegressError(str(exc)) from exc
    codec = select_codec(rows, source, hint)
    return rows[rows["codec"] == codec].reset_index(drop=True), codec


def _known_spec(name: str):
    """The catalog spec of a codec name, or None (results of a codec not in codecs/*.yaml)."""
    from bench.codecs import get_spec
    from bench.registry import UnknownNameError
    try:
        return get_spec(name)
    except UnknownNameError:
        return None


def run_regression(req: RegressRequest, opts) -> RegressReport:
    """Resolve both sides, score codecs and checkpoints (cached), evaluate.

    Args:
        req: the request.
        opts: `bench.runner.RunOptions` for scoring (out_root = scratch folder).
    """
    from pathlib import Path

    from bench.regress.scoring import score, selected_items
    from bench.regress.sources import resolve_source
    from bench.regress.tolerances import load_tolerances
    from bench.runner import load_suite
    cfg = load_tolerances(req.tolerances).with_overrides(req.resamples, req.seed)
    suite = load_suite(req.suite)
    metrics = tuple(req.metrics) if req.metrics else suite.metrics
    outputs = metric_outputs(metrics)
    for o in outputs:
        cfg.tolerance(o.name)                      # fail before any scoring
    base = resolve_source(req.baseline, "baseline", codec=req.baseline_codec)
    base_rows = None
    other = base.spec
    if base.kind == "results":
        hint = req.candidate_codec or Path(req.candidate).stem
        base_rows, base_codec = _results_rows(base, hint)
        other = _known_spec(base_codec)
    cand = resolve_source(req.candidate, "candidate", codec=req.candidate_codec,
                          config=req.candidate_config, other=other)
    to_score = [s.spec for s in (base, cand) if s.spec is not None]
    max_items = opts.max_items or suite.max_items
    scored = score(to_score, suite.datasets, metrics, opts, suite.seed, max_items) if to_score else None
    if base_rows is None:
        base_codec = base.codec
        base_rows = scored[scored["codec"] == base_codec].reset_index(drop=True)
    if cand.kind == "results":
        cand_rows, cand_codec = _results_rows(cand, base_codec)
    else:
        cand_codec = cand.codec
        cand_rows = scored[scored["codec"] == cand_codec].reset_index(drop=True)
    if to_score:
        selection = selected_items(suite.datasets, opts, max_items)
    else:   # two results files: every item of the suite's datasets that either side has
        selection = None
        base_rows = base_rows[base_rows["dataset"].isin(suite.datasets)]
        cand_rows = cand_rows[cand_rows["dataset"].isin(suite.datasets)]
    labels = (f"{base_codec} ({base.kind}: {base.detail})", f"{cand_codec} ({cand.kind}: {cand.detail})")
    settings = {"suite": suite.name, "datasets": list(suite.datasets), "metrics": list(metrics),
                "max_items": max_items, "baseline_arg": req.baseline, "candidate_arg": req.candidate}
    return evaluate(base_rows, cand_rows, outputs, cfg, selection=selection, declared=req.declared,
                    allow_missing=req.allow_missing, fail_on_inconclusive=req.fail_on_inconclusive,
                    labels=labels, settings=settings)
