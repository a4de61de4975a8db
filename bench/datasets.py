"""Named test sets: parsed from `datasets.yaml`, resolved to verified items."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bench.config import ConfigError, DatasetSpec, from_dict, load_yaml
from bench.paths import repo_root, resolve
from bench.registry import DATASETS
from bench.weights import sha256_file  # noqa: F401  (re-exported: one hashing helper)

MANIFEST = "data/MANIFEST.sha256"


class DatasetError(RuntimeError):
    """A dataset cannot be resolved (missing root, manifest mismatch, no files)."""


@dataclass(frozen=True)
class Item:
    """One audio file of a dataset.

    Attributes:
        dataset: dataset name.
        item_id: path relative to the dataset root, without extension.
        path: absolute path.
        sha256: content hash (cache key and provenance).
    """

    dataset: str
    item_id: str
    path: str
    sha256: str


def load_datasets(path: str | Path | None = None) -> list[DatasetSpec]:
    """Parse datasets.yaml and (re)register every set in `DATASETS`."""
    path = Path(path) if path else repo_root() / "datasets.yaml"
    raw = load_yaml(path)
    if not isinstance(raw, dict) or set(raw) != {"datasets"} or not isinstance(raw["datasets"], list):
        raise ConfigError(f"{path}: expected a mapping with one key 'datasets' holding a list")
    specs = []
    for i, entry in enumerate(raw["datasets"]):
        spec = from_dict(DatasetSpec, entry, f"{path}: datasets[{i}]")
        if spec.root is None and spec.root_env is None:
            raise ConfigError(f"{path}: datasets[{i}] ({spec.name}): give 'root' or 'root_env'")
        DATASETS.add(spec.name, spec, replace=True)
        specs.append(spec)
    return specs


@lru_cache(maxsize=1)
def _manifest() -> dict[str, str]:
    path = repo_root() / MANIFEST
    if not path.is_file():
        raise DatasetError(f"{path}: bundled-data manifest missing")
    table = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            table[os.path.normpath(name.strip().lstrip("*"))] = digest
    return table


def dataset_root(spec: DatasetSpec, override: str | None = None) -> Path:
    """Root folder of a dataset: CLI override, then the env variable, then YAML."""
    if override:
        root = resolve(override)
    elif spec.root_env and os.environ.get(spec.root_env):
        root = resolve(os.environ[spec.root_env])
    elif spec.root:
        root = resolve(spec.root)
    else:
        raise DatasetError(
            f"dataset {spec.name!r} has no root: set the environment variable {spec.root_env} "
            f"to its folder, or pass --dataset-root {spec.name}=PATH")
    if not root.is_dir():
        how = f" (from ${spec.root_env})" if spec.root_env and os.environ.get(spec.root_env) else ""
        raise DatasetError(f"dataset {spec.name!r}: root folder {root}{how} does not exist"
                           + (f"; set {spec.root_env} to the right folder" if spec.root_env else ""))
    return root


def resolve_items(name: str, *, root_override: str | None = None, limit: int | None = None,
                  verify: bool = True) -> list[Item]:
    """List a dataset's files, verifying bundled ones against the manifest.

    Raises:
        DatasetError: missing root, no files, or a bundled file whose sha256
            differs from `data/MANIFEST.sha256`.
    """
    if name not in DATASETS:
        load_datasets()
    spec: DatasetSpec = DATASETS.get(name)
    root = dataset_root(spec, root_override)
    paths = sorted(p for p in root.glob(spec.glob) if p.is_file())
    if not paths:
        raise DatasetError(f"dataset {name!r}: no files match {spec.glob!r} under {root}")
    cap = min(x for x in (limit, spec.limit) if x is not None) if (limit or spec.limit) else None
    if cap is not None:
        paths = paths[:cap]
    items = []
    for p in paths:
        digest = sha256_file(p)
        if spec.bundled and verify:
            rel = os.path.normpath(os.path.relpath(p, repo_root() / "data"))
            expected = _manifest().get(rel)
            if expected is None:
                raise DatasetError(f"{p}: not listed in {MANIFEST}")
            if expected != digest:
                raise DatasetError(f"{p}: sha256 {digest[:12]}... does not match {MANIFEST} "
                                   f"({expected[:12]}...); the bundled file was modified")
        item_id = str(p.relative_to(root).with_suffix(""))
        items.append(Item(name, item_id, str(p), digest))
    return items
