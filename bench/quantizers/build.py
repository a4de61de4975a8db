"""Build quantizers by registered name, from keyword arguments or a YAML mapping."""
from __future__ import annotations

import inspect
from typing import Any, Mapping

from bench.config import ConfigError
from bench.quantizers.base import Quantizer
from bench.registry import QUANTIZERS


def quantizer_params(name: str) -> dict[str, Any]:
    """Parameters a registered quantizer accepts (besides input_dim), with defaults."""
    cls = QUANTIZERS.get(name)
    sig = inspect.signature(cls.__init__)
    return {p.name: (None if p.default is inspect.Parameter.empty else p.default)
            for p in list(sig.parameters.values())[1:] if p.name != "input_dim"}


def build_quantizer(name: str, input_dim: int, **params: Any) -> Quantizer:
    """Instantiate the quantizer registered as `name` for an encoder of dimension `input_dim`.

    Raises:
        UnknownNameError: `name` is not registered (the message lists the known names).
        ConfigError: a parameter is not accepted by that quantizer (the message names it).
        ValueError: a parameter value is invalid (for example an odd number of Q2D2 levels).
    """
    cls = QUANTIZERS.get(name)
    allowed = quantizer_params(name)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ConfigError(f"quantizer {name!r}: unknown parameter(s) {unknown}; "
                          f"allowed: {sorted(allowed)}")
    if isinstance(input_dim, bool) or not isinstance(input_dim, int) or input_dim < 1:
        raise ValueError(f"input_dim must be a positive integer, got {input_dim!r}")
    return cls(input_dim, **params)


def build_quantizer_from_config(config: Mapping[str, Any], input_dim: int) -> Quantizer:
    """Build from a mapping with a `name` key and the quantizer's parameters.

    Example: ``{"name": "q2d2", "grid": "rhombic", "levels": [9, 9, 7, 7, 7, 7]}``.
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"quantizer config must be a mapping, got {type(config).__name__} {config!r}")
    if "name" not in config:
        raise ConfigError(f"quantizer config needs a 'name' key (one of {QUANTIZERS.names()}); "
                          f"got keys {sorted(config)}")
    params = {k: v for k, v in config.items() if k != "name"}
    return build_quantizer(config["name"], input_dim, **params)
