"""Shared machinery of the adapters for pretrained codecs (DAC, Encodec, NeuCodec).

Each adapter declares, from its YAML params alone, an `OperatingPoint` (sample
rates, frame rate, codebooks) and a `WeightsPlan` (where the library caches its
checkpoint and how to fetch it), so `run_bench.py list` shows bitrates and
weights status without importing the codec library or loading a model.
`from_spec` then resolves and hashes the checkpoint (`bench.weights`), builds
the model once per process for all operating points that share it, and
returns the adapter. Decoded audio is cut or zero-filled to the expected
length by `PretrainedCodec.fit_output`, which counts what it did.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from bench import align, bitrate
from bench.codec import CodecBase, Codes
from bench.config import CodecSpec, ConfigError
from bench.weights import load_checkpoint, resolve_weights, verify_checksum, weights_status


@dataclass(frozen=True)
class OperatingPoint:
    """What a codec definition promises, computed from its params only.

    Attributes:
        sample_rate: input rate (Hz).
        frame_rate: frames per second (Hz).
        codebook_sizes: size of each stream's codebook.
        output_sample_rate: decoded rate (Hz); None means `sample_rate`.
        field_sizes: FSQ levels per stream for implicit codebooks, else None.
    """

    sample_rate: int
    frame_rate: float
    codebook_sizes: tuple[int, ...]
    output_sample_rate: int | None = None
    field_sizes: tuple[tuple[int, ...], ...] | None = None

    def describe(self) -> dict[str, Any]:
        """The listing fields: rates (Hz), codebooks (and FSQ field sizes when
        implicit), nominal bitrate (bits/s) and token rate (tokens/s)."""
        info = {"sample_rate": self.sample_rate,
                "output_sample_rate": self.output_sample_rate or self.sample_rate,
                "frame_rate": self.frame_rate,
                "codebook_sizes": self.codebook_sizes,
                "nominal_bitrate": bitrate.nominal_bitrate(self.codebook_sizes, self.frame_rate),
                "token_rate": bitrate.token_rate(len(self.codebook_sizes), self.frame_rate)}
        if self.field_sizes is not None:
            info["field_sizes"] = self.field_sizes
        return info


@dataclass(frozen=True)
class WeightsPlan:
    """Where one checkpoint is expected when the YAML names none.

    Attributes:
        what: human name for messages ("DAC 16 kHz (dac-16k-12q)").
        cache_paths: the library's own cache locations, most likely first.
        fetch_hint: how to fetch it with the library's tools on a networked machine.
    """

    what: str
    cache_paths: tuple[Path, ...]
    fetch_hint: str


def read_params(spec: CodecSpec, types: dict[str, type | tuple[type, ...]],
                required: Sequence[str], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate a spec's ``params`` against allowed keys and types.

    Raises:
        ConfigError: naming the YAML file, the codec and the offending key.
    """
    where = f"{spec.source_file or '<codec spec>'}: codec {spec.name!r}"
    unknown = sorted(set(spec.params) - set(types))
    if unknown:
        raise ConfigError(f"{where}: unknown params {unknown}; allowed: {sorted(types)}")
    out = dict(defaults or {})
    for key, tp in types.items():
        if key not in spec.params:
            if key in required:
                raise ConfigError(f"{where}: missing param {key!r}")
            continue
        value = spec.params[key]
        if isinstance(value, bool) or not isinstance(value, tp):
            raise ConfigError(f"{where}: param {key!r} must be "
                              f"{getattr(tp, '__name__', tp)}, got {value!r}")
        out[key] = value
    return out


def choose(spec: CodecSpec, key: str, value: Any, allowed: Sequence[Any]) -> Any:
    """Return `value` if it is one of `allowed`, else a ConfigError listing them."""
    if value not in allowed:
        raise ConfigError(f"{spec.source_file or '<codec spec>'}: codec {spec.name!r}: "
                          f"param {key}={value!r} is not supported; allowed: {list(allowed)}")
    return value


def load_state_checked(module: torch.nn.Module, state: dict[str, torch.Tensor], what: str,
                       ignore_missing: Callable[[str], bool] = lambda key: False,
                       assign: bool = False) -> None:
    """Load a state dict, turning any key or shape mismatch into one clear error.

    Args:
        module: the freshly built architecture.
        state: the checkpoint's tensors.
        what: checkpoint description for the message (file and model).
        ignore_missing: keys the module may keep from its own initialisation.
        assign: adopt the checkpoint's tensors instead of copying (for a
            module built on the meta device, which skips random initialisation).

    Raises:
        ValueError: the checkpoint belongs to another architecture; the message
            counts missing, unexpected and mis-shaped tensors with examples.
    """
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{what}: expected a state dict of tensors, got {type(state).__name__}")
    own = module.state_dict()
    missing = [k for k in own if k not in state and not ignore_missing(k)]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
              for k in own if k in state and state[k].shape != own[k].shape]
    problems = [f"{len(v)} {name} (e.g. {', '.join(v[:3])})"
                for name, v in (("missing tensors", missing), ("unexpected tensors", unexpected),
                                ("shape mismatches, file vs model", shapes)) if v]
    if problems:
        raise ValueError(f"{what}: checkpoint does not fit the architecture: " + "; ".join(problems)
                         + ". Is it a checkpoint of another model?")
    module.load_state_dict(state, strict=False, assign=assign)


