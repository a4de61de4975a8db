"""Deliberately degraded checkpoints, to prove that a regression check catches a worse codec.

`add_decoder_noise` copies a trained-codec export (`bench.train.checkpoint`)
with Gaussian noise added to every floating decoder tensor, leaving the
encoder, the quantizer and therefore every rate unchanged: a check of the copy
against the original must say "regressed". Run it once on your own pipeline::

    python -c "from bench.regress.degrade import add_decoder_noise as f; f('a.pt', 'noisy.pt', 0.3)"
    python run_bench.py regress --baseline a.pt --candidate noisy.pt   # must exit 1
"""
from __future__ import annotations

from pathlib import Path

import torch

DECODER_PREFIX = "decoder."


def add_decoder_noise(src: str | Path, dst: str | Path, relative_std: float, seed: int = 0,
                      prefix: str = DECODER_PREFIX) -> int:
    """Write a copy of checkpoint `src` to `dst` with noisy decoder weights.

    Each floating tensor whose name starts with `prefix` gets
    ``N(0, (relative_std * rms(tensor))^2)`` noise (computed in fp32, stored
    back in the tensor's dtype); everything else is copied unchanged.

    Args:
        src: exported checkpoint (``{"format", "config", "step", "state_dict"}``).
        dst: output path.
        relative_std: noise level relative to each tensor's RMS (> 0).
        seed: noise generator seed.
        prefix: state-dict prefix of the perturbed tensors.

    Returns:
        Number of tensors perturbed.

    Raises:
        ValueError: non-positive level, or no tensor matches `prefix`.
    """
    if relative_std <= 0:
        raise ValueError(f"relative_std must be > 0, got {relative_std}")
    blob = torch.load(src, map_location="cpu", weights_only=True)
    gen = torch.Generator().manual_seed(seed)
    state, n = dict(blob["state_dict"]), 0
    for name in sorted(state):
        t = state[name]
        if name.startswith(prefix) and t.is_floating_point():
            x = t.float()
            rms = float(x.pow(2).mean().sqrt())
            state[name] = (x + torch.randn(x.shape, generator=gen) * relative_std * rms).to(t.dtype)
            n += 1
    if n == 0:
        raise ValueError(f"{src}: no floating tensor named {prefix}*; not a trained-codec export?")
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save({**blob, "state_dict": state}, dst)
    return n
