"""The verdict of one metric from a paired-bootstrap confidence interval.

Let d = candidate - baseline per item, flipped in sign for lower-is-better
metrics so that d > 0 always means "better", and let [lo, hi] be the
confidence interval of mean(d) and t <= 0 the metric's tolerance. Then, in
this order (the four cases partition every interval):

- **improved**: lo > 0 (the whole interval is better than the baseline);
- **unchanged**: t <= lo <= 0 (the interval may touch zero from below or
  include it, but even its worst end is within the tolerance);
- **regressed**: hi < t (even the best end is worse than the tolerance);
- **inconclusive**: lo < t <= hi (the interval straddles the tolerance:
  more items or a wider tolerance are needed), or fewer than ``min_pairs``
  paired items.

A candidate identical to its baseline has lo = hi = 0 and is "unchanged".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bench.statistics import paired_bootstrap

IMPROVED, UNCHANGED, REGRESSED, INCONCLUSIVE = "improved", "unchanged", "regressed", "inconclusive"
VERDICTS = (IMPROVED, UNCHANGED, REGRESSED, INCONCLUSIVE)


def decide(lo: float, hi: float, tolerance: float) -> str:
    """Verdict from an interval [lo, hi] of the better-direction difference.

    Args:
        lo: lower end of the CI of mean(d), d > 0 meaning better (metric unit).
        hi: upper end of that CI.
        tolerance: allowed worsening, <= 0 (metric unit).

    Returns:
        One of `VERDICTS` (see the module docstring for the rule).

    Raises:
        ValueError: NaN ends, lo > hi, or a positive tolerance.
    """
    if math.isnan(lo) or math.isnan(hi) or lo > hi:
        raise ValueError(f"need a finite interval with lo <= hi, got [{lo}, {hi}]")
    if tolerance > 0:
        raise ValueError(f"tolerance must be <= 0 (allowed worsening), got {tolerance}")
    if lo > 0:
        return IMPROVED
    if lo >= tolerance:
        return UNCHANGED
    if hi < tolerance:
        return REGRESSED
    return INCONCLUSIVE


@dataclass(frozen=True)
class MetricComparison:
    """One metric's paired comparison; differences are candidate - baseline in the metric's unit.

    Attributes:
        metric: metric output name.
        unit: unit of the values.
        higher_is_better: direction of the metric.
        tolerance: allowed worsening in the better direction (<= 0).
        n: paired items.
        baseline_mean / candidate_mean: means over the paired items.
        mean_diff: mean of candidate - baseline.
        lo / hi: CI of mean_diff (raw direction, not flipped).
        p_value: two-sided paired-bootstrap p-value for mean_diff == 0.
        effect_size: Cohen's d_z of candidate - baseline (sign as mean_diff).
        verdict: one of `VERDICTS`.
        reason: one line explaining the verdict.
    """

    metric: str
    unit: str
    higher_is_better: bool
    tolerance: float
    n: int
    baseline_mean: float
    candidate_mean: float
    mean_diff: float
    lo: float
    hi: float
    p_value: float
    effect_size: float
    verdict: str
    reason: str


def _fmt(x: float) -> str:
    return f"{x:+.4g}"


def compare_metric(metric: str, baseline, candidate, *, unit: str, higher_is_better: bool,
                   tolerance: float, resamples: int, confidence: float, seed: int,
                   min_pairs: int) -> MetricComparison:
    """Paired bootstrap of candidate - baseline on the same items, and its verdict.

    Args:
        metric: metric output name (for messages).
        baseline: finite scores [n] of the baseline, item i paired with candidate[i].
        candidate: finite scores [n] of the candidate.
        unit: unit of the scores.
        higher_is_better: metric direction; the verdict flips lower-is-better differences.
        tolerance: allowed worsening (<= 0) in the better direction.
        resamples, confidence, seed: bootstrap settings.
        min_pairs: fewer pairs give "inconclusive".
    """
    base = np.asarray(baseline, dtype=np.float64)
    cand = np.asarray(candidate, dtype=np.float64)
    res = paired_bootstrap(cand, base, n_resamples=resamples, seed=seed, confidence=confidence)
    means = (float(base.mean()), float(cand.mean())) if res.n else (math.nan, math.nan)
    if res.n < min_pairs:
        verdict = INCONCLUSIVE
        reason = f"only {res.n} paired item(s); at least {min_pairs} needed"
    else:
        lo, hi = (res.lo, res.hi) if higher_is_better else (-res.hi, -res.lo)
        verdict = decide(lo, hi, tolerance)
        word = "better" if higher_is_better else "better (lower)"
        reason = {
            IMPROVED: f"whole CI is {word} than the baseline",
            UNCHANGED: f"worst end of the CI ({_fmt(lo)} in the better direction) is within the "
                       f"tolerance {tolerance:g}",
            REGRESSED: f"best end of the CI ({_fmt(hi)} in the better direction) is worse than the "
                       f"tolerance {tolerance:g}",
            INCONCLUSIVE: f"CI ({_fmt(lo)}, {_fmt(hi)} in the better direction) straddles the "
                          f"tolerance {tolerance:g}; more items or a wider tolerance needed",
        }[verdict]
    return MetricComparison(metric, unit, higher_is_better, tolerance, res.n, means[0], means[1],
                            res.mean_diff, res.lo, res.hi, res.p_value, res.effect_size, verdict, reason)