_MODELS: dict[tuple, tuple[torch.nn.Module, tuple[str, ...]]] = {}


def shared_model(key: tuple, build: Callable[[], tuple[torch.nn.Module, list[str]]]
                 ) -> tuple[torch.nn.Module, list[str]]:
    """Build a model once per process per key; operating points of one model share it.

    Args:
        key: identifies the model (family, model, checkpoint path and hash, device).
        build: returns (module, notes about loading it).

    Returns:
        (module in eval mode, its loading notes), the same objects for equal keys.
    """
    if key not in _MODELS:
        module, notes = build()
        _MODELS[key] = (module.eval(), tuple(notes))
    module, notes = _MODELS[key]
    return module, list(notes)


def clear_model_cache() -> None:
    """Release every shared model (for example between codecs on a small GPU)."""
    _MODELS.clear()


@dataclass(eq=False)
class PretrainedCodec(CodecBase):
    """Base of the adapters of pretrained codecs.

    Subclasses implement `operating_point`, `weights_plan`, `from_spec`,
    `encode` and `decode`; this class gives the listing methods, weights
    resolution, code checks and output-length fitting.
    """

    model: Any = field(default=None, repr=False)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    alignment: align.AlignmentTally = field(default_factory=align.AlignmentTally)

    @classmethod
    def operating_point(cls, spec: CodecSpec) -> OperatingPoint:
        raise NotImplementedError

    @classmethod
    def weights_plan(cls, spec: CodecSpec) -> WeightsPlan:
        raise NotImplementedError

    @classmethod
    def describe_spec(cls, spec: CodecSpec) -> dict[str, Any]:
        """Rates, codebooks, nominal bitrate and token rate, without loading anything."""
        return cls.operating_point(spec).describe()

    @classmethod
    def weights_status(cls, spec: CodecSpec) -> str:
        """"present: <path>" or "missing: <where to put it>"; no hashing, no loading."""
        plan = cls.weights_plan(spec)
        return weights_status(spec.weights, plan.cache_paths, plan.what,
                              fetch_hint=plan.fetch_hint, config_file=spec.source_file)

    @classmethod
    def locate_weights(cls, spec: CodecSpec) -> tuple[Path, str]:
        """Resolve and verify the checkpoint: (path, sha256).

        Raises:
            WeightsUnavailable: no file; the message says where to put one.
            ChecksumMismatch: the file's hash differs from the pinned or published one.
        """
        plan = cls.weights_plan(spec)
        path = resolve_weights(spec.weights, plan.cache_paths, plan.what,
                               fetch_hint=plan.fetch_hint, config_file=spec.source_file)
        return path, verify_checksum(path, spec.weights.sha256 if spec.weights else None)

    @classmethod
    def read_checkpoint(cls, path: Path) -> tuple[Any, list[str]]:
        """Load a checkpoint file on the CPU: (contents, notes)."""
        obj, note = load_checkpoint(path)
        return obj, [note] if note else []

    @classmethod
    def create(cls, spec: CodecSpec, model: Any, device: torch.device,
               weights: tuple[Path, str] | None, notes: Sequence[str], **extra: Any) -> Any:
        """Instantiate the adapter for `spec` around a built `model`."""
        op = cls.operating_point(spec)
        codec = cls(name=spec.name, sample_rate=op.sample_rate, frame_rate=op.frame_rate,
                    codebook_sizes=op.codebook_sizes, output_sample_rate=op.output_sample_rate or 0,
                    field_sizes=op.field_sizes, model=model, device=device, **extra)
        if weights is not None:
            path, sha = weights
            codec.weights_sha256[path.name] = sha
            codec.notes.append(f"weights: {path} (sha256 {sha})")
        codec.notes.extend(notes)
        return codec

    def check_codes(self, codes: Codes) -> None:
        """Raise ValueError unless `codes` fit this codec's codebooks."""
        if codes.codebook_sizes != self.codebook_sizes:
            raise ValueError(f"{self.name}: codes have codebooks {codes.codebook_sizes}, "
                             f"this codec uses {self.codebook_sizes}")
        codes.check_range()

    def fit_output(self, wav: torch.Tensor, n_samples: int) -> torch.Tensor:
        """Cut or zero-fill decoded audio to the length matching `n_samples` of input.

        Returns:
            float32 CPU tensor [B, 1, round(n_samples x output_rate / input_rate)].
        """
        target = align.output_length(n_samples, self.sample_rate, self.output_sample_rate)
        out, fix = align.fit_length(wav, target)
        self.alignment.add(fix)
        return out.float().cpu().contiguous()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["alignment"] = self.alignment.as_dict()
        info["device"] = str(self.device)
        return info
