"""Utilization statistics against hand-computed values."""
from __future__ import annotations

import math

import numpy as np
import pytest

from bench import stats


def test_hand_computed_stream():
    idx = np.array([0, 0, 1, 2])           # p = 1/2, 1/4, 1/4
    assert stats.utilization(idx, 8) == 3 / 8
    assert stats.entropy_bits(idx, 8) == pytest.approx(1.5)
    assert stats.perplexity(idx, 8) == pytest.approx(2 ** 1.5)
    assert stats.sample_size_caveat(idx, 8) == 3 / 4     # 3 distinct of min(8, 4) possible
    assert stats.sample_size_caveat(idx, 2 ** 20) == 3 / 4
    assert stats.sample_size_caveat(np.arange(10) % 2, 2) == 1.0
    assert list(stats.code_counts(idx)) == [2, 1, 1]


def test_uniform_and_constant_extremes():
    assert stats.entropy_bits(np.arange(1024), 1024) == pytest.approx(10.0)
    assert stats.perplexity(np.arange(1024), 1024) == pytest.approx(1024.0)
    assert stats.utilization(np.arange(1024), 1024) == 1.0
    assert stats.entropy_bits(np.full(50, 7), 8) == 0.0
    assert stats.perplexity(np.full(50, 7), 8) == 1.0


def test_bad_input_is_an_error():
    with pytest.raises(ValueError, match=r"outside \[0, 4\)"):
        stats.utilization(np.array([0, 4]), 4)
    with pytest.raises(ValueError, match="integers"):
        stats.entropy_bits(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="empty"):
        stats.entropy_bits(np.array([], dtype=np.int64))


def test_split_fields_first_field_least_significant():
    sizes = (145, 85, 85)
    code = 3 + 145 * (4 + 85 * 5)
    assert stats.split_fields(np.array([code]), sizes).tolist() == [[3, 4, 5]]
    every = np.arange(math.prod((3, 4)))
    digits = stats.split_fields(every, (3, 4))
    assert np.array_equal(digits[:, 0] + 3 * digits[:, 1], every)


def test_field_stats_and_occupancy():
    fields = np.array([[0, 0], [1, 0], [1, 1], [1, 1]])
    a, b = stats.field_stats(fields, (2, 4))
    assert (a.field, a.size, a.utilization) == (0, 2, 1.0)
    assert a.entropy_bits == pytest.approx(-(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75)))
    assert b.utilization == 0.5 and b.entropy_bits == pytest.approx(1.0) and b.sample_size_caveat == 0.5
    assert stats.pair_occupancy(np.array([0, 2, 2, 4]), 5).tolist() == [1, 0, 2, 0, 1]
    with pytest.raises(ValueError, match=r"\[N, 2\]"):
        stats.field_stats(np.zeros((3, 3), dtype=int), (2, 4))


def test_token_stats_implicit_and_explicit():
    # FSQ-like: one stream, fields (4, 4); frames use codes 0 (=[0,0]) and 5 (=[1,1]) equally
    ts = stats.token_stats(np.array([[0], [5], [0], [5]]), (16,), ((4, 4),), frame_rate=50)
    assert ts.n_frames == 4 and ts.token_rate == 50.0 and ts.nominal_bitrate == 200.0
    assert ts.utilization == (2 / 16,) and ts.entropy_bits == (1.0,)
    assert ts.entropy_bitrate == 50.0
    assert [f.entropy_bits for f in ts.fields[0]] == [1.0, 1.0]
    assert ts.field_entropy_bitrate == 100.0   # fields coded separately ignore their dependence
    # RVQ-like: two explicit streams
    ts = stats.token_stats(np.array([[0, 1], [1, 1], [2, 1], [3, 1]]), (4, 4), None, frame_rate=75)
    assert ts.entropy_bits == (2.0, 0.0) and ts.entropy_bitrate == 150.0
    assert ts.field_entropy_bitrate == 150.0 and ts.fields == (None, None)
    assert ts.token_rate == 150.0 and ts.nominal_bitrate == 300.0
    with pytest.raises(ValueError, match="multiply"):
        stats.token_stats(np.array([[0]]), (16,), ((4, 5),), 50)
    with pytest.raises(ValueError, match=r"\[N_frames, 2\]"):
        stats.token_stats(np.zeros((3, 1), dtype=int), (4, 4), None, 50)
