"""The binary symmetric channel: lossless at p=0, flip rate within binomial error, nested flips."""
from __future__ import annotations

import math

import numpy as np
import pytest

from bench.robustness.channel import DEFAULT_PS, binary_symmetric_channel, channel_seed
from bench.robustness.packing import make_packing


def _bits(n=200_000, seed=1):
    return np.random.default_rng(seed).integers(0, 2, n).astype(np.uint8)


def test_p_zero_is_lossless_end_to_end():
    idx = np.random.default_rng(0).integers(0, 65536, (1, 1, 5000))
    pk = make_packing("stream", (65536,))
    out = binary_symmetric_channel(pk.pack(idx), 0.0, seed=3)
    assert out.n_flipped == 0
    assert np.array_equal(pk.unpack(out.bits).indices, idx)


@pytest.mark.parametrize("p", [0.001, 0.01, 0.05, 0.1, 0.5])
def test_flip_rate_matches_p_within_binomial_error(p):
    bits = _bits()
    n = bits.size
    for seed in range(3):
        out = binary_symmetric_channel(bits, p, channel_seed(seed, "test"))
        assert out.n_flipped == int(np.sum(out.bits != bits))
        sd = math.sqrt(n * p * (1 - p))
        assert abs(out.n_flipped - n * p) < 5 * sd, (p, seed, out.n_flipped)


def test_flips_are_seeded_and_nested_across_p():
    bits = _bits(50_000)
    a = binary_symmetric_channel(bits, 0.01, 7)
    b = binary_symmetric_channel(bits, 0.01, 7)
    c = binary_symmetric_channel(bits, 0.05, 7)
    d = binary_symmetric_channel(bits, 0.01, 8)
    assert np.array_equal(a.bits, b.bits)
    assert not np.array_equal(a.bits, d.bits)
    flipped_a, flipped_c = a.bits != bits, c.bits != bits
    assert np.all(flipped_c[flipped_a])             # flips at p=0.01 are a subset of those at 0.05
    assert flipped_c.sum() > flipped_a.sum()


def test_channel_seed_is_stable_and_distinguishes_parts():
    assert channel_seed(0, "pcm16-16k", "stream", "item1") == channel_seed(0, "pcm16-16k", "stream", "item1")
    assert channel_seed(0, "a", "b") != channel_seed(1, "a", "b")
    assert channel_seed(0, "ab", "c") != channel_seed(0, "a", "bc")


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"\[0, 0.5\]"):
        binary_symmetric_channel(_bits(10), 0.7, 0)
    with pytest.raises(ValueError, match="0 or 1"):
        binary_symmetric_channel(np.array([0, 2], dtype=np.uint8), 0.1, 0)
    assert DEFAULT_PS == (0.0, 0.001, 0.01, 0.05, 0.1)
