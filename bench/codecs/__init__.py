"""Codec adapters and the catalog of codec definitions in `codecs/*.yaml`.

A codec *family* (pcm, mulaw, dac, encodec, neucodec, trained) is an adapter
class in `CODEC_FAMILIES`; a codec *definition* (one operating point, e.g.
``dac-16k-12q``) is a `CodecSpec` in `CODECS`, loaded from the YAML files.
Family modules are imported lazily so that listing codecs never loads a model.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import torch

from bench.config import CodecSpec, ConfigError, from_dict, load_yaml
from bench.paths import repo_root
from bench.registry import CODEC_FAMILIES, CODECS, load_plugins

# family name -> module that registers it (imported on first use)
FAMILY_MODULES = {
    "pcm": "bench.codecs.reference",
    "mulaw": "bench.codecs.reference",
    "dac": "bench.codecs.dac",
    "encodec": "bench.codecs.encodec_adapter",
    "neucodec": "bench.codecs.neucodec_adapter",
    "trained": "bench.codecs.trained",
}


def family_class(family: str) -> Any:
    """The adapter class of a family, importing its module on first use."""
    load_plugins()
    if family not in CODEC_FAMILIES and family in FAMILY_MODULES:
        importlib.import_module(FAMILY_MODULES[family])
    if family not in CODEC_FAMILIES:
        # give the did-you-mean error over every family we know of
        from bench.registry import UnknownNameError
        raise UnknownNameError("codec family", family, sorted(set(FAMILY_MODULES) | set(CODEC_FAMILIES)))
    return CODEC_FAMILIES.get(family)


def load_codec_specs(folder: str | Path | None = None) -> list[CodecSpec]:
    """Parse every `codecs/*.yaml` into `CodecSpec`s and register them in `CODECS`."""
    load_plugins()
    folder = Path(folder) if folder else repo_root() / "codecs"
    specs: list[CodecSpec] = []
    for path in sorted(folder.glob("*.yaml")):
        raw = load_yaml(path)
        if not isinstance(raw, dict) or set(raw) != {"codecs"} or not isinstance(raw["codecs"], list):
            raise ConfigError(f"{path}: expected a mapping with one key 'codecs' holding a list")
        for i, entry in enumerate(raw["codecs"]):
            where = f"{path}: codecs[{i}]"
            if isinstance(entry, dict):
                entry = {**entry, "source_file": str(path.relative_to(folder.parent))
                         if folder.parent in path.parents else str(path)}
            spec = from_dict(CodecSpec, entry, where)
            if spec.family not in FAMILY_MODULES and spec.family not in CODEC_FAMILIES:
                from bench.registry import UnknownNameError
                raise ConfigError(f"{where}: {UnknownNameError('codec family', spec.family, sorted(FAMILY_MODULES))}")
            if spec.name in CODECS and CODECS.get(spec.name).source_file != spec.source_file:
                raise ConfigError(f"{where}: codec name {spec.name!r} also defined in "
                                  f"{CODECS.get(spec.name).source_file}")
            CODECS.add(spec.name, spec, replace=True)
            specs.append(spec)
    return specs


def get_spec(name: str) -> CodecSpec:
    if len(CODECS) == 0:
        load_codec_specs()
    return CODECS.get(name)


def build_codec(spec: CodecSpec, device: torch.device | None = None) -> Any:
    """Instantiate a codec (loads weights; may raise `WeightsUnavailable`)."""
    return family_class(spec.family).from_spec(spec, device or torch.device("cpu"))


def describe_spec(spec: CodecSpec) -> dict[str, Any]:
    """Rates, bitrate and weights status of a definition, without loading weights."""
    cls = family_class(spec.family)
    info = dict(cls.describe_spec(spec))
    info["weights"] = cls.weights_status(spec)
    info["family"] = spec.family
    info["name"] = spec.name
    return info
