"""Training recipes: YAML files merged onto one base recipe, parsed into frozen dataclasses.

A model config names its base and overrides only what differs (DAC-style)::

    # codecs/trained/fsq-800.yaml
    base: base.yaml            # relative to this file
    name: fsq-800
    rung_bps: 800
    quantizer: {name: fsq, levels: [4, 4, 4, 4, 4, 4, 4, 4]}

Merging is recursive for mappings; lists and scalars replace the base value;
the ``quantizer`` block is replaced as a whole (its keys differ between
families). Bases may chain. The merged mapping is validated by
`bench.config.from_dict`, so an unknown key is an error naming the file and key.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.config import ConfigError, from_dict, load_yaml
from bench.paths import resolve

REPLACED_WHOLE = ("quantizer",)


@dataclass(frozen=True)
class ModelConfig:
    """Encoder/decoder shape (both work at the frame rate; see `bench.train.model`).

    Attributes:
        sample_rate: Hz.
        hop: samples per frame (frame rate = sample_rate / hop).
        enc_n_fft: analysis window of the encoder's STFT front end (samples).
        dim: channels of the ConvNeXt trunks.
        enc_layers / dec_layers: ConvNeXt blocks in encoder / decoder trunk.
        mlp_ratio: hidden width of a block as a multiple of `dim`.
        kernel: depthwise kernel size (frames).
        latent_dim: encoder output dimension handed to the quantizer.
        upsample: decoder upsampling before the iSTFT head (1 = head at frame rate).
        up_dim / up_layers: channels and blocks after upsampling.
        istft_n_fft: iSTFT window (samples); its hop is hop / upsample.
    """

    sample_rate: int = 16000
    hop: int = 320
    enc_n_fft: int = 640
    dim: int = 192
    enc_layers: int = 4
    dec_layers: int = 6
    mlp_ratio: int = 3
    kernel: int = 7
    latent_dim: int = 64
    upsample: int = 4
    up_dim: int = 96
    up_layers: int = 2
    istft_n_fft: int = 320

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop


@dataclass(frozen=True)
class DataConfig:
    """Training batches: random crops of the training set.

    Attributes:
        dataset: name in datasets.yaml.
        segment_s: crop length (s); rounded down to a multiple of the hop.
        batch_size: crops per step.
        holdout: last N files (sorted order) held out for the validation loss.
        val_segment_s: length of the fixed validation crops (s).
    """

    dataset: str = "train-52min"
    segment_s: float = 1.0
    batch_size: int = 8
    holdout: int = 8
    val_segment_s: float = 2.0


@dataclass(frozen=True)
class LossConfig:
    """Weights and resolutions of the reconstruction losses (no adversarial term)."""

    mel_weight: float = 1.0
    mel_windows: tuple[int, ...] = (256, 512, 1024, 2048)
    mel_bins: tuple[int, ...] = (20, 40, 80, 128)
    stft_weight: float = 1.0
    stft_windows: tuple[int, ...] = (128, 512, 2048)
    wave_weight: float = 0.1
    aux_weight: float = 1.0


@dataclass(frozen=True)
class OptimConfig:
    """AdamW with linear warm-up then cosine decay to `min_lr_ratio * lr`."""

    lr: float = 1.0e-3
    betas: tuple[float, ...] = (0.8, 0.99)
    weight_decay: float = 0.0
    warmup_steps: int = 200
    min_lr_ratio: float = 0.05
    grad_clip: float = 1.0


@dataclass(frozen=True)
class TrainConfig:
    """One trainable codec: recipe + bottleneck.

    Attributes:
        name: model name (checkpoint and card file names).
        rung_bps: the bitrate rung this model is matched to (bits/s).
        quantizer: block for `bench.quantizers.build_quantizer_from_config`.
        seed: seeds initialisation and the batch sampler.
        steps: training steps.
        log_every / val_every / ckpt_every: intervals in steps.
        threads: torch CPU threads (0 = leave torch's default).
    """

    name: str
    quantizer: dict
    rung_bps: float = 0.0
    seed: int = 0
    steps: int = 3000
    log_every: int = 25
    val_every: int = 250
    ckpt_every: int = 250
    threads: int = 0
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    source_file: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("source_file")
        return json.loads(json.dumps(out))   # tuples -> lists

    def hash(self) -> str:
        """sha256 of the canonical JSON of the merged config (source path excluded)."""
        return _sha256_json(self.to_dict())

    def recipe_hash(self) -> str:
        """Hash of everything that defines the trained model except the run length and
        logging/thread settings (RUN_KEYS): a run may resume under another `steps`."""
        return _sha256_json({k: v for k, v in self.to_dict().items() if k not in RUN_KEYS})


RUN_KEYS = ("steps", "log_every", "val_every", "ckpt_every", "threads")


def _sha256_json(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def merge(base: dict, over: dict) -> dict:
    """Recursive merge of mapping `over` onto `base` (lists/scalars and `quantizer` replace)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in REPLACED_WHOLE:
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def load_raw(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict:
    """Read a config YAML and its chain of bases into one merged mapping."""
    path = resolve(path).resolve()
    if path in _seen:
        raise ConfigError(f"{path}: base chain loops back to itself")
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping, got {type(raw).__name__}")
    base_name = raw.pop("base", None)
    if base_name is None:
        return raw
    if not isinstance(base_name, str):
        raise ConfigError(f"{path}: 'base' must be a file name, got {base_name!r}")
    return merge(load_raw(path.parent / base_name, _seen + (path,)), raw)


def load_train_config(path: str | Path) -> TrainConfig:
    """Parse a model config (with its bases) into a validated `TrainConfig`.

    Raises:
        ConfigError: unknown/missing keys or wrong types, naming the file and key.
    """
    raw = load_raw(path)
    cfg = from_dict(TrainConfig, {**raw, "source_file": str(path)}, str(path))
    if cfg.model.hop % cfg.model.upsample:
        raise ConfigError(f"{path}: model.hop {cfg.model.hop} is not divisible by "
                          f"model.upsample {cfg.model.upsample}")
    if len(cfg.loss.mel_windows) != len(cfg.loss.mel_bins):
        raise ConfigError(f"{path}: loss.mel_windows and loss.mel_bins differ in length")
    return cfg
