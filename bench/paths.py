"""Where the repository's data folders are.

The harness is used from a clone (`pip install -e .`), so data folders are
found relative to the package; `BENCH_ROOT` overrides for other layouts.
"""
from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    env = os.environ.get("BENCH_ROOT")
    return Path(env).resolve() if env else Path(__file__).resolve().parent.parent


def resolve(path: str | Path) -> Path:
    """Absolute path; relative paths are taken from the repository root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else repo_root() / p


def portable(path: str | Path) -> Path:
    """`path` resolved, and relative to the repository root when it lies inside it: how reports,
    catalogs and configs name files without naming this machine."""
    full = Path(path).resolve()
    return full.relative_to(repo_root()) if full.is_relative_to(repo_root()) else full
