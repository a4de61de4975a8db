"""Quantizer modules: interface, round trips, FSQ == Q2D2 rectangular, building from config."""
from __future__ import annotations

import math

import pytest
import torch

from bench.config import ConfigError
from bench.quantizers import FSQ, Q2D2, build_quantizer, build_quantizer_from_config
from bench.quantizers.grids import Grid
from bench.registry import QUANTIZERS, UnknownNameError

D = 16


def _latent(b=2, f=40, seed=0, scale=3.0):
    return torch.randn(b, D, f, generator=torch.Generator().manual_seed(seed)) * scale


def test_registry_names():
    assert {"fsq", "q2d2"} <= set(QUANTIZERS.names())


@pytest.mark.parametrize("config", [
    {"name": "fsq"},
    {"name": "fsq", "levels": [8, 5, 5, 5]},
    {"name": "q2d2", "grid": "rectangular", "levels": [4, 4, 4, 4]},
    {"name": "q2d2", "grid": "hexagonal", "levels": [8, 8, 6, 6]},
    {"name": "q2d2", "grid": "rhombic", "levels": [9, 9, 7, 7, 7, 7]},
])
def test_interface_and_round_trip(config):
    q = build_quantizer_from_config(config, D)
    z = _latent()
    z_hat, idx = q.quantize(z)
    assert z_hat.shape == z.shape and idx.shape == (2, q.n_streams, 40) and idx.dtype == torch.int64
    assert int(idx.min()) >= 0 and int(idx.max()) < q.codebook_sizes[0]
    assert torch.equal(q.dequantize(idx), z_hat)
    out = q(z)
    assert torch.equal(out.indices, idx) and float(out.aux_loss) == 0.0
    fields = q.fields_from_indices(idx)
    assert fields.shape == (2, len(q.field_sizes[0]), 40)
    assert torch.equal(q.indices_from_fields(fields), idx)
    assert q.bits_per_frame == pytest.approx(math.log2(q.codebook_sizes[0]))


def test_paper_config_figures():
    q = build_quantizer_from_config({"name": "q2d2", "grid": "rhombic", "levels": [9, 9, 7, 7, 7, 7]}, D)
    assert q.field_sizes == ((145, 85, 85),)
    assert q.codebook_sizes == (1_047_625,)
    assert round(q.bits_per_frame, 4) == 19.9987
    f = build_quantizer("fsq", D)
    assert f.codebook_sizes == (65_536,) and f.field_sizes == ((4,) * 8,) and f.bits_per_frame == 16.0


@pytest.mark.parametrize("grid,levels", [("rhombic", [9, 9, 7, 7, 7, 7]), ("hexagonal", [5, 5, 4, 4]),
                                         ("rectangular", [3, 3, 2, 2])])
def test_every_implicit_code_round_trips(grid, levels):
    """index -> grid coordinates -> nearest -> index, for all codes of the implicit codebook."""
    q = Q2D2(D, grid=grid, levels=levels).double()
    n = q.codebook_sizes[0]
    idx = torch.arange(n).view(1, 1, n)
    u = q.codes_to_scaled(idx)[0]
    _, digits = q._snap(u)
    assert torch.equal(q.indices_from_fields(digits.T.unsqueeze(0)), idx)


def test_fsq_every_code_round_trips():
    q = FSQ(D, levels=[4] * 8).double()
    idx = torch.arange(65_536).view(1, 1, -1)
    _, digits = q._snap(q.codes_to_scaled(idx)[0])
    assert torch.equal(q.indices_from_fields(digits.T.unsqueeze(0)), idx)


@pytest.mark.parametrize("levels", [[2, 2], [5, 5], [8, 8], [9, 9, 7, 7], [4, 6]])
def test_fsq_equals_q2d2_rectangular(levels):
    fsq = FSQ(D, levels=levels)
    q2 = Q2D2(D, grid="rectangular", levels=levels)
    q2.load_state_dict(fsq.state_dict())
    z = _latent(b=4, f=500)
    a, b = fsq.quantize(z), q2.quantize(z)
    assert torch.equal(a[1], b[1]) and torch.equal(a[0], b[0])
    # also on the scaled plane, including exact ties (half-integers) and the box corners
    for lx, ly in zip(levels[::2], levels[1::2]):
        g = Grid("rectangular", lx, ly)
        xy = torch.cartesian_prod(torch.arange(-lx, lx + 1) / 2, torch.arange(-ly, ly + 1) / 2)
        f2 = FSQ(2, levels=[lx, ly], project=False).double()
        _, digits = f2._snap(xy.double())
        assert torch.equal(digits[:, 0] + lx * digits[:, 1], g.nearest(xy.double()))


def test_straight_through_gradient():
    q = Q2D2(D, grid="hexagonal", levels=[6, 6])
    z = _latent().requires_grad_()
    q(z).z_hat.sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0
    assert q.project_in.weight.grad.abs().sum() > 0


def test_build_errors():
    with pytest.raises(UnknownNameError, match="q2d2"):
        build_quantizer("q2d3", D)
    with pytest.raises(ConfigError, match="'level'"):
        build_quantizer_from_config({"name": "q2d2", "level": [9, 9]}, D)
    with pytest.raises(ConfigError, match="'name'"):
        build_quantizer_from_config({"grid": "rhombic"}, D)
    with pytest.raises(ValueError, match="even number of levels"):
        build_quantizer_from_config({"name": "q2d2", "levels": [9, 9, 7]}, D)
    with pytest.raises(ValueError, match="unknown grid 'hex'"):
        build_quantizer("q2d2", D, grid="hex")
    with pytest.raises(ValueError, match="integer >= 2"):
        build_quantizer("fsq", D, levels=[4, 1])
    with pytest.raises(ValueError, match=r"\[B, 16, F\]"):
        build_quantizer("fsq", D).quantize(torch.zeros(2, 8, 5))
    with pytest.raises(ValueError, match="outside"):
        build_quantizer("fsq", D, levels=[2, 2]).dequantize(torch.tensor([[[4]]]))
