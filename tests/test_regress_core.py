"""Pure parts of the regression check: verdict rule, pairing, rates, tolerances, exit codes, report."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from bench.config import ConfigError
from bench.regress.core import EXIT_ERROR, EXIT_OK, EXIT_REGRESSION, MetricOutput, evaluate
from bench.regress.pairing import pair_metric
from bench.regress.rates import check_rates, codec_rates
from bench.regress.report import plot_differences, to_dict, to_markdown
from bench.regress.tolerances import DEFAULT_PATH, RegressConfig, load_tolerances
from bench.regress.verdict import (IMPROVED, INCONCLUSIVE, REGRESSED, UNCHANGED, compare_metric,
                                   decide)
from bench.results import COLUMNS, TOKEN_ITEM

CFG = RegressConfig(tolerances={"pesq_wb": -0.05, "mel_distance": -0.02}, resamples=2000, min_pairs=3)
PESQ = MetricOutput("pesq_wb", "MOS-LQO", True)
MEL = MetricOutput("mel_distance", "log10", False)


def rows(codec: str, values: dict[str, list[float]], *, bitrate: float = 800.0, status=None,
         n_items: int | None = None) -> pd.DataFrame:
    """Tidy rows of one codec: values[metric][i] for item i (NaN + status for failed ones)."""
    out = []
    for metric, vals in values.items():
        for i, v in enumerate(vals):
            st = (status or {}).get((metric, i), "ok")
            out.append(dict(codec=codec, family="trained", dataset="speech-16k", item=f"utt{i:02d}",
                            metric=metric, value=v if st in ("ok", "warn") else math.nan, unit="u",
                            status=st, error="" if st == "ok" else "reason here", bitrate=bitrate,
                            token_rate=400.0, frame_rate=50.0, codec_sample_rate=16000,
                            metric_sample_rate=16000, duration_s=3.0, steps=""))
    return pd.DataFrame(out, columns=COLUMNS)


def base_values(n: int = 20, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(2.0, 4.0, n)


# ----- the verdict rule -------------------------------------------------------------------------

@pytest.mark.parametrize("lo, hi, tol, want", [
    (0.01, 0.2, -0.05, IMPROVED),        # whole CI above zero
    (0.0, 0.2, -0.05, UNCHANGED),        # lo == 0 is not "better"
    (-0.05, 0.1, -0.05, UNCHANGED),      # lo exactly at the tolerance
    (-0.04, -0.01, -0.05, UNCHANGED),    # significantly worse but within tolerance
    (0.0, 0.0, 0.0, UNCHANGED),          # identical, zero tolerance
    (-0.0501, 0.1, -0.05, INCONCLUSIVE), # straddles the tolerance
    (-0.2, -0.05, -0.05, INCONCLUSIVE),  # hi exactly at the tolerance
    (-0.2, -0.0501, -0.05, REGRESSED),   # whole CI below the tolerance
    (-1e-9, -1e-9, 0.0, REGRESSED),      # zero tolerance: any certain drop regresses
])
def test_decide_boundaries(lo, hi, tol, want):
    assert decide(lo, hi, tol) == want


def test_decide_rejects_bad_input():
    with pytest.raises(ValueError, match="lo <= hi"):
        decide(0.1, -0.1, -0.05)
    with pytest.raises(ValueError, match="tolerance must be <= 0"):
        decide(0.0, 0.1, 0.05)
    with pytest.raises(ValueError):
        decide(math.nan, 0.1, -0.05)


def compare(base, cand, higher=True, tol=-0.05, min_pairs=3):
    return compare_metric("m", base, cand, unit="u", higher_is_better=higher, tolerance=tol,
                          resamples=2000, confidence=0.95, seed=0, min_pairs=min_pairs)


def test_identical_scores_are_unchanged():
    b = base_values()
    c = compare(b, b.copy())
    assert (c.verdict, c.mean_diff, c.lo, c.hi, c.n) == (UNCHANGED, 0.0, 0.0, 0.0, 20)


def test_shift_direction_and_lower_is_better_flip():
    b = base_values()
    noise = np.random.default_rng(2).normal(0, 0.02, b.size)
    assert compare(b, b + 0.3 + noise).verdict == IMPROVED
    assert compare(b, b - 0.3 + noise).verdict == REGRESSED
    # for a lower-is-better metric the same shifts mean the opposite
    assert compare(b, b + 0.3 + noise, higher=False).verdict == REGRESSED
    assert compare(b, b - 0.3 + noise, higher=False).verdict == IMPROVED
    low = compare(b, b - 0.3 + noise, higher=False)
    assert low.mean_diff < 0 and low.hi < 0 and low.effect_size < 0   # raw units, not flipped


def test_noisy_small_drop_is_inconclusive_and_too_few_pairs_too():
    b = base_values(8)
    noisy = b - 0.05 + np.random.default_rng(3).normal(0, 0.3, b.size)
    assert compare(b, noisy).verdict == INCONCLUSIVE
    few = compare(b[:2], b[:2] - 1.0)
    assert few.verdict == INCONCLUSIVE and "only 2 paired" in few.reason


# ----- pairing ------------------------------------------------------------------------------------

def test_pairing_reports_missing_and_failed_items():
    b = rows("base", {"pesq_wb": [3.0, 3.1, 3.2, 3.3]})
    c = rows("cand", {"pesq_wb": [3.0, 3.1, 3.2]}, status={("pesq_wb", 1): "invalid"})
    p = pair_metric(b, c, "pesq_wb")
    assert p.items == ("speech-16k/utt00", "speech-16k/utt02")
    np.testing.assert_array_equal(p.candidate, [3.0, 3.2])
    text = [str(x) for x in p.problems]
    assert text == ["pesq_wb speech-16k/utt01: candidate: status invalid (reason here)",
                    "pesq_wb speech-16k/utt03: candidate: no row (item missing)"]


def test_pairing_selection_both_sides_and_duplicates_and_token_rows():
    b = rows("base", {"pesq_wb": [3.0, 3.1]})
    c = rows("cand", {"pesq_wb": [3.0, 3.1]}, status={("pesq_wb", 0): "unavailable"})
    b.loc[0, ["status", "error", "value"]] = ["unavailable", "reason here", math.nan]
    token = b.iloc[[1]].assign(item=TOKEN_ITEM, metric="pesq_wb")
    dup = c.iloc[[1]]
    p = pair_metric(pd.concat([b, token]), pd.concat([c, dup]), "pesq_wb",
                    selection=["speech-16k/utt00", "speech-16k/utt01", "speech-16k/utt09"])
    text = [str(x) for x in p.problems]
    assert "pesq_wb speech-16k/utt01: candidate: duplicate rows for this item; the file mixes runs" in text
    assert "pesq_wb speech-16k/utt00: both: status unavailable (reason here)" in text
    assert "pesq_wb speech-16k/utt09: both: no row (item missing)" in text
    assert p.items == ()          # the duplicated item is not paired either


# ----- rates --------------------------------------------------------------------------------------

def test_rates_changed_declared_and_inconsistent():
    same = check_rates(codec_rates(rows("a", {"x": [1]}), "b"), codec_rates(rows("b", {"x": [1]}), "c"))
    assert not any(r.changed for r in same)
    checks = check_rates(codec_rates(rows("a", {"x": [1]}), "b"),
                         codec_rates(rows("b", {"x": [1]}, bitrate=1600.0), "c"))
    bit = [r for r in checks if r.field == "bitrate"][0]
    assert bit.failed and "bitrate changed: baseline 800 bit/s, candidate 1600 bit/s" in bit.message()
    assert "--declare-change bitrate" in bit.message()
    declared = check_rates(codec_rates(rows("a", {"x": [1]}), "b"),
                           codec_rates(rows("b", {"x": [1]}, bitrate=1600.0), "c"), ("bitrate",))
    assert [r.field for r in declared if r.changed] == ["bitrate"] and not any(r.failed for r in declared)
    mixed = pd.concat([rows("a", {"x": [1]}), rows("a", {"x": [1]}, bitrate=1600.0)])
    with pytest.raises(ValueError, match="disagree about bitrate"):
        codec_rates(mixed, "baseline")
    with pytest.raises(ValueError, match="unknown rate"):
        check_rates({}, {}, ("bitrates",))


# ----- tolerance file -----------------------------------------------------------------------------

def test_default_tolerance_file_covers_the_issue_examples():
    cfg = load_tolerances()
    assert cfg.source_file.endswith("tolerances.yaml") and DEFAULT_PATH.is_file()
    assert (cfg.tolerance("pesq_wb"), cfg.tolerance("stoi"), cfg.tolerance("utmos"),
            cfg.tolerance("dnsmos_ovrl")) == (-0.05, -0.005, -0.05, -0.05)
    assert (cfg.resamples, cfg.confidence, cfg.seed) == (10_000, 0.95, 0)


def test_tolerance_file_errors_name_file_and_key(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("tolerances: {pesq_wb: 0.05}\n")
    with pytest.raises(ConfigError, match=r"t.yaml: tolerances.pesq_wb: must be <= 0"):
        load_tolerances(bad)
    bad.write_text("tolerances: {pesq_wb: -0.05}\nresample: 10\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['resample'\]"):
        load_tolerances(bad)
    bad.write_text("tolerances: {pesq_wb: -0.05}\n")
    with pytest.raises(ConfigError, match="no tolerance for metric 'stoi'"):
        load_tolerances(bad).tolerance("stoi")


# ----- evaluate: exit codes -----------------------------------------------------------------------

def test_evaluate_exit_codes():
    b = base_values(10)
    base = rows("base", {"pesq_wb": list(b), "mel_distance": list(b / 4)})
    same = evaluate(base, rows("cand", {"pesq_wb": list(b), "mel_distance": list(b / 4)}), [PESQ, MEL], CFG)
    assert same.exit_code == EXIT_OK and {c.verdict for c in same.comparisons} == {UNCHANGED}
    worse = evaluate(base, rows("cand", {"pesq_wb": list(b - 0.5), "mel_distance": list(b / 4)}),
                     [PESQ, MEL], CFG)
    assert worse.exit_code == EXIT_REGRESSION and worse.reasons[0].startswith("pesq_wb: regressed")
    better_mel = evaluate(base, rows("cand", {"pesq_wb": list(b), "mel_distance": list(b / 4 - 0.1)}),
                          [PESQ, MEL], CFG)
    assert better_mel.exit_code == EXIT_OK and better_mel.comparisons[1].verdict == IMPROVED
    rate = evaluate(base, rows("cand", {"pesq_wb": list(b), "mel_distance": list(b / 4)}, bitrate=1200.0),
                    [PESQ, MEL], CFG)
    assert rate.exit_code == EXIT_REGRESSION and rate.reasons[0].startswith("bitrate changed")


def test_evaluate_missing_data_is_exit_2_and_never_dropped():
    b = base_values(10)
    base = rows("base", {"pesq_wb": list(b)})
    cand = rows("cand", {"pesq_wb": list(b - 1.0)[:8]}, status={("pesq_wb", 0): "error"})
    rep = evaluate(base, cand, [PESQ], CFG)
    assert rep.exit_code == EXIT_ERROR and len(rep.problems) == 3
    assert rep.comparisons[0].n == 7 and rep.comparisons[0].verdict == REGRESSED   # still shown
    assert "--allow-missing" in rep.reasons[0]
    allowed = evaluate(base, cand, [PESQ], CFG, allow_missing=True)
    assert allowed.exit_code == EXIT_REGRESSION and len(allowed.problems) == 3
    nothing = evaluate(base, rows("cand", {"stoi": [0.9]}), [PESQ], CFG, allow_missing=True)
    assert nothing.exit_code == EXIT_ERROR and "no item has a value on both sides" in nothing.reasons[-1]
    empty = evaluate(base.iloc[0:0], cand, [PESQ], CFG)          # no baseline rows: rates unknown, not "changed"
    assert empty.exit_code == EXIT_ERROR and not any(r.startswith("bitrate") for r in empty.reasons)
    assert "bitrate: unknown" in [r for r in empty.rates if r.field == "bitrate"][0].message()


def test_fail_on_inconclusive_and_unknown_tolerance():
    b = base_values(8)
    noisy = b - 0.05 + np.random.default_rng(3).normal(0, 0.3, b.size)
    base, cand = rows("base", {"pesq_wb": list(b)}), rows("cand", {"pesq_wb": list(noisy)})
    assert evaluate(base, cand, [PESQ], CFG).exit_code == EXIT_OK
    assert evaluate(base, cand, [PESQ], CFG, fail_on_inconclusive=True).exit_code == EXIT_REGRESSION
    with pytest.raises(ConfigError, match="no tolerance for metric 'stoi'"):
        evaluate(base, cand, [MetricOutput("stoi", "", True)], CFG)


# ----- rendering ----------------------------------------------------------------------------------

def test_report_markdown_json_plot(tmp_path):
    b = base_values(10)
    base = rows("base", {"pesq_wb": list(b), "mel_distance": list(b / 4)})
    cand = rows("cand", {"pesq_wb": list(b - 0.5)[:9], "mel_distance": list(b / 4)[:9]}, bitrate=1200.0)
    rep = evaluate(base, cand, [PESQ, MEL], CFG, labels=("base (results)", "cand (codec)"))
    md = to_markdown(rep)
    assert "error: missing data (exit 2)" in md and "❌ regressed" in md and "bitrate changed" in md
    assert "pesq_wb speech-16k/utt09: candidate: no row (item missing)" in md
    assert "- most worse on pesq_wb: `speech-16k/utt" in md and "(-0.5)" in md
    assert "| mel_distance ↓ log10 | 9 |" in md and "| +0.02 |" in md     # lower-better tolerance shown raw
    record = json.loads(json.dumps(to_dict(rep)))
    assert record["exit_code"] == 2 and record["metrics"][0]["verdict"] == REGRESSED
    assert len(record["per_item"]["pesq_wb"]) == 9
    assert record["per_item"]["pesq_wb"][0]["diff"] == pytest.approx(-0.5)
    png = plot_differences(rep, tmp_path / "d.png")
    assert png.stat().st_size > 5000
