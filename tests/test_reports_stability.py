"""Ranking stability across training length: verdicts per length, orders, and the change between lengths."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau

from bench.reports.stability import Tier, _kendall_tau, family_of, length_stability, stability_markdown
from bench.results import ResultRow, rows_to_frame
from bench.statistics import seed_item_bootstrap

N_RES = 2000
SHIFT = {0: 0.0, 1: 0.02, 2: -0.02}     # seed-to-seed training noise
N_ITEMS = 20


def _tier(tier: str, effects: dict[str, float], gain: float, rng_seed: int) -> pd.DataFrame:
    """STOI (higher better) and mel distance (lower better) of three seeds per family; `effects` shift
    STOI up and mel down, `gain` lifts every family (training longer)."""
    rng = np.random.default_rng(rng_seed)
    item = np.random.default_rng(99).normal(0.7, 0.05, N_ITEMS)   # the same items at every length
    rows = []
    for family, effect in effects.items():
        for s, shift in SHIFT.items():
            codec = f"{family}-800-{tier}" + ("" if s == 0 else f"-seed{s}")
            for metric, sign in (("stoi", 1.0), ("mel_distance", -1.0)):
                noise = rng.normal(0, 0.002, N_ITEMS)
                for i in range(N_ITEMS):
                    value = item[i] + sign * (effect + shift + gain) + noise[i]
                    rows.append(ResultRow(codec=codec, family="trained", dataset="speech", item=f"u{i:02d}",
                                          metric=metric, value=float(value), unit="", status="ok", error="",
                                          bitrate=800.0, token_rate=50.0, frame_rate=50.0,
                                          codec_sample_rate=16000, metric_sample_rate=16000, duration_s=3.0,
                                          steps=""))
    return rows_to_frame(rows)


@pytest.fixture(scope="module")
def tiers() -> list[Tier]:
    # "big" is n.s. from fsq at the short length and clearly better at the long one; hex is noise at both
    short = _tier("long", {"fsq": 0.0, "q2d2-hex": 0.001, "big": 0.0}, 0.0, 1)
    long = _tier("xlong", {"fsq": 0.0, "q2d2-hex": 0.001, "big": 0.06}, 0.03, 2)
    return [Tier("2000 steps", short, "fsq-long"), Tier("6000 steps", long, "fsq-xlong")]


@pytest.fixture(scope="module")
def result(tiers):
    return length_stability(tiers, n_resamples=N_RES)


def _verdict(verdicts, family, metric, tier):
    sel = verdicts[(verdicts["family"] == family) & (verdicts["metric"] == metric) & (verdicts["tier"] == tier)]
    assert len(sel) == 1
    return sel.iloc[0]["verdict"]


def test_family_of_drops_rate_tier_and_seed():
    assert family_of("q2d2-hex-800-xlong-seed1") == "q2d2-hex"
    assert family_of("fsq-2000-long") == "fsq" and family_of("rvq-800") == "rvq"


def test_verdicts_follow_the_metric_direction_and_flag_what_changes(result):
    verdicts, _ = result
    for metric in ("stoi", "mel_distance"):   # "better" is higher STOI and lower mel distance
        assert _verdict(verdicts, "big", metric, "2000 steps") == "n.s."
        assert _verdict(verdicts, "big", metric, "6000 steps") == "better"
        assert _verdict(verdicts, "q2d2-hex", metric, "2000 steps") == "n.s."
        assert _verdict(verdicts, "q2d2-hex", metric, "6000 steps") == "n.s."
        assert _verdict(verdicts, "fsq", metric, "6000 steps") == "reference"
    md = stability_markdown(*result)
    assert "| big | n.s. → better | n.s. → better |" in md
    assert "| q2d2-hex | n.s. → n.s. ✓ | n.s. → n.s. ✓ |" in md
    assert "2 of 4 verdicts are the same at every length" in md


def test_change_between_lengths_is_the_direct_seed_item_bootstrap(tiers, result):
    _, changes = result
    row = changes[(changes["family"] == "big") & (changes["metric"] == "stoi")].iloc[0]

    def mat(df, tier):
        codecs = [f"big-800-{tier}", f"big-800-{tier}-seed1", f"big-800-{tier}-seed2"]
        sel = df[df["codec"].isin(codecs) & (df["metric"] == "stoi")]
        return sel.pivot(index="codec", columns="item", values="value").loc[codecs].to_numpy()

    direct = seed_item_bootstrap(mat(tiers[1].results, "xlong"), mat(tiers[0].results, "long"), N_RES, 0)
    assert row["diff"] == pytest.approx(direct.mean_diff) and row["diff"] == pytest.approx(0.09, abs=0.005)
    assert (row["diff_lo"], row["diff_hi"]) == pytest.approx((direct.lo, direct.hi))
    assert bool(row["significant"]) and row["n"] == N_ITEMS
    assert (row["from_tier"], row["to_tier"]) == ("2000 steps", "6000 steps")


@pytest.mark.parametrize("y", [list("abcd"), list("dcba"), list("badc"), list("cabd"), list("acbd")])
def test_kendall_tau_equals_scipy(y):
    x = list("abcd")
    expected = kendalltau([x.index(n) for n in x], [y.index(n) for n in x]).statistic
    assert _kendall_tau(x, y) == pytest.approx(expected)


def test_metrics_missing_at_one_length_are_left_out_and_named(tiers):
    extra = tiers[1].results.copy()
    dnsmos = extra[extra["metric"] == "stoi"].assign(metric="dnsmos_ovrl")
    tiers2 = [tiers[0], tiers[1]._replace(results=pd.concat([extra, dnsmos], ignore_index=True))]
    verdicts, _ = length_stability(tiers2, n_resamples=200)
    assert "dnsmos_ovrl" not in set(verdicts["metric"]) and verdicts.attrs["left_out"] == ["dnsmos_ovrl"]
    assert "left out: dnsmos_ovrl" in stability_markdown(verdicts, pd.DataFrame(columns=["dataset"]))


def test_bad_tier_lists_are_clear_errors(tiers):
    with pytest.raises(ValueError, match="at least two training lengths"):
        length_stability(tiers[:1])
    with pytest.raises(ValueError, match="labels must differ"):
        length_stability([tiers[0], tiers[1]._replace(label="2000 steps")])
    with pytest.raises(ValueError, match="same reference family"):
        length_stability([tiers[0], tiers[1]._replace(reference="q2d2-hex-xlong")], n_resamples=200)


def test_unscored_metric_rows_do_not_blank_the_tables(tiers):
    """UTMOS without weights at every length: error rows only; dropped from the tables, not shown as n/a."""
    def with_errors(t: Tier) -> Tier:
        bad = t.results.iloc[:3].assign(metric="utmos", value=np.nan, status="unavailable",
                                        error="weights unavailable")
        return t._replace(results=pd.concat([t.results, bad], ignore_index=True))

    verdicts, changes = length_stability([with_errors(t) for t in tiers], n_resamples=200)
    md = stability_markdown(verdicts, changes)
    assert "UTMOS" not in md and "left out" not in md and "STOI" in md
    assert "of 6 family × metric changes are significant" in md   # 3 families x (STOI, mel), no UTMOS


def test_three_lengths_show_every_verdict_and_test_the_last_step(tiers):
    """With 500, 2000 and 6000 steps the cells read left to right and the change table covers the last
    two lengths (has the ranking settled?), not the first and the last."""
    shortest = Tier("500 steps", _tier("short", {"fsq": 0.0, "q2d2-hex": 0.001, "big": -0.06}, -0.05, 3), "fsq-short")
    verdicts, changes = length_stability([shortest, *tiers], n_resamples=200)
    assert set(zip(changes["from_tier"], changes["to_tier"])) == {("2000 steps", "6000 steps")}
    md = stability_markdown(verdicts, changes)
    assert "| big | worse → n.s. → better | worse → n.s. → better |" in md
    assert "(500 steps → 2000 steps → 6000 steps)" in md
