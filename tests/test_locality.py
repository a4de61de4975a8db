"""Code locality: noise at a given SNR, "within one" for levels and grid neighbours, chance levels, seed twins."""
from __future__ import annotations

import math

import numpy as np
import pytest

from bench.robustness.locality import (add_white_noise, chance_within_one, compare_codes, field_names,
                                       locality_rows, within_one)
from bench.robustness.packing import FieldGeometry, field_geometry


@pytest.mark.parametrize("snr", [40.0, 30.0, 20.0])
def test_white_noise_has_the_requested_snr_and_is_seeded(snr):
    x = np.sin(np.linspace(0, 300, 48000)) * 0.3
    y = add_white_noise(x, snr, seed=1)
    measured = 10 * math.log10(np.mean(x ** 2) / np.mean((y - x) ** 2))
    assert abs(measured - snr) < 0.1
    assert np.array_equal(y, add_white_noise(x, snr, seed=1))
    assert not np.array_equal(y, add_white_noise(x, snr, seed=2))


def test_white_noise_refuses_silence():
    with pytest.raises(ValueError, match="silent"):
        add_white_noise(np.zeros(100), 30.0, 0)


def test_within_one_on_levels():
    g = FieldGeometry("line", (4,))
    a = np.array([0, 1, 2, 3, 0])
    b = np.array([1, 1, 0, 3, 3])
    assert within_one(a, b, g).tolist() == [True, True, False, True, False]
    assert within_one(a, b, None) is None


@pytest.mark.parametrize("kind", ["rectangular", "hexagonal", "rhombic"])
def test_within_one_on_grids_matches_grid_neighbours(kind):
    from bench.quantizers.grids import Grid
    grid = Grid(kind, 5, 5)
    n = grid.n_points
    a, b = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    got = within_one(a.ravel(), b.ravel(), FieldGeometry(kind, (5, 5))).reshape(n, n)
    for i in range(n):
        expected = set(grid.neighbours(i)) | {i}
        assert set(np.nonzero(got[i])[0].tolist()) == expected


def test_chance_within_one_equals_brute_force():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 6, 300), rng.integers(0, 6, 200)
    g = FieldGeometry("line", (6,))
    brute = np.mean(np.abs(a[:, None] - b[None, :]) <= 1)
    assert chance_within_one(a, b, 6, g) == pytest.approx(brute)
    h = FieldGeometry("hexagonal", (3, 3))
    a, b = rng.integers(0, 9, 100), rng.integers(0, 9, 120)
    brute = np.mean(within_one(np.repeat(a, b.size), np.tile(b, a.size), h))
    assert chance_within_one(a, b, 9, h) == pytest.approx(brute)


def test_compare_fsq_codes_counts_frames_and_fields():
    geo = field_geometry({"name": "fsq", "levels": [4, 4, 4]})
    digits_a = np.array([[0, 1, 2, 3], [1, 1, 1, 1], [3, 3, 0, 0]])      # fields x frames
    digits_b = digits_a.copy()
    digits_b[0, 1] = 2      # one level away
    digits_b[2, 3] = 2      # two levels away
    code = lambda d: (d[0] + 4 * d[1] + 16 * d[2])[None]                  # noqa: E731
    loc = compare_codes(code(digits_a), code(digits_b), (64,), ((4, 4, 4),), geo)
    assert loc.frames_unchanged == 0.5
    assert [f.field for f in loc.fields] == ["dim0", "dim1", "dim2"]
    assert [f.unchanged for f in loc.fields] == [0.75, 1.0, 0.75]
    assert [f.within_one for f in loc.fields] == [1.0, 1.0, 0.75]
    rows = locality_rows(loc, codec="x")
    mean_within = [r for r in rows if r["field"] == "all" and r["measure"] == "within_one"][0]["value"]
    assert mean_within == pytest.approx(2.75 / 3)


def test_compare_identical_and_explicit_codebooks():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 1024, (2, 50))
    loc = compare_codes(codes, codes, (1024, 1024))
    assert loc.frames_unchanged == 1.0 and all(f.unchanged == 1.0 for f in loc.fields)
    assert all(math.isnan(f.within_one) for f in loc.fields)          # VQ/RVQ: no geometry
    assert field_names(None, None, 2) == ["stream0", "stream1"]
    with pytest.raises(ValueError, match="one shape"):
        compare_codes(codes, codes[:, :10], (1024, 1024))


def test_find_seed_pairs_pairs_only_seed_twins(tmp_path):
    from bench.config import CodecSpec
    from bench.robustness.probes import find_seed_pairs
    from bench.paths import repo_root
    base = str(repo_root() / "codecs" / "trained" / "base.yaml")
    def cfg(name, seed, levels):
        p = tmp_path / f"{name}.yaml"
        p.write_text(f"base: {base}\nname: {name}\nseed: {seed}\n"
                     f"quantizer: {{name: fsq, levels: {levels}}}\n")
        return CodecSpec(name=name, family="trained", params={"config": str(p)}, weights=None,
                         description="", source_file="test")
    specs = [cfg("a", 0, [4, 4]), cfg("b", 1, [4, 4]), cfg("c", 2, [5, 5]), cfg("d", 0, [4, 4])]
    assert find_seed_pairs(specs) == [("a", "b"), ("d", "b")]     # c has other levels; a and d share seed 0
