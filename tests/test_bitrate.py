import math

import pytest

from bench import bitrate


def test_neucodec_fsq_800_bps():
    # FSQ [4]*8 is one implicit codebook of 4**8 = 65,536 codes at 50 frames/s
    assert bitrate.nominal_bitrate([4 ** 8], 50) == pytest.approx(800.0)
    assert bitrate.token_rate(1, 50) == 50


def test_q2d2_rhombic_mixed_radix_is_not_rounded():
    sizes = [145 * 85 * 85]
    assert sizes[0] == 1_047_625
    assert bitrate.nominal_bits_per_frame(sizes) == pytest.approx(19.9987, abs=1e-4)
    # per-field and joint give the same nominal bits (log2 is additive) ...
    assert bitrate.nominal_bits_per_frame([145, 85, 85]) == pytest.approx(math.log2(1_047_625))
    # ... but packing differs: joint ceil(19.9987) = 20, per field 8 + 7 + 7 = 22
    assert bitrate.packed_bits_joint([145, 85, 85]) == 20
    assert bitrate.packed_bits_per_field([145, 85, 85]) == 22


@pytest.mark.parametrize("n_q, frame_rate, expected", [
    (12, 50, 6000), (32, 75, 24000), (9, 44100 / 512, 7751.953125)])
def test_dac_ladders(n_q, frame_rate, expected):
    assert bitrate.nominal_bitrate([1024] * n_q, frame_rate) == pytest.approx(expected)


def test_encodec_24k_bandwidths():
    for n_q, kbps in [(2, 1.5), (4, 3), (8, 6), (16, 12), (32, 24)]:
        assert bitrate.nominal_bitrate([1024] * n_q, 75) == pytest.approx(kbps * 1000)


def test_packed_bits_edge_cases():
    assert bitrate.packed_bits_joint([1024]) == 10
    assert bitrate.packed_bits_joint([1025]) == 11
    assert bitrate.packed_bits_joint([1]) == 0
    assert bitrate.packed_bits_per_field([4] * 8) == 16


@pytest.mark.parametrize("bad", [[], [0], [-3], [2.5]])
def test_invalid_sizes_rejected(bad):
    with pytest.raises(ValueError):
        bitrate.nominal_bits_per_frame(bad)


def test_invalid_frame_rate_rejected():
    with pytest.raises(ValueError, match="frame_rate"):
        bitrate.nominal_bitrate([2], 0)
