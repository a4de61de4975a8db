"""Checkpoints: the resumable training state and the shipped fp16 export.

- ``state.pt`` (run folder only, fp32 + optimiser): written atomically every
  `ckpt_every` steps; `train` resumes from it.
- ``<name>.pt`` (shipped): ``{"format", "config", "step", "state_dict"}`` with
  floating tensors in fp16; the model card beside it records its sha256.

`build_model` / `load_export` are shared by the training loop and the codec
adapter, so a checkpoint is always rebuilt from the config it was trained with.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from bench.train.config import TrainConfig
from bench.train.model import TrainableCodec

EXPORT_FORMAT = "bench-trained-codec/1"


def build_model(cfg: TrainConfig) -> TrainableCodec:
    """Encoder + the config's quantizer + decoder, freshly initialised."""
    from bench.quantizers import build_quantizer_from_config
    quantizer = build_quantizer_from_config(dict(cfg.quantizer), cfg.model.latent_dim)
    return TrainableCodec(cfg.model, quantizer)


def atomic_save(obj: Any, path: Path) -> None:
    """torch.save to a temporary file, then rename (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def fp16_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """State dict with floating tensors cast to fp16 (integer buffers kept)."""
    return {k: (v.detach().half() if v.is_floating_point() else v.detach()).cpu().contiguous()
            for k, v in model.state_dict().items()}


def export(model: TrainableCodec, cfg: TrainConfig, step: int, path: Path) -> None:
    atomic_save({"format": EXPORT_FORMAT, "config": cfg.to_dict(), "step": step,
                 "state_dict": fp16_state_dict(model)}, path)


def _architecture(config: dict) -> dict:
    return {"model": config.get("model"), "quantizer": config.get("quantizer")}


def load_export(path: Path, cfg: TrainConfig, device: torch.device | str = "cpu") -> tuple[TrainableCodec, int]:
    """Rebuild the model of `cfg` and load an exported checkpoint into it (fp32).

    Returns:
        (model in eval mode, training steps recorded in the file).

    Raises:
        ValueError: not an export of this format, or trained with another
            model/quantizer block than `cfg` (both are named).
    """
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(blob, dict) or blob.get("format") != EXPORT_FORMAT:
        raise ValueError(f"{path}: not a trained-codec checkpoint (expected format {EXPORT_FORMAT!r})")
    want, got = _architecture(cfg.to_dict()), _architecture(blob["config"])
    if want != got:
        diff = sorted(k for k in want if want[k] != got[k])
        raise ValueError(f"{path}: checkpoint was trained with another architecture than "
                         f"{cfg.source_file or cfg.name} (differs in {diff}): "
                         f"checkpoint {[got[k] for k in diff]} vs config {[want[k] for k in diff]}")
    model = build_model(cfg)
    try:
        model.load_state_dict(blob["state_dict"])
    except RuntimeError as exc:
        raise ValueError(f"{path}: weights do not fit the model of {cfg.source_file or cfg.name}: {exc}") from exc
    return model.float().to(device).eval(), int(blob["step"])
