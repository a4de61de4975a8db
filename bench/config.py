"""YAML configuration parsed into validated frozen dataclasses.

Config is data: every YAML mapping is checked against the dataclass it becomes.
An unknown key, a missing required key or a wrong type is a `ConfigError` that
names the file and the key path, raised before any work starts.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml


class ConfigError(ValueError):
    """A configuration file is malformed; the message names file and key."""


def load_yaml(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "a boolean",
          type(None): "null", dict: "a mapping"}


def _type_name(tp: Any) -> str:
    if tp in _NAMES:
        return _NAMES[tp]
    if typing.get_origin(tp) is tuple:
        return "a list"
    return getattr(tp, "__name__", str(tp))


def _check_value(value: Any, tp: Any, where: str) -> Any:
    """Check `value` against annotation `tp`; return it (lists become tuples)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        non_null = [a for a in args if a is not type(None)]
        if len(non_null) == 1 and value is not None and (
                dataclasses.is_dataclass(non_null[0]) or typing.get_origin(non_null[0]) is not None):
            return _check_value(value, non_null[0], where)   # keep the inner, precise message
        errors = []
        for arg in args:
            try:
                return _check_value(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{where}: expected {' or '.join(_type_name(a) for a in args)}, "
                          f"got {type(value).__name__} {value!r}")
    if tp is type(None):
        if value is not None:
            raise ConfigError(f"{where}: expected null, got {value!r}")
        return None
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__} {value!r}")
        item_tp = args[0] if args else Any
        return tuple(_check_value(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping, typing.Mapping) or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__} {value!r}")
        return dict(value)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {type(value).__name__} {value!r}")
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise ConfigError(f"{where}: expected {tp.__name__}, got {type(value).__name__} {value!r}")
        return value
    raise TypeError(f"unsupported config annotation {tp!r} at {where}")


def from_dict(cls: type, data: Any, where: str) -> Any:
    """Build dataclass `cls` from a YAML mapping, validating keys and types.

    Args:
        cls: a dataclass type whose fields are the allowed keys.
        data: the parsed YAML value.
        where: "file: key.path" prefix for error messages.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__} {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(fields)}")
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _check_value(data[name], hints[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where}: missing required key {name!r}")
    return cls(**kwargs)


@dataclass(frozen=True)
class WeightsSpec:
    """Where a checkpoint comes from.

    Attributes:
        path: local file (relative paths are relative to the repository root).
        env: environment variable that may hold the path (takes precedence).
        sha256: expected hash of the file; a mismatch is an error.
        source: how the library itself would fetch it ("dac", "encodec",
            "huggingface:<repo>/<file>", "none"); used in the help message.
    """

    path: str | None = None
    env: str | None = None
    sha256: str | None = None
    source: str = "none"


@dataclass(frozen=True)
class CodecSpec:
    """One codec operating point from `codecs/*.yaml`."""

    name: str
    family: str
    params: dict = field(default_factory=dict)
    weights: WeightsSpec | None = None
    description: str = ""
    source_file: str = ""


@dataclass(frozen=True)
class DatasetSpec:
    """One named test set from `datasets.yaml`.

    Attributes:
        name: registry name.
        glob: pattern of audio files under the root (sorted; recursive with **).
        root: folder; relative paths are relative to the repository root.
        root_env: environment variable that overrides `root` (user-provided sets).
        bundled: files ship in `data/` and are verified against
            `data/MANIFEST.sha256` when the dataset is loaded.
        limit: use only the first `limit` files (sorted order).
    """

    name: str
    glob: str
    root: str | None = None
    root_env: str | None = None
    bundled: bool = False
    description: str = ""
    licence: str = ""
    limit: int | None = None


@dataclass(frozen=True)
class SuiteSpec:
    """A suite: codecs x datasets x metrics, from `suites/<name>.yaml`."""

    name: str
    codecs: tuple[str, ...]
    datasets: tuple[str, ...]
    metrics: tuple[str, ...]
    description: str = ""
    seed: int = 0
    max_items: int | None = None
    token_stats: bool = True
    listen: tuple[str, ...] = ()   # listening-page items, "dataset/item_id"; () = default choice
    compare_kbps: tuple[float, ...] = ()   # `report` also writes compare.md at these kbit/s
    reference: str | None = None           # ... against this group (default: best per metric)
    grid_ablation: bool = False            # `report` also writes ablation.md (Q2D2 grid x levels)
    seed_reference: str | None = None      # `report` also writes seeds.md (replicates vs this group)
