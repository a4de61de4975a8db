"""Seed replicates: replicate sets, the seed-and-item test and the seed-vs-seed null table."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from bench.reports.seeds import replicate_sets, seed_null_tests, seed_replicates, seeds_markdown
from bench.results import ResultRow, rows_to_frame
from bench.statistics import paired_bootstrap, seed_item_bootstrap

N_RES = 2000
# seed-to-seed shifts (training noise) and a real effect of +0.05 for "big"
SHIFT = {0: 0.0, 1: 0.02, 2: -0.02}
SYSTEM = {"fsq-800-xlong": 0.0, "q2d2-hex-800-xlong": 0.001, "big-800-xlong": 0.05}


def _frame(n_items: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    item = rng.normal(0.75, 0.05, n_items)
    rows = []
    for base, effect in SYSTEM.items():
        for s, shift in SHIFT.items():
            codec = base if s == 0 else f"{base}-seed{s}"
            noise = rng.normal(0, 0.002, n_items)
            for i in range(n_items):
                rows.append(ResultRow(codec=codec, family="trained", dataset="speech", item=f"u{i:02d}",
                                      metric="stoi", value=float(item[i] + effect + shift + noise[i]), unit="",
                                      status="ok", error="", bitrate=800.0, token_rate=50.0, frame_rate=50.0,
                                      codec_sample_rate=16000, metric_sample_rate=16000, duration_s=3.0,
                                      steps=""))
    # a codec without replicates is not a set
    rows.append(dataclasses.replace(rows[0], codec="vq-800-xlong"))
    # a metric nobody could score (missing weights) sorts first and must not blank the table
    rows += [dataclasses.replace(r, metric="utmos", value=float("nan"), status="unavailable",
                                 error="weights unavailable") for r in rows[:3]]
    return rows_to_frame(rows)


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return _frame()


def test_replicate_sets_group_seed_suffixes_under_the_trained_group():
    sets = replicate_sets(["fsq-800-xlong", "fsq-800-xlong-seed2", "fsq-800-xlong-seed1", "vq-800-xlong",
                           "rvq-800-seed1", "rvq-800-seed3"])
    assert sets == {"fsq-xlong": ["fsq-800-xlong", "fsq-800-xlong-seed1", "fsq-800-xlong-seed2"],
                    "rvq": ["rvq-800-seed1", "rvq-800-seed3"]}
    with pytest.raises(ValueError, match="both family 'fsq-long'"):
        replicate_sets(["fsq-800-long", "fsq-800-long-seed1", "fsq-2000-long", "fsq-2000-long-seed1"])


def _matrix(df, base):
    codecs = [base, f"{base}-seed1", f"{base}-seed2"]
    sel = df[df["codec"].isin(codecs) & (df["metric"] == "stoi")]
    return sel.pivot(index="codec", columns="item", values="value").loc[codecs].to_numpy()


def test_replicate_rows_equal_the_direct_seed_item_bootstrap(df):
    rep = seed_replicates(df, "fsq-xlong", n_resamples=N_RES, seed=3)
    assert set(rep["group"]) == {"fsq-xlong", "q2d2-hex-xlong", "big-xlong"}      # vq has no replicates
    rep = rep[rep["metric"] == "stoi"]
    assert (seed_replicates(df, "fsq-xlong", n_resamples=N_RES).query("metric == 'utmos'")["n"] == 0).all()
    big = rep[rep["group"] == "big-xlong"].iloc[0]
    direct = seed_item_bootstrap(_matrix(df, "big-800-xlong"), _matrix(df, "fsq-800-xlong"), N_RES, seed=3)
    assert (big["diff"], big["diff_lo"], big["diff_hi"], big["p_value"]) == pytest.approx(
        (direct.mean_diff, direct.lo, direct.hi, direct.p_value))
    assert big["significant"] and big["sign_agree"] == big["seed_pairs"] == 9
    means = _matrix(df, "big-800-xlong").mean(axis=1)
    assert [float(v) for v in big["seed_means"].split(";")] == pytest.approx(list(means), rel=1e-5)
    assert big["seed_sd"] == pytest.approx(np.std(means, ddof=1))
    # a 0.001 effect under 0.02 seed shifts: not significant, and cross-seed pairs disagree
    hex_ = rep[rep["group"] == "q2d2-hex-xlong"].iloc[0]
    assert not hex_["significant"] and hex_["sign_agree"] < hex_["seed_pairs"]
    assert rep.loc[rep["group"] == "fsq-xlong", "note"].item() == "reference"
    with pytest.raises(ValueError, match="not a replicate set"):
        seed_replicates(df, "vq-xlong", n_resamples=N_RES)


def test_null_tests_flag_seed_noise_that_one_checkpoint_tables_call_significant(df):
    null = seed_null_tests(df, n_resamples=N_RES, seed=1)
    assert len(null) == 3 * 3 and set(null["metric"]) == {"stoi"}     # 3 sets x 3 seed pairs; no UTMOS
    row = null[(null["codec_a"] == "fsq-800-xlong") & (null["codec_b"] == "fsq-800-xlong-seed1")].iloc[0]
    m = _matrix(df, "fsq-800-xlong")
    direct = paired_bootstrap(m[0], m[1], N_RES, seed=1)
    assert (row["diff"], row["p_value"]) == pytest.approx((direct.mean_diff, direct.p_value))
    assert null["significant"].all()                        # 0.02 shifts, 0.002 item noise
    text = seeds_markdown(seed_replicates(df, "fsq-xlong", n_resamples=N_RES), null)
    assert "STOI: 9 of 9 seed pairs significant" in text
    assert "n.s. (" in text and "(9/9)" in text and "**0." in text and "| big-xlong | 3 | 20 |" in text
