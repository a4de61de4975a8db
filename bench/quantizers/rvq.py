"""Residual vector quantization (RVQ): N stages of VQ, each coding the previous residual.

Stage i quantizes ``z - sum_{j<i} q_j`` with its own codebook (Encodec, DAC),
so the codes are N streams [B, N, F] and bits per frame = N log2 K.

Stage dropout (Encodec's "quantizer dropout"): with probability
`stage_dropout`, a training batch uses only the first n ~ U{1..N} stages, so
one model learns to decode from any prefix of its streams and serves several
bitrates. At evaluation, `set_active_stages(n)` selects the bitrate; the
quantizer then reports n streams in `codebook_sizes`.
"""
from __future__ import annotations

import torch
from torch import nn

from bench.quantizers.base import Quantizer, check_indices, check_latent
from bench.quantizers.vq import VQ
from bench.registry import QUANTIZERS


@QUANTIZERS.register("rvq")
class RVQ(Quantizer):
    """N residual VQ stages.

    Args:
        input_dim: D, the encoder dimension.
        n_stages: N codebooks.
        codebook_size: K codes per stage.
        stage_dropout: probability that a training batch uses a random prefix of the stages.
        **vq_params: passed to every stage's `VQ` (codebook_dim, cosine, ema, decay,
            commitment, init, kmeans_iters, dead_threshold).
    """

    def __init__(self, input_dim: int, n_stages: int = 8, codebook_size: int = 1024,
                 stage_dropout: float = 0.0, codebook_dim: int | None = None, cosine: bool = False,
                 ema: bool = True, decay: float = 0.99, commitment: float = 0.25,
                 init: str = "kmeans", kmeans_iters: int = 10, dead_threshold: float = 1.0):
        super().__init__()
        if isinstance(n_stages, bool) or int(n_stages) != n_stages or n_stages < 1:
            raise ValueError(f"rvq: n_stages must be an integer >= 1, got {n_stages!r}")
        if not 0.0 <= stage_dropout <= 1.0:
            raise ValueError(f"rvq: stage_dropout is a probability, got {stage_dropout}")
        self.input_dim = int(input_dim)
        self.n_stages = int(n_stages)
        self.codebook_size = int(codebook_size)
        self.stage_dropout = float(stage_dropout)
        self.field_sizes = None
        self.stages = nn.ModuleList(
            VQ(input_dim, codebook_size, codebook_dim=codebook_dim, cosine=cosine, ema=ema,
               decay=decay, commitment=commitment, init=init, kmeans_iters=kmeans_iters,
               dead_threshold=dead_threshold)
            for _ in range(self.n_stages))
        self.active_stages = self.n_stages
        self._aux: torch.Tensor | None = None

    @property
    def codebook_sizes(self) -> tuple[int, ...]:  # type: ignore[override]
        """K per active stage."""
        return (self.codebook_size,) * self.active_stages

    def set_active_stages(self, n: int) -> "RVQ":
        """Use the first n stages for `quantize` and the reported bitrate."""
        if not 1 <= n <= self.n_stages:
            raise ValueError(f"rvq: active stages must lie in [1, {self.n_stages}], got {n}")
        self.active_stages = int(n)
        return self

    def _stages_for_batch(self) -> int:
        if self.training and self.stage_dropout > 0 and float(torch.rand(())) < self.stage_dropout:
            return int(torch.randint(1, self.n_stages + 1, ()))
        return self.active_stages

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_latent(z, self.input_dim)
        residual, z_hat = z, torch.zeros_like(z)
        codes, loss = [], z.new_zeros(())
        for stage in self.stages[:self._stages_for_batch()]:
            q, idx = stage.quantize(residual)
            residual = residual - q.detach()
            z_hat = z_hat + q
            codes.append(idx)
            loss = loss + stage.aux_loss()
        self._aux = loss
        return z_hat, torch.cat(codes, 1)

    def dequantize(self, indices: torch.Tensor) -> torch.Tensor:
        """Indices [B, k, F] with k <= N: the sum of the first k stages' codes."""
        check_indices(indices, (self.codebook_size,) * self.n_stages)
        return sum(stage.dequantize(indices[:, i:i + 1]) for i, stage in enumerate(self.stages[:indices.shape[1]]))

    def aux_loss(self) -> torch.Tensor:
        return self._aux if self._aux is not None else self._zero()

    def extra_repr(self) -> str:
        return (f"n_stages={self.n_stages}, codebook_size={self.codebook_size}, "
                f"stage_dropout={self.stage_dropout}, active_stages={self.active_stages}, "
                + super().extra_repr())
