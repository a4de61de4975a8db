"""Accounting figures: NeuCodec FSQ and the Q2D2 paper configuration, exactly."""
from __future__ import annotations

import math

import pytest

from bench.quantizers import build_quantizer, build_quantizer_from_config
from bench.quantizers.accounting import FAMILIES, account, account_quantizer, format_rows, nearest_configs


def test_neucodec_fsq_800_bps_50_tokens():
    a = account_quantizer(build_quantizer("fsq", 16, levels=[4] * 8), frame_rate=50)
    assert a.codebook_sizes == (65_536,)
    assert a.bits_per_frame == 16.0 and a.bitrate == 800.0
    assert a.token_rate == 50.0 and a.field_token_rate == 400.0
    assert a.packed_bits_per_frame == 16 and a.packed_bits_per_frame_fields == 16
    assert a.field_bits == ((2.0,) * 8,)


def test_q2d2_paper_config():
    q = build_quantizer("q2d2", 16, grid="rhombic", levels=[9, 9, 7, 7, 7, 7])
    a = account_quantizer(q, frame_rate=75)
    assert a.codebook_sizes == (145 * 85 * 85,) == (1_047_625,)
    assert a.bits_per_frame == pytest.approx(math.log2(1_047_625))
    assert round(a.bits_per_frame, 4) == 19.9987           # not rounded up to 20
    assert a.packed_bits_per_frame == 20                   # ceil(log2(1,047,625)), joint mixed radix
    assert a.packed_bits_per_frame_fields == 8 + 7 + 7     # 145 -> 8 bits, 85 -> 7 bits
    assert a.token_rate == 75.0 and a.field_token_rate == 225.0
    assert a.packed_bitrate == 1500.0


def test_explicit_codebooks():
    a = account((1024,) * 8, 75)
    assert a.bits_per_frame == 80.0 and a.bitrate == 6000.0 and a.token_rate == 600.0
    assert a.field_sizes is None and a.field_token_rate == 600.0
    a = account((1000,), 50)
    assert a.bits_per_frame == pytest.approx(math.log2(1000)) and a.packed_bits_per_frame == 10
    with pytest.raises(ValueError, match="multiply"):
        account((16,), 50, ((4, 5),))


def test_nearest_configs_finds_exact_matches():
    rows = nearest_configs(19.9987 * 50, 50, families=["q2d2-rhombic"], per_family=1)
    assert rows[0].config == {"name": "q2d2", "grid": "rhombic", "levels": [9, 9, 7, 7, 7, 7]}
    rows = nearest_configs(800, 50, families=["fsq"], per_family=3)
    rows += nearest_configs(800, 50, families=["rvq"], per_family=2)   # 4 x 16 and 2 x 256 codes
    rows += nearest_configs(800, 50, families=["vq"], per_family=1)
    assert all(abs(r.rel_error) < 1e-12 for r in rows), format_rows(rows)
    assert rows[0].config == {"name": "fsq", "levels": [4] * 8}   # NeuCodec's choice is the plainest
    assert rows[-1].config == {"name": "vq", "codebook_size": 65_536}
    for r in rows:  # every row is buildable and its figures match the built quantizer
        q = build_quantizer_from_config(r.config, 8)
        assert q.bits_per_frame == pytest.approx(r.bits_per_frame)
        assert r.bitrate == pytest.approx(50 * q.bits_per_frame)


def test_nearest_configs_rows_are_sorted_and_distinct():
    rows = nearest_configs(1234.5, 75, per_family=4)
    assert [r.family for r in rows] == [f for f in FAMILIES for _ in range(4)]
    for f in FAMILIES:
        errs = [abs(r.rel_error) for r in rows if r.family == f]
        assert errs == sorted(errs)
        assert len({r.params for r in rows if r.family == f}) == 4
    text = format_rows(rows)
    assert "q2d2-hexagonal" in text and "levels=" in text
    with pytest.raises(ValueError, match="unknown family"):
        nearest_configs(1000, 50, families=["pq"])
