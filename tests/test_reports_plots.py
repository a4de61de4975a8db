"""Plot files: created, non-empty, deterministic; bad inputs fail loudly."""
from __future__ import annotations

import numpy as np
import pytest

from bench.reports import plots
from bench.reports.figures import safe_name
from bench.reports.synthetic import synthetic_results
from bench.reports.tables import summary_table


@pytest.fixture(scope="module")
def df():
    return synthetic_results(n_items=4)


def _check(paths, stems):
    assert sorted(p.name for p in paths) == sorted(f"{s}.{ext}" for s in stems for ext in ("png", "pdf"))
    for p in paths:
        head = p.read_bytes()[:8]
        assert head.startswith(b"\x89PNG" if p.suffix == ".png" else b"%PDF"), p
        assert p.stat().st_size > 2000, p


def test_rd_curves(df, tmp_path):
    table = summary_table(df, n_resamples=200)
    paths = plots.rd_curves(df, tmp_path, table=table)
    _check(paths, ["rd_speech"])
    # no quality metric has values -> no figure, no error
    only_utmos = df[(df["metric"] == "utmos") | (df["item"] == "(all items)")]
    assert plots.rd_curves(only_utmos, tmp_path / "none", n_resamples=200) == []


def test_per_item_distributions(df, tmp_path):
    _check(plots.per_item_distributions(df, tmp_path, metrics=["pesq_wb", "stoi"]), ["dist_speech"])


def test_codebook_usage_is_deterministic(tmp_path):
    rng = np.random.default_rng(0)
    counts = {"fsq-800": rng.integers(0, 50, 256), "dac": rng.integers(0, 9, (2, 64))}
    first = plots.codebook_usage(counts, tmp_path / "a")
    second = plots.codebook_usage(counts, tmp_path / "b")
    _check(first, ["codebook_usage"])
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    with pytest.raises(ValueError, match="non-negative"):
        plots.codebook_usage({"x": np.ones((2, 2, 2))}, tmp_path)


def test_occupancy_maps(tmp_path):
    grid = np.array([[i, j] for i in range(-2, 3) for j in range(-2, 3)], dtype=float)
    counts = np.arange(25.0) % 7  # some unused points
    paths = plots.occupancy_maps({"q2d2-rhombic/800": [(grid, counts), (grid, counts[::-1])]}, tmp_path)
    _check(paths, ["occupancy_q2d2-rhombic_800"])
    with pytest.raises(ValueError, match="points \\[N, 2\\]"):
        plots.occupancy_maps({"x": [(grid, counts[:3])]}, tmp_path)


def test_spectrogram_panel(tmp_path):
    t = np.arange(8000) / 16000
    ref = np.sin(2 * np.pi * 440 * t)
    paths = plots.spectrogram_panel({"reference": (ref, 16000), "mulaw-8k": (ref[::2], 8000)},
                                    tmp_path / "spec.png")
    _check(paths, ["spec"])
    with pytest.raises(ValueError, match="mono"):
        plots.spectrogram_panel({"stereo": (np.zeros((2, 100)), 16000)}, tmp_path / "x")


def test_safe_name():
    assert safe_name("dac 16k/6kbps") == "dac_16k_6kbps" and safe_name("///") == "unnamed"


def test_code_counts_and_occupancy_from_digits():
    from bench.reports.usage import code_counts, occupancy_from_digits
    idx = np.array([[0, 2], [0, 1], [3, 1]])
    a, b = code_counts(idx, [4, 3])
    assert a.tolist() == [2, 0, 0, 1] and b.tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match="outside"):
        code_counts(idx, [4, 2])
    with pytest.raises(ValueError, match="must be"):
        code_counts(idx[:, 0], [4])
    grid = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, 1.0]])
    (pts, counts), = occupancy_from_digits(np.array([[2], [2], [0]]), [grid])
    assert counts.tolist() == [1, 0, 2] and pts.shape == (3, 2)
