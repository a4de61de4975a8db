"""Code-space distortion under bit flips: the quantizer geometry alone, no decoder.

For an implicit codebook (FSQ, Q2D2) the code of a frame is a point of a fixed
lattice in the *scaled* space (FSQ level spacing 1; Q2D2 grid coordinates of
`bench.quantizers.grids`). How far a corrupted codeword moves that point
depends only on the geometry and the packing, not on any trained weight, so it
can be measured for every shipped quantizer configuration before (or without)
its checkpoint: the decoder's job is then to map that displacement to audio.

Codes are drawn uniformly per field (seeded): an assumption, stated in the
report; trained codecs use their codebooks unevenly (see the token statistics).
The measure is the RMS displacement of a frame's code point, in scaled units:
sqrt(mean over frames of the squared Euclidean distance between the sent and
received points, over all dimensions).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.robustness.channel import binary_symmetric_channel, channel_seed
from bench.robustness.packing import (FieldGeometry, mixed_radix_join, mixed_radix_split,
                                      applicable_schemes, field_geometry, make_packing)


@dataclass(frozen=True)
class QuantizerGeometry:
    """A named implicit-codebook configuration: its fields' geometry."""

    name: str
    fields: tuple[FieldGeometry, ...]
    rung_bps: float = 0.0

    @property
    def field_sizes(self) -> tuple[int, ...]:
        return tuple(_n_values(g) for g in self.fields)


def _n_values(g: FieldGeometry) -> int:
    if g.kind == "line":
        return g.levels[0]
    from bench.quantizers.grids import point_count
    return point_count(g.kind, *g.levels)


def _coords(g: FieldGeometry) -> np.ndarray:
    if g.kind == "line":
        return np.arange(g.levels[0], dtype=np.float64)[:, None]
    from bench.quantizers.grids import Grid
    return Grid(g.kind, *g.levels).points.numpy()


def shipped_geometries(folder: str | Path) -> list[QuantizerGeometry]:
    """Implicit-codebook configs among the training configs ``<folder>/*.yaml`` (base excluded)."""
    from bench.train.config import load_train_config
    out = []
    for path in sorted(Path(folder).glob("*.yaml")):
        if path.stem == "base":
            continue
        cfg = load_train_config(path)
        geo = field_geometry(dict(cfg.quantizer))
        if geo is not None:
            out.append(QuantizerGeometry(cfg.name, geo[0], float(cfg.rung_bps)))
    return out


def displacement(geometry: QuantizerGeometry, scheme: str, p: float, seed: int, n_frames: int = 10000,
                 rule: str = "clamp") -> dict:
    """RMS code-point displacement (scaled units) and out-of-range rate for one packing and p."""
    sizes = geometry.field_sizes
    size = int(np.prod(sizes))
    rng = np.random.default_rng(channel_seed("codespace", geometry.name, seed))
    digits = np.stack([rng.integers(0, n, n_frames) for n in sizes], -1)      # [F, fields]
    index = mixed_radix_join(digits, sizes)[None, None, :]                   # [1, 1, F]
    pk = make_packing(scheme, (size,), (sizes,), (geometry.fields,), rule)
    out = binary_symmetric_channel(pk.pack(index), p, channel_seed(geometry.name, scheme, seed))
    got = pk.unpack(out.bits)
    back = mixed_radix_split(got.indices[0, 0], sizes)                       # [F, fields]
    sq = np.zeros(n_frames)
    for i, g in enumerate(geometry.fields):
        c = _coords(g)
        sq += np.square(c[back[:, i]] - c[digits[:, i]]).sum(-1)
    return {"quantizer": geometry.name, "rung_bps": geometry.rung_bps, "packing": scheme, "p": float(p), "seed": int(seed),
            "bits_per_frame": pk.bits_per_frame, "rms_displacement": float(np.sqrt(sq.mean())),
            "frames_changed": float(np.mean(sq > 0)), "flip_rate": out.flip_rate,
            "oor_rate": got.n_out_of_range / got.n_symbols}


def codespace_rows(geometries: list[QuantizerGeometry], ps, seeds, rule: str = "clamp") -> list[dict]:
    """`displacement` for every geometry, applicable packing, p and seed."""
    rows = []
    for geo in geometries:
        sizes = geo.field_sizes
        for scheme in applicable_schemes((int(np.prod(sizes)),), (sizes,), (geo.fields,)):
            for p in ps:
                for seed in seeds:
                    rows.append(displacement(geo, scheme, p, seed, rule=rule))
    return rows


def summarise_codespace(df):
    """Per (rung, quantizer, packing, p): mean over seeds and a 95% bootstrap CI over seeds,
    in the column layout of `report.summarise_channel` (codec = quantizer)."""
    import pandas as pd
    from bench.statistics import bootstrap_ci
    out = []
    for (rung, q, packing, p), g in df.groupby(["rung_bps", "quantizer", "packing", "p"], sort=True):
        ci = bootstrap_ci(g["rms_displacement"].to_numpy(), n_resamples=2000, seed=0)
        out.append({"rung_bps": rung, "codec": q, "packing": packing, "metric": "rms_displacement",
                    "p": p, "n": len(g), "mean": ci.mean, "lo": ci.lo, "hi": ci.hi, "n_bad": 0,
                    "bits_per_frame": int(g["bits_per_frame"].max()),
                    "flip_rate": g["flip_rate"].mean(), "oor_rate": g["oor_rate"].mean()})
    return pd.DataFrame(out)
