"""What `--baseline` and `--candidate` may name: a results file, a codec, or a checkpoint.

- **results**: a ``results.csv`` (or a folder holding one) of already scored
  rows, e.g. the golden baselines in ``reports/golden/speech-16k/``; nothing
  is re-scored. A file with several codecs needs the codec chosen
  (``--baseline-codec``), unless it holds the other side's codec name.
- **codec**: a name from ``codecs/*.yaml``; scored through the suite runner
  (cached, so a second check re-uses every row).
- **checkpoint**: a trained-codec export (``.pt``, see `bench.train.checkpoint`);
  a `CodecSpec` of family ``trained`` is built on the fly, named
  ``<file stem>@<role>``, pinned to the file's sha256, with the training
  config found in this order: the explicit ``--candidate-config``, the model
  card beside the file (``<stem>.json``, key ``config_file``), the other
  side's trained config, ``codecs/trained/<name>.yaml``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.config import CodecSpec, ConfigError, WeightsSpec
from bench.paths import resolve

RESULTS_FILE = "results.csv"


@dataclass(frozen=True)
class Source:
    """One side of the comparison.

    Attributes:
        role: "baseline" or "candidate".
        arg: what the user passed.
        kind: "results", "codec" or "checkpoint".
        results: the results file (kind results).
        spec: the codec to score (kinds codec and checkpoint).
        codec: codec name in the rows; None until chosen from a results file.
        detail: provenance line (file and sha256, or the codec's YAML).
    """

    role: str
    arg: str
    kind: str
    results: Path | None = None
    spec: CodecSpec | None = None
    codec: str | None = None
    detail: str = ""


def _results_path(arg: str) -> Path | None:
    p = resolve(arg)
    if p.is_dir() and (p / RESULTS_FILE).is_file():
        return p / RESULTS_FILE
    if p.suffix == ".csv":
        if not p.is_file():
            raise ConfigError(f"results file {p} does not exist")
        return p
    return None


def _config_for_checkpoint(path: Path, explicit: str | None, other: CodecSpec | None) -> Path:
    tried = []
    candidates: list[tuple[str, Path]] = []
    if explicit:
        p = resolve(explicit)
        if not p.is_file():
            raise ConfigError(f"--candidate-config {explicit}: file not found")
        return p
    card = path.with_suffix(".json")
    if card.is_file():
        try:
            cfg_file = json.loads(card.read_text()).get("config_file")
        except (json.JSONDecodeError, AttributeError):
            cfg_file = None
        if cfg_file:
            candidates += [("model card", card.parent / cfg_file), ("model card", resolve(cfg_file))]
    if other is not None and other.family == "trained" and "config" in other.params:
        candidates.append(("baseline codec", resolve(other.params["config"])))
    candidates.append(("codecs/trained", resolve(f"codecs/trained/{path.stem}.yaml")))
    for what, p in candidates:
        if p.is_file():
            return p
        tried.append(f"{p} ({what})")
    raise ConfigError(f"checkpoint {path}: cannot find its training config; pass --candidate-config "
                      f"<training YAML> (tried: {', '.join(tried)})")


def checkpoint_spec(path: Path, role: str, config: str | None = None,
                    other: CodecSpec | None = None) -> CodecSpec:
    """A family-"trained" `CodecSpec` for an exported checkpoint, pinned to its sha256."""
    from bench.datasets import sha256_file
    if not path.is_file():
        raise ConfigError(f"checkpoint {path} does not exist")
    cfg = _config_for_checkpoint(path, config, other)
    return CodecSpec(name=f"{path.stem}@{role}", family="trained", params={"config": str(cfg)},
                     weights=WeightsSpec(path=str(path), sha256=sha256_file(path)),
                     description=f"{role} checkpoint {path}", source_file=str(path))


def resolve_source(arg: str, role: str, *, codec: str | None = None, config: str | None = None,
                   other: CodecSpec | None = None) -> Source:
    """Classify and validate one `--baseline` / `--candidate` argument.

    Args:
        arg: a results file or folder, a checkpoint path, or a codec name.
        role: "baseline" or "candidate".
        codec: codec to take from a results file (``--<role>-codec``).
        config: training config for a checkpoint (``--candidate-config``).
        other: the other side's spec, whose trained config a checkpoint may share.

    Raises:
        ConfigError: a path that does not exist or a checkpoint without config.
        UnknownNameError: an unknown codec name (with suggestions).
    """
    results = _results_path(arg)
    if results is not None:
        return Source(role, arg, "results", results=results, codec=codec, detail=str(results))
    p = resolve(arg)
    if p.suffix == ".pt" or p.is_file():
        spec = checkpoint_spec(p, role, config, other)
        return Source(role, arg, "checkpoint", spec=spec, codec=spec.name,
                      detail=f"{p} (sha256 {spec.weights.sha256}, config {spec.params['config']})")
    if "/" in arg or arg.endswith((".csv", ".pt")):
        raise ConfigError(f"--{role} {arg}: no such results file, folder or checkpoint")
    from bench.codecs import get_spec
    spec = get_spec(arg)
    return Source(role, arg, "codec", spec=spec, codec=spec.name, detail=spec.source_file)


def select_codec(df: pd.DataFrame, source: Source, hint: str | None) -> str:
    """The codec whose rows a results file contributes.

    Order: the explicit choice; the only codec in the file; `hint` (the other
    side's codec name, also without its ``@role`` suffix) when the file has it.

    Raises:
        ConfigError: the choice is absent or ambiguous (lists the file's codecs).
    """
    codecs = sorted(df["codec"].unique())
    if source.codec is not None:
        if source.codec not in codecs:
            raise ConfigError(f"{source.results}: no rows of codec {source.codec!r}; it has {codecs}")
        return source.codec
    if len(codecs) == 1:
        return codecs[0]
    for name in (hint, hint.split("@")[0] if hint else None):
        if name and name in codecs:
            return name
    raise ConfigError(f"{source.results} holds {len(codecs)} codecs {codecs}; choose one with "
                      f"--{source.role}-codec NAME")
