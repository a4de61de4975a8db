"""The one quantizer interface, and the small helpers every quantizer shares.

A quantizer sits between a codec's encoder (latent ``z`` of shape [B, D, F]:
batch, encoder dimension, frames) and its decoder:

- ``quantize(z) -> (z_hat [B, D, F], indices [B, K, F])`` with K streams,
- ``dequantize(indices) -> z_hat``,
- ``forward(z) -> QuantizerOutput`` for training (adds the auxiliary loss),
- metadata: ``input_dim``, ``codebook_sizes`` (per stream), ``field_sizes``
  (per stream, the mixed-radix fields of an implicit codebook), ``bits_per_frame``.

Gradients pass the non-differentiable rounding by the straight-through
estimator (`straight_through`), so a quantizer can sit inside a trained codec.

Implicit codebooks (FSQ, Q2D2) are one stream whose index is a mixed-radix
integer over fields (FSQ: one field per dimension; Q2D2: one field per pair).
The **first field is the least significant digit**:
``index = f_0 + N_0 * (f_1 + N_1 * (f_2 + ...))``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from bench import bitrate


@dataclass(frozen=True)
class QuantizerOutput:
    """What `Quantizer.forward` returns.

    Attributes:
        z_hat: quantized latent [B, D, F], carrying straight-through gradients.
        indices: int64 codes [B, K, F].
        aux_loss: scalar tensor to add to the training loss (VQ commitment and
            codebook terms); exactly 0 for FSQ and Q2D2.
    """

    z_hat: torch.Tensor
    indices: torch.Tensor
    aux_loss: torch.Tensor


def straight_through(x: torch.Tensor, x_q: torch.Tensor) -> torch.Tensor:
    """Value of `x_q` (bit-exact), gradient of identity with respect to `x`."""
    return x_q.detach() + (x - x.detach())


def check_latent(z: torch.Tensor, input_dim: int) -> None:
    """Raise ValueError unless `z` is a float tensor [B, input_dim, F]."""
    if z.dim() != 3 or z.shape[1] != input_dim:
        raise ValueError(f"quantizer expects z of shape [B, {input_dim}, F], got {tuple(z.shape)}")
    if not z.is_floating_point():
        raise ValueError(f"quantizer expects a floating point latent, got {z.dtype}")


def check_indices(indices: torch.Tensor, codebook_sizes: Sequence[int]) -> None:
    """Raise ValueError unless `indices` is an integer [B, K, F] within its codebooks."""
    if indices.dim() != 3 or indices.shape[1] > len(codebook_sizes) or indices.shape[1] < 1:
        raise ValueError(f"indices must be [B, K, F] with 1 <= K <= {len(codebook_sizes)}, "
                         f"got {tuple(indices.shape)}")
    if indices.is_floating_point():
        raise ValueError(f"indices must be integers, got {indices.dtype}")
    for k in range(indices.shape[1]):
        stream = indices[:, k]
        if stream.numel() and (int(stream.min()) < 0 or int(stream.max()) >= codebook_sizes[k]):
            raise ValueError(f"stream {k}: indices outside [0, {codebook_sizes[k]})")


def mixed_radix_encode(fields: torch.Tensor, radices: Sequence[int], dim: int = -1) -> torch.Tensor:
    """Combine per-field digits into one integer, first field least significant.

    Args:
        fields: integer tensor whose `dim` axis holds one digit per field.
        radices: the size of each field (len == fields.shape[dim]).
        dim: the field axis.

    Returns:
        int64 tensor with the field axis removed.
    """
    basis = torch.tensor(_basis(radices), dtype=torch.int64, device=fields.device)
    shape = [1] * fields.dim()
    shape[dim] = len(radices)
    return (fields.long() * basis.view(shape)).sum(dim)


def mixed_radix_decode(index: torch.Tensor, radices: Sequence[int], dim: int = -1) -> torch.Tensor:
    """Inverse of `mixed_radix_encode`: split integers into digits along a new `dim` axis."""
    index = index.long()
    digits = []
    for radix in radices:
        digits.append(index % radix)
        index = torch.div(index, radix, rounding_mode="floor")
    return torch.stack(digits, dim=dim)


def _basis(radices: Sequence[int]) -> list[int]:
    basis, acc = [], 1
    for r in radices:
        basis.append(acc)
        acc *= int(r)
    if acc > 2 ** 62:
        raise ValueError(f"implicit codebook of {acc} codes does not fit an int64 index")
    return basis


class Quantizer(nn.Module):
    """Base class: subclasses implement `quantize`, `dequantize` and the metadata.

    Subclasses set `input_dim`, `codebook_sizes` and `field_sizes` in
    ``__init__``. `forward` and the field helpers are shared.
    """

    input_dim: int
    codebook_sizes: tuple[int, ...]
    field_sizes: tuple[tuple[int, ...], ...] | None = None

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Quantize latent z [B, D, F] -> (z_hat [B, D, F], indices int64 [B, K, F])."""
        raise NotImplementedError

    def dequantize(self, indices: torch.Tensor) -> torch.Tensor:
        """Indices [B, K, F] -> z_hat [B, D, F] (equal to `quantize`'s z_hat)."""
        raise NotImplementedError

    def aux_loss(self) -> torch.Tensor:
        """Auxiliary training loss of the last `quantize` call (0 unless overridden)."""
        return self._zero()

    def forward(self, z: torch.Tensor) -> QuantizerOutput:
        z_hat, indices = self.quantize(z)
        return QuantizerOutput(z_hat=z_hat, indices=indices, aux_loss=self.aux_loss())

    def _zero(self) -> torch.Tensor:
        p = next(self.parameters(), None)
        return torch.zeros((), device=p.device if p is not None else None)

    @property
    def n_streams(self) -> int:
        return len(self.codebook_sizes)

    @property
    def bits_per_frame(self) -> float:
        """Nominal bits per frame: sum over streams of log2(codebook size), not rounded up."""
        return bitrate.nominal_bits_per_frame(self.codebook_sizes)

    def _single_field_sizes(self) -> tuple[int, ...]:
        if self.field_sizes is None or len(self.field_sizes) != 1:
            raise ValueError(f"{type(self).__name__} has no single implicit (mixed-radix) codebook")
        return self.field_sizes[0]

    def fields_from_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """Implicit code [B, 1, F] -> per-field digits [B, n_fields, F] (FSQ dims, Q2D2 pairs)."""
        radices = self._single_field_sizes()
        if indices.dim() != 3 or indices.shape[1] != 1:
            raise ValueError(f"expected indices [B, 1, F], got {tuple(indices.shape)}")
        return mixed_radix_decode(indices[:, 0], radices, dim=1)

    def indices_from_fields(self, fields: torch.Tensor) -> torch.Tensor:
        """Per-field digits [B, n_fields, F] -> implicit code [B, 1, F]."""
        radices = self._single_field_sizes()
        if fields.dim() != 3 or fields.shape[1] != len(radices):
            raise ValueError(f"expected fields [B, {len(radices)}, F], got {tuple(fields.shape)}")
        for i, r in enumerate(radices):
            f = fields[:, i]
            if f.numel() and (int(f.min()) < 0 or int(f.max()) >= r):
                raise ValueError(f"field {i}: digits outside [0, {r})")
        return mixed_radix_encode(fields, radices, dim=1).unsqueeze(1)

    def extra_repr(self) -> str:
        return (f"input_dim={self.input_dim}, codebook_sizes={self.codebook_sizes}, "
                f"bits_per_frame={self.bits_per_frame:.4f}")

