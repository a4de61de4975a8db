"""Bootstrap confidence intervals and paired significance tests.

Reports give every mean with a 95% confidence interval from a percentile
bootstrap over items, and compare two codecs on the same items with a paired
bootstrap of the per-item differences. Both are vectorised numpy, seeded
(the same inputs and seed give the same numbers on every machine), and handle
the degenerate sizes explicitly: no values gives NaNs, one value gives a
zero-width interval.

Resampling draws `n_resamples` x `n` indices with `numpy.random.default_rng`,
in chunks of rows so memory stays bounded for large item counts; chunking
does not change the numbers because the generator fills rows in order.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

_CHUNK_ELEMENTS = 4_000_000  # indices drawn at once (32 MB of int64)


class Interval(NamedTuple):
    """A mean with a two-sided confidence interval (all in the values' unit)."""

    mean: float
    lo: float
    hi: float


class PairedResult(NamedTuple):
    """Paired comparison of a against b on the same items.

    Attributes:
        mean_diff: mean of (a - b) over items.
        lo: lower end of the percentile bootstrap CI of mean_diff.
        hi: upper end of that CI.
        p_value: two-sided bootstrap p-value for "mean_diff == 0"
            (twice the smaller tail of the bootstrap distribution at 0, with
            the +1 correction, capped at 1); p < alpha exactly when 0 lies
            outside the (1 - alpha) percentile interval, up to interpolation.
        effect_size: Cohen's d_z = mean_diff / sd(diffs, ddof=1); +-inf when
            all differences are equal and non-zero, 0 when all are zero, NaN
            for n < 2.
        n: number of pairs.
    """

    mean_diff: float
    lo: float
    hi: float
    p_value: float
    effect_size: float
    n: int

    def significant(self, alpha: float = 0.05) -> bool:
        """True when the difference is significant at level `alpha`."""
        return bool(self.n > 0 and self.p_value < alpha)


def _as_values(values, name: str = "values") -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{name} has {bad} non-finite value(s); drop invalid items before the bootstrap")
    return arr


def _check(n_resamples: int, confidence: float) -> None:
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")


def bootstrap_means(values: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """Means of `n_resamples` resamples (with replacement) of `values` [n] -> [n_resamples].

    Requires n >= 1. Deterministic for a given seed, independent of chunking.
    """
    n = values.shape[0]
    rng = np.random.default_rng(seed)
    rows = max(1, _CHUNK_ELEMENTS // n)
    out = np.empty(n_resamples, dtype=np.float64)
    for start in range(0, n_resamples, rows):
        stop = min(start + rows, n_resamples)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = values[idx].mean(axis=1)
    return out


def _percentiles(boot: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    lo, hi = np.quantile(boot, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(lo), float(hi)


def bootstrap_ci(values, n_resamples: int = 10_000, confidence: float = 0.95,
                 seed: int = 0) -> Interval:
    """Mean and percentile-bootstrap confidence interval of the mean.

    Args:
        values: 1-D finite values (one per item).
        n_resamples: bootstrap resamples.
        confidence: two-sided coverage, e.g. 0.95.
        seed: generator seed (same seed, same interval).

    Returns:
        Interval(mean, lo, hi); NaNs for no values; lo == hi == mean for one
        value or for constant values.

    Raises:
        ValueError: on non-finite values, non 1-D input or bad parameters.
    """
    _check(n_resamples, confidence)
    arr = _as_values(values)
    if arr.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    mean = float(arr.mean())
    if arr.size == 1 or np.all(arr == arr[0]):
        return Interval(mean, mean, mean)
    lo, hi = _percentiles(bootstrap_means(arr, n_resamples, seed), confidence)
    return Interval(mean, lo, hi)


def _effect_size(diffs: np.ndarray) -> float:
    if diffs.size < 2:
        return math.nan
    mean = float(diffs.mean())
    sd = float(diffs.std(ddof=1))
    if sd == 0.0:
        return 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
    return mean / sd


def _from_bootstrap(boot: np.ndarray, mean: float, effect: float, n: int, confidence: float) -> PairedResult:
    """PairedResult from a bootstrap distribution of the difference: percentile CI and the
    two-sided p-value (twice the smaller tail at 0, +1 corrected, capped at 1)."""
    lo, hi = _percentiles(boot, confidence)
    tail = min(int(np.sum(boot <= 0.0)), int(np.sum(boot >= 0.0)))
    return PairedResult(mean, lo, hi, min(1.0, 2.0 * (tail + 1) / (boot.size + 1)), effect, n)


def paired_bootstrap(a, b, n_resamples: int = 10_000, seed: int = 0,
                     confidence: float = 0.95) -> PairedResult:
    """Paired bootstrap of mean(a - b) over items scored by both.

    `a[i]` and `b[i]` must be the same item under two systems; resampling
    draws items (pairs), so the between-item variance cancels and a small
    but consistent difference is detected where unpaired intervals overlap.

    Args:
        a: 1-D finite scores of system A [n].
        b: 1-D finite scores of system B on the same items [n].
        n_resamples: bootstrap resamples.
        seed: generator seed.
        confidence: coverage of the reported interval.

    Returns:
        PairedResult; all NaN and n == 0 for empty input; p_value NaN (never
        significant) for a single pair.
    """
    _check(n_resamples, confidence)
    xa, xb = _as_values(a, "a"), _as_values(b, "b")
    if xa.shape != xb.shape:
        raise ValueError(f"paired samples must have equal length, got {xa.size} and {xb.size}")
    diffs = xa - xb
    n = diffs.size
    if n == 0:
        return PairedResult(math.nan, math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(diffs.mean())
    effect = _effect_size(diffs)
    if n == 1:  # one pair carries no evidence about the spread
        return PairedResult(mean, mean, mean, math.nan, effect, n)
    if np.all(diffs == diffs[0]):  # every resample gives the same mean
        p = 1.0 if mean == 0.0 else min(1.0, 2.0 / (n_resamples + 1))
        return PairedResult(mean, mean, mean, p, effect, n)
    boot = bootstrap_means(diffs, n_resamples, seed)
    return _from_bootstrap(boot, mean, effect, n, confidence)


def seed_item_bootstrap(a, b, n_resamples: int = 10_000, seed: int = 0,
                        confidence: float = 0.95) -> PairedResult:
    """Difference of means of two systems trained with several seeds each, on the same items.

    Training noise is a second source of variance that an item bootstrap of one
    checkpoint per system cannot see. Here each resample draws the items (the
    same draw for both sides, so the comparison stays paired over items) and,
    independently per side, that side's seeds with replacement; the statistic
    is mean over (drawn seeds, drawn items) of `a` minus the same of `b`. With
    few seeds the seed draw is coarse (3 seeds give 10 distinct multisets) and
    the interval is, if anything, too narrow: read it as a lower bound on the
    uncertainty, and look at the per-seed means too.

    Args:
        a: finite scores [seeds_a, n]: row s is seed s of system A on items 0..n-1.
        b: finite scores [seeds_b, n] of system B on the same items (same column order).
        n_resamples: bootstrap resamples.
        seed: generator seed.
        confidence: coverage of the reported interval.

    Returns:
        PairedResult over the seed-averaged per-item differences: mean_diff,
        bootstrap CI and two-sided p-value (as in `paired_bootstrap`),
        effect_size d_z of the seed-averaged per-item differences, n items.
        With one seed per side this is exactly `paired_bootstrap` of the two rows.
    """
    _check(n_resamples, confidence)
    xa, xb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if xa.ndim != 2 or xb.ndim != 2 or xa.shape[1] != xb.shape[1] or 0 in (xa.shape[0], xb.shape[0]):
        raise ValueError(f"need [seeds, items] arrays with the same items and >= 1 seed each, "
                         f"got shapes {xa.shape} and {xb.shape}")
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(xb))):
        raise ValueError("scores have non-finite values; drop invalid items before the bootstrap")
    if xa.shape[0] == 1 and xb.shape[0] == 1:
        return paired_bootstrap(xa[0], xb[0], n_resamples, seed, confidence)
    diffs = xa.mean(axis=0) - xb.mean(axis=0)
    n = diffs.size
    if n == 0:
        return PairedResult(math.nan, math.nan, math.nan, math.nan, math.nan, 0)
    mean, effect = float(diffs.mean()), _effect_size(diffs)
    # one generator per stream (items, seeds of a, seeds of b): chunking keeps the numbers
    rng_items, *rng_seeds = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    rows = max(1, _CHUNK_ELEMENTS // (n * (xa.shape[0] + xb.shape[0])))
    boot = np.empty(n_resamples, dtype=np.float64)
    for start in range(0, n_resamples, rows):
        stop = min(start + rows, n_resamples)
        items = rng_items.integers(0, n, size=(stop - start, n))
        side = []
        for x, rng in zip((xa, xb), rng_seeds):
            per_seed = x[:, items].mean(axis=2).T                    # [resamples, seeds]
            pick = rng.integers(0, x.shape[0], size=(stop - start, x.shape[0]))
            side.append(np.take_along_axis(per_seed, pick, axis=1).mean(axis=1))
        boot[start:stop] = side[0] - side[1]
    return _from_bootstrap(boot, mean, effect, n, confidence)
