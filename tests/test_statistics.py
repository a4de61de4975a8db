"""Bootstrap CIs and paired tests: brute force, degenerate cases, coverage, determinism."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from bench import statistics as st
from bench.statistics import bootstrap_ci, paired_bootstrap


def _loop_bootstrap(values, n_resamples, seed, confidence=0.95):
    """Straightforward one-resample-at-a-time bootstrap with the same generator stream."""
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = [values[rng.integers(0, len(values), size=len(values))].mean() for _ in range(n_resamples)]
    a = 1 - confidence
    return np.quantile(means, [a / 2, 1 - a / 2])


def test_ci_equals_loop_implementation():
    values = np.random.default_rng(1).normal(3.0, 0.5, size=17)
    mean, lo, hi = bootstrap_ci(values, n_resamples=2000, seed=7)
    assert mean == pytest.approx(values.mean())
    assert (lo, hi) == pytest.approx(tuple(_loop_bootstrap(values, 2000, 7)), abs=1e-12)


def test_chunking_does_not_change_numbers(monkeypatch):
    values = np.arange(10.0) ** 1.5
    whole = bootstrap_ci(values, n_resamples=999, seed=3)
    monkeypatch.setattr(st, "_CHUNK_ELEMENTS", 37)  # 3 rows per chunk
    assert bootstrap_ci(values, n_resamples=999, seed=3) == whole


def test_ci_close_to_exact_bootstrap_distribution():
    values = np.array([1.0, 2.0, 4.0, 8.0])
    exact = [np.mean(values[list(idx)]) for idx in itertools.product(range(4), repeat=4)]
    lo_x, hi_x = np.quantile(exact, [0.025, 0.975])
    _, lo, hi = bootstrap_ci(values, n_resamples=20_000, seed=0)
    assert lo == pytest.approx(lo_x, abs=0.15)
    assert hi == pytest.approx(hi_x, abs=0.15)


def test_degenerate_sizes():
    assert all(math.isnan(x) for x in bootstrap_ci([]))
    assert bootstrap_ci([2.5]) == (2.5, 2.5, 2.5)
    assert bootstrap_ci([4.0] * 30) == (4.0, 4.0, 4.0)


def test_rejects_non_finite_and_bad_parameters():
    with pytest.raises(ValueError, match="non-finite"):
        bootstrap_ci([1.0, float("nan")])
    with pytest.raises(ValueError, match="1-D"):
        bootstrap_ci(np.ones((2, 2)))
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ci([1.0, 2.0], n_resamples=0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci([1.0, 2.0], confidence=95)
    with pytest.raises(ValueError, match="equal length"):
        paired_bootstrap([1.0, 2.0], [1.0])


def test_seeded_determinism_and_seed_sensitivity():
    values = np.random.default_rng(5).normal(size=25)
    assert bootstrap_ci(values, seed=11) == bootstrap_ci(values, seed=11)
    assert bootstrap_ci(values, seed=11) != bootstrap_ci(values, seed=12)
    b = values + 0.1
    assert paired_bootstrap(values, b, seed=2) == paired_bootstrap(values, b, seed=2)


def test_coverage_on_normal_data():
    rng = np.random.default_rng(0)
    trials, hits = 300, 0
    for t in range(trials):
        x = rng.normal(1.0, 2.0, size=40)
        _, lo, hi = bootstrap_ci(x, n_resamples=1000, seed=t)
        hits += lo <= 1.0 <= hi
    # percentile bootstrap slightly under-covers at n=40; a broken interval misses widely
    assert 0.88 <= hits / trials <= 0.99


def test_ci_width_shrinks_with_n():
    rng = np.random.default_rng(4)
    small = bootstrap_ci(rng.normal(size=20), seed=0)
    large = bootstrap_ci(rng.normal(size=2000), seed=0)
    assert (large.hi - large.lo) < (small.hi - small.lo) / 5


def test_paired_detects_what_unpaired_intervals_miss():
    rng = np.random.default_rng(9)
    item_quality = rng.normal(3.0, 0.8, size=30)  # large between-item spread
    a = item_quality + 0.05 + rng.normal(0, 0.02, size=30)
    b = item_quality
    ci_a, ci_b = bootstrap_ci(a), bootstrap_ci(b)
    assert ci_a.lo < ci_b.hi  # unpaired intervals overlap
    res = paired_bootstrap(a, b)
    assert res.significant() and res.lo > 0
    assert res.mean_diff == pytest.approx(np.mean(a - b))
    assert res.effect_size == pytest.approx(np.mean(a - b) / np.std(a - b, ddof=1))
    assert res.n == 30


def test_paired_null_difference_is_not_significant():
    rng = np.random.default_rng(10)
    a = rng.normal(size=50)
    noise = rng.normal(0, 0.3, size=50)
    b = a + noise - noise.mean()  # mean difference exactly zero
    res = paired_bootstrap(a, b)
    assert res.lo < 0 < res.hi
    assert res.p_value > 0.5
    assert not res.significant()


def test_paired_p_value_matches_ci():
    rng = np.random.default_rng(12)
    for shift in (0.0, 0.05, 0.1, 0.2, 0.4):
        a = rng.normal(size=40)
        b = a - shift + rng.normal(0, 0.5, size=40)
        r = paired_bootstrap(a, b, seed=1)
        excludes_zero = r.lo > 0 or r.hi < 0
        if abs(r.p_value - 0.05) > 0.01:  # away from the boundary both must agree
            assert r.significant() == excludes_zero


def test_paired_degenerate_cases():
    empty = paired_bootstrap([], [])
    assert empty.n == 0 and math.isnan(empty.mean_diff) and not empty.significant()
    one = paired_bootstrap([3.0], [2.0])
    assert one.mean_diff == 1.0 and math.isnan(one.p_value) and not one.significant()
    same = paired_bootstrap([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same == (0.0, 0.0, 0.0, 1.0, 0.0, 3)
    shifted = paired_bootstrap([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    assert shifted.mean_diff == 1.0 and shifted.effect_size == math.inf and shifted.significant()


def test_seed_item_bootstrap_with_one_seed_each_is_the_paired_bootstrap():
    rng = np.random.default_rng(4)
    a, b = rng.normal(0, 1, 25), rng.normal(0.2, 1, 25)
    assert st.seed_item_bootstrap(a[None], b[None], 999, seed=5) == paired_bootstrap(a, b, 999, seed=5)


def test_seed_item_bootstrap_matches_exact_seed_distribution():
    # constant over items: only the seed draw varies; enumerate every seed multiset draw exactly
    a_seeds, b_seeds = np.array([0.0, 0.3, 1.0]), np.array([0.1, 0.2])
    a, b = np.repeat(a_seeds[:, None], 6, axis=1), np.repeat(b_seeds[:, None], 6, axis=1)
    exact = [a_seeds[list(i)].mean() - b_seeds[list(j)].mean()
             for i in itertools.product(range(3), repeat=3) for j in itertools.product(range(2), repeat=2)]
    res = st.seed_item_bootstrap(a, b, 20_000, seed=1)
    assert res.mean_diff == pytest.approx(a_seeds.mean() - b_seeds.mean())
    lo_x, hi_x = np.quantile(exact, [0.025, 0.975], method="inverted_cdf")   # atoms of a discrete law
    assert (res.lo, res.hi) == pytest.approx((lo_x, hi_x), abs=1e-9)
    tail = min(np.mean(np.array(exact) <= 0), np.mean(np.array(exact) >= 0))
    assert res.p_value == pytest.approx(2 * tail, abs=0.02)


def test_seed_noise_widens_what_the_item_bootstrap_calls_significant(monkeypatch):
    rng = np.random.default_rng(0)
    item = rng.normal(0, 1, 30)
    offsets = np.array([[0.0], [0.3], [-0.3]])        # seed-to-seed shifts, no system effect
    a = item + offsets + rng.normal(0, 0.05, (3, 30))
    b = item + offsets[[1, 2, 0]] + 0.05 + rng.normal(0, 0.05, (3, 30))
    assert paired_bootstrap(a[0], b[0], 2000, seed=0).significant()   # one seed each: "significant"
    res = st.seed_item_bootstrap(a, b, 2000, seed=0)
    assert not res.significant() and res.lo < -0.2 and res.hi > 0.2
    monkeypatch.setattr(st, "_CHUNK_ELEMENTS", 300)       # a few rows per chunk: same numbers
    assert st.seed_item_bootstrap(a, b, 2000, seed=0) == res
    with pytest.raises(ValueError, match="same items"):
        st.seed_item_bootstrap(a, b[:, :5])
    with pytest.raises(ValueError, match="non-finite"):
        st.seed_item_bootstrap(np.full((2, 3), np.nan), b[:, :3])
