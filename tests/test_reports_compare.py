"""Matched-bitrate comparison: nearest operating point, paired significance, missing pairs."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bench.reports.compare import compare_markdown, matched_bitrate, pick_nearest
from bench.reports.synthetic import synthetic_results
from bench.statistics import paired_bootstrap

N_RES = 500


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return synthetic_results()


@pytest.fixture(scope="module")
def cmp(df) -> pd.DataFrame:
    return matched_bitrate(df, [0.8, 1.5, 6], n_resamples=N_RES, seed=2)


def _get(cmp, target, group, metric):
    sel = cmp[(cmp["target_kbps"] == target) & (cmp["group"] == group) & (cmp["metric"] == metric)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_pick_nearest_is_log_scale_with_low_tie_break():
    ops = pd.DataFrame({"codec": ["a", "b", "c"], "bitrate_kbps": [0.4, 1.5, 3.0]})
    # 0.8 is 2x above 0.4 and 1.875x below 1.5: log-nearest is 1.5 (linear-nearest would be 0.4)
    assert pick_nearest(ops, 0.8)["codec"] == "b"
    assert pick_nearest(ops, math.sqrt(1.5 * 3.0))["codec"] == "b"  # exact log tie -> lower bitrate
    assert pick_nearest(ops, 100)["codec"] == "c"
    with pytest.raises(ValueError, match="positive"):
        pick_nearest(ops, 0)


def test_picks_nearest_point_per_group_and_reports_actual_bitrate(cmp):
    assert _get(cmp, 0.8, "fsq", "pesq_wb")["codec"] == "fsq-800"
    assert _get(cmp, 1.5, "q2d2-rhombic", "pesq_wb")["codec"] == "q2d2-rhombic-1500"
    row = _get(cmp, 6.0, "fsq", "pesq_wb")
    assert row["codec"] == "fsq-1500" and row["bitrate_kbps"] == 1.5 and row["ratio"] == 0.25


def test_out_of_range_groups_are_reported_not_dropped(cmp):
    row = _get(cmp, 6.0, "fsq", "stoi")
    assert not row["in_range"] and math.isnan(row["mean"])
    assert "nearest: fsq-1500 at 1.5 kbit/s" in row["note"]
    # every (target, group, metric) combination is present
    assert len(cmp) == 3 * 4 * 4


def test_significance_equals_direct_paired_bootstrap(df, cmp):
    row = _get(cmp, 0.8, "fsq", "stoi")
    assert row["reference_codec"] == "q2d2-rhombic-800"  # higher STOI at 0.8 kbit/s

    def scores(codec):
        sel = df[(df["codec"] == codec) & (df["metric"] == "stoi")]
        return sel.set_index("item")["value"].sort_index()

    a, b = scores("fsq-800"), scores("q2d2-rhombic-800")
    res = paired_bootstrap(a.to_numpy(), b.to_numpy(), n_resamples=N_RES, seed=2)
    assert row["diff"] == pytest.approx(res.mean_diff)
    assert (row["diff_lo"], row["diff_hi"], row["p_value"]) == pytest.approx((res.lo, res.hi, res.p_value))
    assert row["significant"] and row["n_pairs"] == 8 and row["n_unpaired"] == 0
    ref = _get(cmp, 0.8, "q2d2-rhombic", "stoi")
    assert ref["note"] == "reference" and ref["diff"] == 0.0


def test_best_reference_honours_lower_is_better(cmp):
    assert _get(cmp, 0.8, "fsq", "mel_distance")["reference_codec"] == "q2d2-rhombic-800"
    assert _get(cmp, 0.8, "fsq", "mel_distance")["diff"] > 0  # fsq has the larger distance


def test_unpaired_items_are_counted(cmp):
    row = _get(cmp, 0.8, "fsq", "pesq_wb")  # one fsq-800 PESQ item is invalid
    assert row["n"] == 7 and row["n_pairs"] == 7 and row["n_unpaired"] == 1
    assert "1 item(s) scored by only one side" in row["note"]


def test_tiny_difference_is_not_significant(cmp):
    row = _get(cmp, 1.5, "fsq", "stoi")  # synthetic bases 0.88 vs 0.885 with shared item effects
    assert not row["significant"] and row["diff_lo"] < 0 < row["diff_hi"]


def test_unscored_metric_says_why(cmp):
    row = _get(cmp, 0.8, "fsq", "utmos")
    assert row["n"] == 0 and "8 unavailable: UTMOS weights missing" in row["note"]


def test_chosen_reference_group(df):
    cmp = matched_bitrate(df, [0.8], reference="fsq", n_resamples=N_RES)
    row = cmp[(cmp["group"] == "q2d2-rhombic") & (cmp["metric"] == "pesq_wb")].iloc[0]
    assert row["reference_codec"] == "fsq-800" and row["diff"] > 0
    with pytest.raises(ValueError, match="reference group 'nope'"):
        matched_bitrate(df, [0.8], reference="nope")


def test_max_ratio_and_metric_selection(df):
    cmp = matched_bitrate(df, [6.0], max_ratio=5.0, metrics=["pesq_wb"], n_resamples=N_RES)
    assert set(cmp["metric"]) == {"pesq_wb"}
    assert cmp[cmp["group"] == "fsq"].iloc[0]["in_range"]  # 1.5 is 4x off, within 5x
    with pytest.raises(ValueError, match="not in the results"):
        matched_bitrate(df, [6.0], metrics=["visqol"])


def test_markdown_rendering(cmp):
    md = compare_markdown(cmp)
    assert md.count("### speech at") == 3
    assert "### speech at 0.8 kbit/s" in md and "### speech at 6 kbit/s" in md
    block = md.split("### speech at 1.5 kbit/s")[1].split("###")[0]
    fsq_line = next(l for l in block.splitlines() if l.startswith("| fsq |"))
    assert " n.s." in fsq_line  # STOI at 1.5 kbit/s
    assert "**" in next(l for l in block.splitlines() if l.startswith("| q2d2-rhombic |"))
    assert "UTMOS (UTMOS22 strong): not shown; no scored items" in block
    assert "- pcm: no operating point within 2x of the target" in block
    assert "| dac | dac-6kbps | 6 | — |" in block


def test_deterministic_and_independent_of_row_order(df, cmp):
    again = matched_bitrate(df.sample(frac=1.0, random_state=1), [0.8, 1.5, 6], n_resamples=N_RES, seed=2)
    pd.testing.assert_frame_equal(cmp, again)
    assert np.isfinite(cmp.loc[cmp["in_range"] & (cmp["n"] > 0), "mean"]).all()


# -- grid ablation (Q2D2 grid type x levels): the same statistics, keyed by levels and grid
_Q = {"fsq-800": {"name": "q2d2", "grid": "rectangular", "levels": [4] * 8},
      "q2d2-rhombic-800": {"name": "q2d2", "grid": "rhombic", "levels": [4] * 8},
      "fsq-1500": {"name": "q2d2", "grid": "rectangular", "levels": [9, 9, 7, 7, 7, 7]},
      "q2d2-rhombic-1500": {"name": "q2d2", "grid": "rhombic", "levels": [9, 9, 7, 7, 7, 7]},
      "dac-6kbps": {"name": "rvq"}}


def test_grid_ablation_tests_each_grid_against_rectangular_at_equal_levels(df):
    from bench.reports.ablation import ablation_markdown, grid_ablation
    ab = grid_ablation(df, _Q, n_resamples=N_RES, seed=2)
    assert set(ab["codec"]) == {"fsq-800", "q2d2-rhombic-800", "fsq-1500", "q2d2-rhombic-1500"}
    assert list(dict.fromkeys(ab["levels"])) == [str([9, 9, 7, 7, 7, 7]), str([4] * 8)]  # fewer dims first
    row = ab[(ab["codec"] == "q2d2-rhombic-800") & (ab["metric"] == "stoi")].iloc[0]
    item = lambda c: df[(df["codec"] == c) & (df["metric"] == "stoi")].set_index("item")["value"].sort_index()
    direct = paired_bootstrap(item("q2d2-rhombic-800").to_numpy(), item("fsq-800").to_numpy(),
                              n_resamples=N_RES, seed=2)
    assert row["reference_codec"] == "fsq-800" and row["diff"] == pytest.approx(direct.mean_diff)
    assert row["p_value"] == pytest.approx(direct.p_value) and row["grid"] == "rhombic"
    errored = ab[(ab["codec"] == "q2d2-rhombic-1500") & (ab["metric"] == "stoi")].iloc[0]
    assert errored["reference_codec"] == "fsq-1500" and errored["n_unpaired"] == 1
    md = ablation_markdown(ab)
    assert "| [4, 4, 4, 4, 4, 4, 4, 4] | rectangular | fsq-800 |" in md and "**" in md


def test_grid_ablation_needs_two_grids_and_one_codec_per_cell(df):
    from bench.reports.ablation import grid_ablation
    only_rect = {c: q for c, q in _Q.items() if q.get("grid") == "rectangular"}
    assert grid_ablation(df, only_rect, n_resamples=N_RES).empty
    twice = dict(_Q, **{"fsq-1500": _Q["fsq-800"]})
    with pytest.raises(ValueError, match="both have grid rectangular"):
        grid_ablation(df, twice, n_resamples=N_RES)
