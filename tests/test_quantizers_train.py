"""Every quantizer trains: a toy autoencoder's reconstruction loss falls through it."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from bench.quantizers import build_quantizer_from_config

CONFIGS = [
    {"name": "fsq", "levels": [5, 5, 5, 5]},
    {"name": "q2d2", "grid": "rectangular", "levels": [5, 5, 5, 5]},
    {"name": "q2d2", "grid": "hexagonal", "levels": [5, 5, 5, 5]},
    {"name": "q2d2", "grid": "rhombic", "levels": [5, 5, 4, 4]},
    {"name": "vq", "codebook_size": 64},
    {"name": "vq", "codebook_size": 64, "codebook_dim": 4, "cosine": True, "ema": False},
    {"name": "rvq", "n_stages": 3, "codebook_size": 16, "stage_dropout": 0.3},
]
X_DIM, LATENT = 12, 8


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: one thread is faster than contending for the shared cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _data(n=512):
    g = torch.Generator().manual_seed(0)
    factors = torch.randn(n, 4, generator=g)
    mix = torch.randn(4, X_DIM, generator=g)
    return torch.tanh(factors @ mix) + 0.01 * torch.randn(n, X_DIM, generator=g)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(str(v) for v in c.values())[:40])
def test_toy_autoencoder_loss_falls(config):
    torch.manual_seed(0)
    x = _data()
    enc = nn.Sequential(nn.Linear(X_DIM, 32), nn.GELU(), nn.Linear(32, LATENT))
    dec = nn.Sequential(nn.Linear(LATENT, 32), nn.GELU(), nn.Linear(32, X_DIM))
    q = build_quantizer_from_config(config, LATENT)
    params = list(enc.parameters()) + list(dec.parameters()) + list(q.parameters())
    opt = torch.optim.Adam(params, lr=3e-3)
    losses = []
    for step in range(150):
        batch = x[torch.randint(0, x.shape[0], (64,))]
        z = enc(batch).unsqueeze(-1)                    # [B, D, F=1]
        out = q(z)
        recon = dec(out.z_hat.squeeze(-1))
        mse = (recon - batch).square().mean()
        opt.zero_grad()
        (mse + out.aux_loss).backward()
        opt.step()
        losses.append(float(mse.detach()))
    first, last = sum(losses[:20]) / 20, sum(losses[-20:]) / 20
    assert last < 0.5 * first, f"{config}: loss {first:.4f} -> {last:.4f}"
