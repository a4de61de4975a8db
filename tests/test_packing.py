"""Packing codes into fixed-length bitstreams: lossless round trips, Gray orderings, out-of-range rules."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.robustness.gray import (bits_for, grid_edges, grid_gray_ordering, gray_decode, gray_encode,
                                   level_gray_ordering, natural_ordering, neighbour_hamming, popcount,
                                   snake_order, SNAKE_DIRECTION)
from bench.robustness.packing import (RULES, SCHEMES, applicable_schemes, field_geometry,
                                      make_packing)

GRIDS = [("rectangular", 4, 4), ("rectangular", 9, 9), ("rectangular", 8, 5), ("rhombic", 9, 9),
         ("rhombic", 7, 7), ("hexagonal", 9, 9), ("hexagonal", 7, 6)]


# --- Gray codes -----------------------------------------------------------------------------

def test_gray_consecutive_differ_in_one_bit_and_decode_inverts():
    k = np.arange(1 << 12)
    g = gray_encode(k)
    assert np.all(popcount(g[1:] ^ g[:-1]) == 1)
    assert np.array_equal(gray_decode(g), k)
    assert sorted(g.tolist()) == k.tolist()


@pytest.mark.parametrize("levels", [2, 3, 4, 5, 7, 8, 9, 16])
def test_level_gray_neighbours_exactly_one_bit(levels):
    o = level_gray_ordering(levels)
    edges = np.stack([np.arange(levels - 1), np.arange(1, levels)], 1)
    stats = neighbour_hamming(o, edges)
    assert stats.max == 1 and stats.frac_one == 1.0
    assert o.bits == bits_for(levels)
    assert len(set(o.encode(np.arange(levels)).tolist())) == levels


@pytest.mark.parametrize("kind,lx,ly", GRIDS)
def test_grid_gray_snake_path_and_within_line_neighbours_one_bit(kind, lx, ly):
    from bench.quantizers.grids import Grid
    grid = Grid(kind, lx, ly)
    o = grid_gray_ordering(kind, lx, ly)
    cw = o.encode(np.arange(o.n_values))
    assert o.bits == bits_for(grid.n_points)
    assert len(set(cw.tolist())) == grid.n_points                      # a bijection onto codewords
    path = o.value_of_rank
    assert np.all(popcount(cw[path[1:]] ^ cw[path[:-1]]) == 1)        # consecutive on path: one bit
    # points consecutive on a line are grid neighbours, so within-line neighbours differ in one bit
    d = np.asarray(SNAKE_DIRECTION[kind]) / np.linalg.norm(SNAKE_DIRECTION[kind])
    pts = grid.points.numpy()
    for a, b in grid_edges(kind, lx, ly):
        delta = pts[b] - pts[a]
        if abs(abs(delta @ d) - np.linalg.norm(delta)) < 1e-9:      # edge along the line direction
            assert popcount(cw[a] ^ cw[b]) == 1, (a, b)


@pytest.mark.parametrize("kind,lx,ly", GRIDS)
def test_grid_gray_beats_natural_binary_on_neighbours(kind, lx, ly):
    edges = grid_edges(kind, lx, ly)
    gray = neighbour_hamming(grid_gray_ordering(kind, lx, ly), edges)
    natural = neighbour_hamming(natural_ordering(edges.max() + 1), edges)
    assert gray.mean < natural.mean
    assert gray.max <= natural.max


@pytest.mark.parametrize("lx,ly", [(4, 4), (8, 8), (4, 2), (2, 8)])
def test_power_of_two_rectangular_grid_every_neighbour_one_bit(lx, ly):
    stats = neighbour_hamming(grid_gray_ordering("rectangular", lx, ly), grid_edges("rectangular", lx, ly))
    assert stats.max == 1 and stats.frac_one == 1.0


def test_snake_order_visits_every_point_once():
    pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
    assert snake_order(pts, (1, 0)).tolist() == [0, 1, 3, 2]


# --- packing --------------------------------------------------------------------------------

def _geometries():
    return {
        "fsq": {"name": "fsq", "levels": [4, 4, 4, 4, 4, 4, 4, 4]},
        "fsq-odd": {"name": "fsq", "levels": [8, 5, 5, 5]},
        "q2d2-rhombic": {"name": "q2d2", "grid": "rhombic", "levels": [9, 9, 7, 7, 7, 7]},
        "q2d2-hex": {"name": "q2d2", "grid": "hexagonal", "levels": [9, 9, 7, 7]},
        "q2d2-rect": {"name": "q2d2", "grid": "rectangular", "levels": [9, 9, 4, 4]},
    }


def _codes_of_quantizer(cfg, frames=50, seed=0):
    from bench.quantizers import build_quantizer_from_config
    torch.manual_seed(seed)
    q = build_quantizer_from_config(cfg, 16)
    z = torch.randn(2, 16, frames) * 3
    with torch.no_grad():
        _, idx = q.quantize(z)
    return q, idx.numpy()


@pytest.mark.parametrize("name", list(_geometries()))
@pytest.mark.parametrize("rule", RULES)
def test_round_trip_every_scheme_of_implicit_quantizers(name, rule):
    cfg = _geometries()[name]
    q, idx = _codes_of_quantizer(cfg)
    geo = field_geometry(cfg)
    schemes = applicable_schemes(q.codebook_sizes, q.field_sizes, geo)
    assert schemes == ["stream", "field", "field-gray"]
    for scheme in schemes:
        pk = make_packing(scheme, q.codebook_sizes, q.field_sizes, geo, rule)
        bits = pk.pack(idx)
        assert bits.shape == (2, 50 * pk.bits_per_frame) and set(np.unique(bits)) <= {0, 1}
        back = pk.unpack(bits)
        assert np.array_equal(back.indices, idx) and back.n_out_of_range == 0


def test_bits_per_frame_match_bitrate_module():
    from bench.bitrate import packed_bits_joint, packed_bits_per_field
    fields = (145, 85, 85)
    geo = field_geometry(_geometries()["q2d2-rhombic"])
    assert make_packing("stream", (math.prod(fields),), (fields,)).bits_per_frame == packed_bits_joint(fields)
    assert make_packing("field", (math.prod(fields),), (fields,)).bits_per_frame == packed_bits_per_field(fields)
    assert make_packing("field-gray", (math.prod(fields),), (fields,), geo).bits_per_frame == 8 + 7 + 7


def test_round_trip_multi_stream_rvq_like_and_joint():
    rng = np.random.default_rng(0)
    sizes = (1024, 1024, 1000)
    idx = np.stack([rng.integers(0, s, (3, 40)) for s in sizes], 1)
    assert applicable_schemes(sizes, None, None) == ["stream", "joint"]
    for scheme in ("stream", "joint"):
        pk = make_packing(scheme, sizes)
        back = pk.unpack(pk.pack(idx))
        assert np.array_equal(back.indices, idx)
    assert make_packing("joint", sizes).bits_per_frame == math.ceil(math.log2(1024 * 1024 * 1000))


@pytest.mark.parametrize("name", ["pcm16-16k", "pcm8-16k", "mulaw-16k", "mulaw-8k"])
def test_round_trip_reference_codecs(name, speech_16k):
    from bench.codecs import build_codec, get_spec
    codec = build_codec(get_spec(name))
    x = torch.from_numpy(speech_16k[0][:8000].astype(np.float32)).view(1, 1, -1)
    codes = codec.encode(x)
    for scheme in applicable_schemes(codes.codebook_sizes, codes.field_sizes, None):
        pk = make_packing(scheme, codes.codebook_sizes, codes.field_sizes)
        back = pk.unpack(pk.pack(codes.indices.numpy()))
        assert np.array_equal(back.indices, codes.indices.numpy())
        assert torch.equal(codec.decode(codes.with_indices(torch.from_numpy(back.indices))), codec.decode(codes))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(2, 40), min_size=1, max_size=4), st.integers(0, 2 ** 31))
def test_round_trip_random_field_sizes(fields, seed):
    rng = np.random.default_rng(seed)
    size = math.prod(fields)
    idx = rng.integers(0, size, (1, 1, 17))
    for scheme in applicable_schemes((size,), (tuple(fields),), None):
        pk = make_packing(scheme, (size,), (tuple(fields),))
        assert np.array_equal(pk.unpack(pk.pack(idx)).indices, idx)


def test_out_of_range_rule_is_deterministic_and_counted():
    # 3 levels in 2 bits: natural codeword 3 is out of range
    pk_clamp = make_packing("field", (9,), ((3, 3),), rule="clamp")
    pk_wrap = make_packing("field", (9,), ((3, 3),), rule="wrap")
    bits = np.array([[1, 1, 0, 1]], dtype=np.uint8)   # field0 codeword 3 (bad), field1 codeword 1
    c, w = pk_clamp.unpack(bits), pk_wrap.unpack(bits)
    assert c.n_out_of_range == 1 and w.n_out_of_range == 1
    assert c.indices.tolist() == [[[2 + 3 * 1]]]      # clamp: rank 3 -> 2
    assert w.indices.tolist() == [[[0 + 3 * 1]]]      # wrap: rank 3 -> 0
    assert np.array_equal(pk_clamp.unpack(bits).indices, c.indices)   # same input, same output


def test_out_of_range_gray_uses_gray_rank():
    geo = field_geometry({"name": "fsq", "levels": [3]})
    pk = make_packing("field-gray", (3,), ((3,),), geo, rule="clamp")
    # Gray codewords of levels 0,1,2 are 00, 01, 11; codeword 10 decodes to rank 3 -> out of range
    assert pk.pack(np.array([[[0, 1, 2]]])).tolist() == [[0, 0, 0, 1, 1, 1]]
    out = pk.unpack(np.array([[1, 0]], dtype=np.uint8))
    assert out.n_out_of_range == 1 and out.indices.tolist() == [[[2]]]


def test_bad_inputs_raise_with_allowed_values():
    with pytest.raises(ValueError, match="allowed: stream, joint, field, field-gray"):
        make_packing("huffman", (16,))
    with pytest.raises(ValueError, match="clamp, wrap"):
        make_packing("stream", (16,), rule="saturate")
    with pytest.raises(ValueError, match="applicable: stream"):
        make_packing("field-gray", (16,))
    with pytest.raises(ValueError, match="outside"):
        make_packing("stream", (16,)).pack(np.array([[[16]]]))
    assert set(SCHEMES) == {"stream", "joint", "field", "field-gray"}


def test_single_flip_distance_by_hand():
    from bench.robustness.gray import single_flip_distance
    levels = lambda n: np.arange(n, dtype=float)[:, None]          # noqa: E731
    # natural 4 levels: the low bit moves 1, the high bit 2
    assert single_flip_distance(natural_ordering(4), levels(4)) == pytest.approx(1.5)
    assert single_flip_distance(natural_ordering(4), levels(4), rms=True) == pytest.approx(np.sqrt(2.5))
    # Gray 4 levels (00, 01, 11, 10): same mean, but the ends jump 3 levels: RMS sqrt(3) > sqrt(2.5)
    assert single_flip_distance(level_gray_ordering(4), levels(4)) == pytest.approx(1.5)
    assert single_flip_distance(level_gray_ordering(4), levels(4), rms=True) == pytest.approx(np.sqrt(3.0))
    # Gray 3 levels (00, 01, 11): moves 1,2 | 1,1 | 0,1 (10 decodes to rank 3, clamped to level 2)
    assert single_flip_distance(level_gray_ordering(3), levels(3), "clamp") == pytest.approx(1.0)
    # wrap sends rank 3 to level 0 instead: moves 1,0 | 1,1 | 2,1
    assert single_flip_distance(level_gray_ordering(3), levels(3), "wrap") == pytest.approx(1.0)
