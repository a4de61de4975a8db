"""The "trained" codec family: checkpoint round trip, hashes, bitrate, shipped models."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from bench.audio import load_mono
from bench.codec import WeightsUnavailable
from bench.codecs import build_codec, describe_spec, load_codec_specs
from bench.codecs.trained import TrainedCodec
from bench.config import CodecSpec, WeightsSpec, from_dict, load_yaml
from bench.datasets import sha256_file
from bench.paths import repo_root
from bench.quantizers import build_quantizer_from_config
from bench.train.config import load_train_config
from bench.train.loop import train
from test_train import write_tiny

SHIPPED = repo_root() / "codecs" / "trained.yaml"


def spec_for(config: Path, ckpt: Path | None, sha: str | None = None, name: str = "tiny") -> CodecSpec:
    weights = WeightsSpec(path=str(ckpt), sha256=sha) if ckpt else None
    return CodecSpec(name, "trained", {"config": str(config)}, weights, source_file="test")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("codec")
    cfg = write_tiny(folder, "steps: 4\n")
    ckpt = train(cfg, out_dir=folder / "run", threads=1, data_limit=3, progress=False)
    return cfg, ckpt, folder / "run" / "state.pt"


def test_checkpoint_round_trips_through_the_adapter(tiny, speech_16k):
    cfg_path, ckpt, state = tiny
    codec = build_codec(spec_for(cfg_path, ckpt, sha256_file(ckpt)))
    assert isinstance(codec, TrainedCodec)
    # the training-time model, rounded to fp16 as in the export, gives the same codes
    from bench.train.checkpoint import build_model
    ref = build_model(load_train_config(cfg_path))
    ref.load_state_dict(torch.load(state, weights_only=True)["model"])
    ref.load_state_dict({k: v.half().float() if v.is_floating_point() else v
                         for k, v in ref.state_dict().items()})
    ref.eval()
    signal, sr = speech_16k
    n = 16000 + 123                                        # not a multiple of the hop
    wav = torch.from_numpy(signal[:n]).float().view(1, 1, -1)
    codes = codec.encode(wav)
    assert codes.n_samples == n and codes.n_frames == -(-n // 320)
    padded = torch.nn.functional.pad(wav, (0, codes.n_frames * 320 - n))
    assert torch.equal(codes.indices, ref.encode(padded))
    out = codec.decode(codes)
    assert out.shape == (1, 1, n) and torch.isfinite(out).all()


def test_sha256_mismatch_names_file_and_both_hashes(tiny):
    cfg_path, ckpt, _ = tiny
    wrong = "0" * 64
    with pytest.raises(ValueError) as err:
        build_codec(spec_for(cfg_path, ckpt, wrong))
    msg = str(err.value)
    assert str(ckpt) in msg and wrong in msg and sha256_file(ckpt) in msg


def test_checkpoint_of_another_architecture_is_refused(tiny, tmp_path):
    _, ckpt, _ = tiny
    other = write_tiny(tmp_path, "quantizer: {name: fsq, levels: [5, 5, 5, 5]}\n")
    with pytest.raises(ValueError, match="another architecture"):
        build_codec(spec_for(other, ckpt, sha256_file(ckpt)))


def test_missing_checkpoint_says_how_to_train_it(tiny, tmp_path):
    cfg_path, _, _ = tiny
    spec = spec_for(cfg_path, tmp_path / "absent.pt")
    assert TrainedCodec.weights_status(spec).startswith("missing")
    with pytest.raises(WeightsUnavailable, match="run_bench.py train --config"):
        build_codec(spec)


def shipped_specs() -> list[CodecSpec]:
    return [s for s in load_codec_specs() if s.source_file.endswith("trained.yaml")]


def test_adapter_bitrate_equals_the_quantizers():
    specs = shipped_specs()
    assert len(specs) >= 11
    for spec in specs:
        cfg = load_train_config(repo_root() / spec.params["config"])
        q = build_quantizer_from_config(dict(cfg.quantizer), cfg.model.latent_dim)
        info = describe_spec(spec)
        assert info["nominal_bitrate"] == pytest.approx(q.bits_per_frame * 50.0), spec.name
        assert info["frame_rate"] == 50.0 and tuple(info["codebook_sizes"]) == q.codebook_sizes


def test_shipped_checkpoints_match_their_cards():
    for spec in shipped_specs():
        path = repo_root() / spec.weights.path
        card = json.loads(path.with_suffix(".json").read_text())
        assert path.stat().st_size < 8 * 2 ** 20, f"{path} is over 8 MB"
        assert sha256_file(path) == spec.weights.sha256 == card["checkpoint"]["sha256"], spec.name
        assert card["bitrate_bps"] == pytest.approx(describe_spec(spec)["nominal_bitrate"])
        if "/ablation/" in spec.params["config"]:   # levels ablation: off-rung by design, recorded
            assert card["rung_deviation"] == pytest.approx(card["bitrate_bps"] / card["rung_bps"] - 1)
        else:
            assert abs(card["rung_deviation"]) <= 0.05, f"{spec.name} is off its rung"


def test_a_shipped_checkpoint_codes_real_speech(speech_files):
    spec = next(s for s in shipped_specs() if s.name == "fsq-800")
    codec = build_codec(spec)
    signal, _ = load_mono(speech_files[0], 16000)
    wav = torch.from_numpy(signal[:24000]).float().view(1, 1, -1)
    codes = codec.encode(wav)
    codes.check_range()
    out = codec.decode(codes)
    assert out.shape == wav.shape and torch.isfinite(out).all()
    assert torch.equal(codec.encode(wav).indices, codes.indices), "encoding must be deterministic"


def test_shipping_writes_a_catalog_that_loads(tiny, tmp_path):
    from bench.train.ship import ship, write_catalog
    cfg_path, ckpt, _ = tiny
    dest = tmp_path / "codecs"
    dest.mkdir()
    (dest / "tiny.yaml").write_text(cfg_path.read_text())
    card = ship(ckpt.parent, dest)
    assert (dest / "tiny.pt").is_file() and (dest / "tiny-loss.png").is_file()
    catalog = write_catalog(["tiny"], dest, tmp_path / "trained.yaml")
    (entry,) = load_yaml(catalog)["codecs"]            # parsed directly: keep the CODECS registry clean
    spec = from_dict(CodecSpec, entry, str(catalog))
    assert spec.weights.sha256 == json.loads(card.read_text())["checkpoint"]["sha256"] == sha256_file(ckpt)
    assert isinstance(build_codec(spec), TrainedCodec), catalog.read_text()
