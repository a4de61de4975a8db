"""Length and delay alignment helpers (bench/align.py)."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.align import (AlignmentTally, LengthFix, estimate_lag, fit_length, frames_for,
                         output_length, pad_to_multiple)


@given(st.integers(0, 10_000), st.integers(1, 1024))
def test_frames_for_is_ceil_division(n, hop):
    f = frames_for(n, hop)
    assert (f - 1) * hop < n <= f * hop or (n == 0 and f == 0)


@given(st.integers(1, 5000), st.integers(1, 700))
@settings(max_examples=50)
def test_pad_to_multiple_appends_zeros_only(n, hop):
    x = torch.randn(2, 1, n)
    y, n_pad = pad_to_multiple(x, hop)
    assert y.shape[-1] % hop == 0 and 0 <= n_pad < hop and y.shape[-1] == n + n_pad
    assert torch.equal(y[..., :n], x) and not y[..., n:].any()


def test_output_length_rounds_across_rates():
    assert output_length(16000, 16000, 24000) == 24000
    assert output_length(16001, 16000, 24000) == 24002       # 24001.5 rounds to even
    assert output_length(441, 44100, 16000) == 160
    with pytest.raises(ValueError):
        output_length(10, 0, 16000)


def test_fit_length_trims_or_zero_fills_the_end_only():
    x = torch.arange(1.0, 11.0).view(1, 1, 10)
    y, fix = fit_length(x, 7)
    assert torch.equal(y[0, 0], torch.arange(1.0, 8.0)) and (fix.trimmed, fix.zero_filled) == (3, 0)
    y, fix = fit_length(x, 13)
    assert torch.equal(y[0, 0, :10], x[0, 0]) and not y[0, 0, 10:].any()
    assert (fix.trimmed, fix.zero_filled) == (0, 3)
    y, fix = fit_length(x, 10)
    assert torch.equal(y, x) and fix == LengthFix(10, 10)


def test_tally_counts_fixes():
    tally = AlignmentTally()
    for decoded, target in ((10, 7), (5, 8), (4, 4)):
        tally.add(LengthFix(decoded, target))
    assert tally.as_dict() == {"batches": 3, "trimmed_samples": 3, "zero_filled_samples": 3,
                               "zero_filled_batches": 1}


@pytest.mark.parametrize("lag", [-37, -1, 0, 5, 120])
def test_estimate_lag_recovers_a_known_shift(lag):
    torch.manual_seed(0)
    ref = torch.randn(4000)
    dec = torch.roll(ref, lag) * 0.5 + 0.01 * torch.randn(4000)   # late by `lag` samples
    assert estimate_lag(ref, dec, max_lag=200) == lag


def test_estimate_lag_rejects_short_signals():
    with pytest.raises(ValueError, match="too short"):
        estimate_lag(torch.randn(100), torch.randn(100), max_lag=60)
