"""VQ and RVQ: interface, k-means / EMA / dead-code behaviour, stage dropout."""
from __future__ import annotations

import pytest
import torch

from bench.quantizers import RVQ, VQ, build_quantizer
from bench.quantizers.vq import kmeans, nearest_code

D = 8


def _clusters(n_centres=16, per=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(n_centres, D, generator=g) * 5
    x = centres.repeat_interleave(per, 0) + 0.05 * torch.randn(n_centres * per, D, generator=g)
    return centres, x


def test_nearest_code_matches_cdist_and_chunks():
    g = torch.Generator().manual_seed(1)
    x, cb = torch.randn(1000, D, generator=g), torch.randn(50, D, generator=g)
    ref = torch.cdist(x, cb).argmin(1)
    assert torch.equal(nearest_code(x, cb), ref)
    assert torch.equal(nearest_code(x, cb, chunk=5000), ref)


def test_kmeans_finds_separated_clusters():
    torch.manual_seed(0)
    centres, x = _clusters()
    found = kmeans(x, 16, iters=20)
    # every true centre has a found centre close to it
    assert float(torch.cdist(centres, found).min(1).values.max()) < 0.1


@pytest.mark.parametrize("params", [
    dict(codebook_size=32),
    dict(codebook_size=32, init="random", ema=False),
    dict(codebook_size=32, codebook_dim=3, cosine=True),
])
def test_vq_round_trip_and_training_updates(params):
    torch.manual_seed(0)
    q = VQ(D, **params).train()
    z = torch.randn(4, D, 30)
    before = q.embed.detach().clone()
    out = q(z)
    assert out.indices.shape == (4, 1, 30) and float(out.aux_loss.detach()) > 0
    assert not torch.equal(before, q.embed.detach()), "first training batch initialises the codebook"
    q.eval()
    z_hat, idx = q.quantize(z)
    assert torch.equal(q.dequantize(idx), z_hat)
    assert q.bits_per_frame == 5.0


def test_ema_codebook_converges_to_cluster_means():
    torch.manual_seed(0)
    centres, x = _clusters(n_centres=8, per=32)
    q = VQ(D, codebook_size=8, decay=0.5, dead_threshold=0.0).train()
    z = x.T.unsqueeze(0)  # [1, D, N]
    for _ in range(20):
        q.quantize(z)
    err = torch.cdist(centres, q.codebook()).min(1).values
    assert float(err.max()) < 0.1


def test_dead_codes_are_restarted_on_batch_vectors():
    torch.manual_seed(0)
    _, x = _clusters(n_centres=4, per=64)
    q = VQ(D, codebook_size=16, init="random", dead_threshold=2.0, decay=0.5).train()
    z = x.T.unsqueeze(0)
    q.quantize(z)
    q.embed[5] = 1e3  # a code far from every input is never used ...
    q.cluster_size[5] = 0.0
    q.quantize(z)
    assert float(q.embed[5].abs().max()) < 100, "... so it is restarted on an input vector"


def test_rvq_stages_reduce_error_and_prefixes_decode():
    torch.manual_seed(0)
    q = RVQ(D, n_stages=4, codebook_size=16).train()
    z = torch.randn(2, D, 200)
    for _ in range(5):
        q.quantize(z)
    q.eval()
    z_hat, idx = q.quantize(z)
    assert idx.shape == (2, 4, 200) and q.bits_per_frame == 16.0
    assert torch.allclose(q.dequantize(idx), z_hat, atol=1e-6)
    errs = [float((q.dequantize(idx[:, :k]) - z).square().mean()) for k in range(1, 5)]
    assert errs == sorted(errs, reverse=True), errs
    q.set_active_stages(2)
    assert q.codebook_sizes == (16, 16) and q.quantize(z)[1].shape == (2, 2, 200)
    with pytest.raises(ValueError, match=r"\[1, 4\]"):
        q.set_active_stages(5)


def test_rvq_stage_dropout_samples_prefixes():
    torch.manual_seed(0)
    q = RVQ(D, n_stages=4, codebook_size=8, stage_dropout=1.0).train()
    z = torch.randn(1, D, 64)
    used = {q.quantize(z)[1].shape[1] for _ in range(40)}
    assert used == {1, 2, 3, 4}
    q.eval()
    assert q.quantize(z)[1].shape[1] == 4


def test_vq_build_errors():
    with pytest.raises(ValueError, match="unknown init 'kmean'"):
        build_quantizer("vq", D, init="kmean")
    with pytest.raises(ValueError, match="codebook_size"):
        build_quantizer("vq", D, codebook_size=1)
    with pytest.raises(ValueError, match="n_stages"):
        build_quantizer("rvq", D, n_stages=0)
