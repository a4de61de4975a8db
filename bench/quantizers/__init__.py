"""Quantizers behind one interface (see `base.Quantizer`), registered by name.

Importing this package registers "fsq", "q2d2", "vq" and "rvq" in
`bench.registry.QUANTIZERS`; build them with `build_quantizer` or, from a YAML
mapping such as ``{name: q2d2, grid: rhombic, levels: [9,9,7,7,7,7]}``, with
`build_quantizer_from_config`.
"""
from bench.quantizers.base import Quantizer, QuantizerOutput
from bench.quantizers.build import build_quantizer, build_quantizer_from_config
from bench.quantizers.fsq import FSQ
from bench.quantizers.grids import GRID_KINDS, Grid, brute_force_nearest
from bench.quantizers.q2d2 import Q2D2
from bench.quantizers.rvq import RVQ
from bench.quantizers.vq import VQ

__all__ = ["Quantizer", "QuantizerOutput", "build_quantizer", "build_quantizer_from_config",
           "FSQ", "Q2D2", "VQ", "RVQ", "Grid", "GRID_KINDS", "brute_force_nearest"]
