"""Vector quantization (VQ) with an explicit learned codebook.

One codebook of K vectors in a d-dimensional code space; each frame is
replaced by its nearest codebook vector (one stream, index in [0, K)).
Options, each a constructor argument:

- ``init``: "kmeans" (Lloyd's algorithm on the first training batch) or
  "random" (K vectors drawn from the first training batch);
- ``ema``: codebook updated by exponential moving averages of the assigned
  vectors (VQ-VAE-2 / Encodec), else learned by gradient with a codebook loss;
- ``dead_threshold``: a code whose EMA usage count falls below this many
  frames is restarted on a random vector of the current batch;
- ``codebook_dim``: factorised low-dimensional codes (DAC / Improved VQGAN):
  learned projections D -> d -> D around the codebook;
- ``cosine``: l2-normalised latents and codes (nearest by cosine similarity).

`aux_loss()` returns ``commitment * ||x - sg(q)||^2`` (plus the codebook loss
``||sg(x) - q||^2`` when not using EMA) of the last `quantize` call.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bench.quantizers.base import Quantizer, check_indices, check_latent, straight_through
from bench.registry import QUANTIZERS

INITS = ("kmeans", "random")


def nearest_code(x: torch.Tensor, codebook: torch.Tensor, chunk: int = 1 << 22) -> torch.Tensor:
    """Index [N] of the nearest (Euclidean) row of codebook [K, d] for each row of x [N, d].

    Chunked so at most `chunk` distances are held at once; ties go to the lowest index.
    """
    c2 = codebook.square().sum(1)
    out = torch.empty(x.shape[0], dtype=torch.int64, device=x.device)
    step = max(1, chunk // codebook.shape[0])
    for s in range(0, x.shape[0], step):
        xs = x[s:s + step]
        d = c2 - 2 * xs @ codebook.T  # ||x||^2 is constant per row
        out[s:s + step] = d.argmin(1)
    return out


def kmeans(x: torch.Tensor, k: int, iters: int) -> torch.Tensor:
    """Lloyd's k-means on x [N, d] -> centres [k, d], seeded by k-means++.

    Empty clusters keep their centre. With fewer than k vectors the centres are
    (jittered) samples of x.
    """
    if x.shape[0] <= k:
        return _sample_rows(x, k)
    centres = kmeans_plus_plus(x, k)
    for _ in range(iters):
        idx = nearest_code(x, centres)
        counts = torch.bincount(idx, minlength=k).to(x.dtype)
        sums = torch.zeros_like(centres).index_add_(0, idx, x)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return centres


def kmeans_plus_plus(x: torch.Tensor, k: int) -> torch.Tensor:
    """k-means++ seeding: each next centre drawn with probability ~ squared distance to the chosen."""
    first = int(torch.randint(x.shape[0], ()))
    centres = [x[first]]
    d2 = (x - x[first]).square().sum(1)
    for _ in range(1, k):
        total = d2.sum()
        i = int(torch.multinomial(d2 / total, 1)) if total > 0 else int(torch.randint(x.shape[0], ()))
        centres.append(x[i])
        d2 = torch.minimum(d2, (x - x[i]).square().sum(1))
    return torch.stack(centres).clone()


def _sample_rows(x: torch.Tensor, k: int) -> torch.Tensor:
    """k rows of x, without replacement when there are enough, plus tiny noise when repeated."""
    if x.shape[0] >= k:
        return x[torch.randperm(x.shape[0], device=x.device)[:k]].clone()
    rows = x[torch.randint(x.shape[0], (k,), device=x.device)]
    return rows + 1e-3 * rows.std().clamp_min(1e-6) * torch.randn_like(rows)


@QUANTIZERS.register("vq")
class VQ(Quantizer):
    """A single-codebook vector quantizer.

    Args:
        input_dim: D, the encoder dimension.
        codebook_size: K codes (bits per frame = log2 K).
        codebook_dim: d of the code space; None or D means no projection.
        cosine: l2-normalise latents and codes.
        ema: update the codebook by EMA (else by gradient).
        decay: EMA decay per training step.
        commitment: weight of the commitment loss.
        init: "kmeans" or "random" (from the first training batch).
        kmeans_iters: Lloyd iterations for init="kmeans".
        dead_threshold: restart codes whose EMA usage (frames) falls below this; 0 disables.
    """

    def __init__(self, input_dim: int, codebook_size: int = 1024, codebook_dim: int | None = None,
                 cosine: bool = False, ema: bool = True, decay: float = 0.99,
                 commitment: float = 0.25, init: str = "kmeans", kmeans_iters: int = 10,
                 dead_threshold: float = 1.0):
        super().__init__()
        if isinstance(codebook_size, bool) or int(codebook_size) != codebook_size or codebook_size < 2:
            raise ValueError(f"vq: codebook_size must be an integer >= 2, got {codebook_size!r}")
        if init not in INITS:
            raise ValueError(f"vq: unknown init {init!r}; allowed: {', '.join(INITS)}")
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"vq: decay must lie in [0, 1), got {decay}")
        self.input_dim = int(input_dim)
        self.codebook_size = int(codebook_size)
        self.codebook_dim = int(codebook_dim or input_dim)
        self.codebook_sizes = (self.codebook_size,)
        self.field_sizes = None
        self.cosine, self.ema, self.decay = cosine, ema, float(decay)
        self.commitment, self.init, self.kmeans_iters = float(commitment), init, int(kmeans_iters)
        self.dead_threshold = float(dead_threshold)
        factorised = self.codebook_dim != self.input_dim
        self.project_in = nn.Linear(self.input_dim, self.codebook_dim) if factorised else nn.Identity()
        self.project_out = nn.Linear(self.codebook_dim, self.input_dim) if factorised else nn.Identity()
        embed = torch.randn(self.codebook_size, self.codebook_dim)
        if ema:
            self.register_buffer("embed", embed)
            self.register_buffer("embed_sum", embed.clone())
        else:
            self.embed = nn.Parameter(embed)
        self.register_buffer("cluster_size", torch.ones(self.codebook_size))  # EMA usage, frames
        self.register_buffer("initialized", torch.tensor(False))
        self._aux: torch.Tensor | None = None

    def codebook(self) -> torch.Tensor:
        """The codes [K, d] as used for search and reconstruction (normalised if cosine)."""
        return F.normalize(self.embed, dim=1) if self.cosine else self.embed

    def _to_code_space(self, z: torch.Tensor) -> torch.Tensor:
        check_latent(z, self.input_dim)
        x = self.project_in(z.transpose(1, 2))
        return F.normalize(x, dim=-1) if self.cosine else x

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self._to_code_space(z)
        b, f, d = x.shape
        flat = x.reshape(b * f, d)
        if self.training and not bool(self.initialized):
            self._initialise(flat.detach())
        idx = nearest_code(flat.detach(), self.codebook().detach())
        if self.training:
            self._update(flat.detach(), idx)
        q = self.codebook()[idx].reshape(b, f, d)
        loss = self.commitment * F.mse_loss(x, q.detach())
        if not self.ema:
            loss = loss + F.mse_loss(x.detach(), q)
        self._aux = loss
        z_hat = self.project_out(straight_through(x, q)).transpose(1, 2)
        return z_hat, idx.reshape(b, 1, f)

    def dequantize(self, indices: torch.Tensor) -> torch.Tensor:
        check_indices(indices, self.codebook_sizes)
        return self.project_out(self.codebook()[indices[:, 0]]).transpose(1, 2)

    def aux_loss(self) -> torch.Tensor:
        return self._aux if self._aux is not None else self._zero()

    @torch.no_grad()
    def _initialise(self, flat: torch.Tensor) -> None:
        centres = (kmeans(flat, self.codebook_size, self.kmeans_iters) if self.init == "kmeans"
                   else _sample_rows(flat, self.codebook_size))
        counts = torch.bincount(nearest_code(flat, centres), minlength=self.codebook_size)
        self.embed.data.copy_(centres)
        self.cluster_size.copy_(counts.to(self.cluster_size.dtype))
        if self.ema:
            self.embed_sum.copy_(centres * self.cluster_size[:, None])
        self.initialized.fill_(True)

    @torch.no_grad()
    def _update(self, flat: torch.Tensor, idx: torch.Tensor) -> None:
        """Track usage; move EMA codes to their cluster means; restart dead codes."""
        counts = torch.bincount(idx, minlength=self.codebook_size).to(flat.dtype)
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        if self.ema:
            sums = torch.zeros_like(self.embed_sum).index_add_(0, idx, flat)
            self.embed_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
            n = self.cluster_size.sum()
            eps = 1e-5  # Laplace smoothing keeps rarely used codes finite
            smoothed = (self.cluster_size + eps) / (n + self.codebook_size * eps) * n
            self.embed.copy_(self.embed_sum / smoothed[:, None])
        dead = self.cluster_size < self.dead_threshold
        if self.dead_threshold > 0 and bool(dead.any()):
            fresh = _sample_rows(flat, int(dead.sum()))
            self.embed.data[dead] = fresh
            self.cluster_size[dead] = self.dead_threshold
            if self.ema:
                self.embed_sum[dead] = fresh * self.dead_threshold

    def extra_repr(self) -> str:
        return (f"codebook_size={self.codebook_size}, codebook_dim={self.codebook_dim}, "
                f"cosine={self.cosine}, ema={self.ema}, init={self.init!r}, " + super().extra_repr())
