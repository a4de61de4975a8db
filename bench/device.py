"""Device selection in one place.

`BENCH_DEVICE` (cpu, cuda, cuda:1, auto) overrides; the default is "auto":
CUDA when present, else CPU. Tests force CPU through the environment.
"""
from __future__ import annotations

import os

import torch

from bench.provenance import cpu_model


def pick_device(preference: str | None = None) -> torch.device:
    """Return the torch device to run codecs on."""
    pref = (preference or os.environ.get("BENCH_DEVICE") or "auto").lower()
    if pref == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if pref.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {pref!r} requested but CUDA is not available; use cpu or auto")
    return torch.device(pref)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return f"cpu:{cpu_model()} x{os.cpu_count()}"
