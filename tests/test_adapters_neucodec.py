"""NeuCodec adapter without the optional package: a library-shaped stand-in.

The real `neucodec` package (transformers, torchao, ...) is an optional extra
and not installed here, so these tests check the parts that are ours: the
unavailable message, the 16 kHz in / 24 kHz out alignment, the FSQ code
metadata and the checkpoint loading route, with a tiny module that has the
library's interface (`NeuCodec(sample_rate, hop_length)`, `encode_code`,
`decode_code`, padding by 320 - T mod 320).
"""
from __future__ import annotations

import sys
import types

import pytest
import torch

from bench.audio import load_mono
from bench.codec import WeightsUnavailable
from bench.codecs.neucodec_adapter import NeuCodecCodec, package_missing
from bench.config import CodecSpec, WeightsSpec
from bench.paths import repo_root

CPU = torch.device("cpu")
SPEC = CodecSpec("neucodec", "neucodec", {"model": "neucodec"},
                 WeightsSpec(env="BENCH_NEUCODEC_CKPT"), source_file="codecs/neucodec.yaml")


class FakeNeuCodec(torch.nn.Module):
    """The library's interface and framing; codes are a hash of each 320-sample frame."""

    def __init__(self, sample_rate: int, hop_length: int):
        super().__init__()
        self.sample_rate, self.hop_length = sample_rate, hop_length
        self.semantic_model = torch.nn.Linear(2, 2)   # the library fills it from its own hub repo
        self.fc_prior = torch.nn.Linear(4, 4)

    def encode_code(self, y: torch.Tensor) -> torch.Tensor:
        y = torch.nn.functional.pad(y, (0, 320 - y.shape[-1] % 320))
        frames = y.reshape(y.shape[0], 1, -1, 320)
        return (frames.abs().sum(-1) * 1e5).long() % 65536          # [B, 1, F]

    def decode_code(self, codes: torch.Tensor) -> torch.Tensor:
        return (codes.float() / 65536).repeat_interleave(480, dim=-1)  # [B, 1, F x 480] at 24 kHz


@pytest.fixture
def fake_package(monkeypatch):
    module = types.ModuleType("neucodec")
    module.NeuCodec = module.DistillNeuCodec = FakeNeuCodec
    monkeypatch.setitem(sys.modules, "neucodec", module)
    return module


def speech(n: int) -> torch.Tensor:
    x, _ = load_mono(sorted((repo_root() / "data" / "speech-16k").glob("*.flac"))[6], 16000)
    return torch.from_numpy(x[16000:16000 + n]).float().view(1, 1, n)


@pytest.mark.skipif("neucodec" in sys.modules or package_missing() is None,
                    reason="the neucodec package is installed")
def test_without_the_package_rows_are_unavailable_naming_the_extra():
    assert "[neucodec]" in NeuCodecCodec.weights_status(SPEC)
    with pytest.raises(WeightsUnavailable, match=r"not installed; install the \[neucodec\] extra"):
        NeuCodecCodec.from_spec(SPEC, CPU)


def test_missing_checkpoint_with_the_package_says_where_to_put_it(fake_package, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("BENCH_NEUCODEC_CKPT", raising=False)
    with pytest.raises(WeightsUnavailable) as info:
        NeuCodecCodec.from_spec(SPEC, CPU)
    assert "BENCH_NEUCODEC_CKPT" in str(info.value) and "NeuCodec.from_pretrained" in str(info.value)


def test_checkpoint_route_drops_ignored_keys_and_aligns_16k_in_24k_out(fake_package, monkeypatch, tmp_path):
    ckpt = tmp_path / "pytorch_model.bin"
    ref = FakeNeuCodec(24000, 480)
    torch.save({"fc_prior.weight": torch.full((4, 4), 2.0), "fc_prior.bias": ref.fc_prior.bias,
                "fc_post_s.weight": torch.zeros(3), "SemanticDecoder.w": torch.zeros(3)}, ckpt)
    monkeypatch.setenv("BENCH_NEUCODEC_CKPT", str(ckpt))
    codec = NeuCodecCodec.from_spec(SPEC, CPU)
    assert torch.equal(codec.model.fc_prior.weight, torch.full((4, 4), 2.0))
    assert (codec.sample_rate, codec.output_sample_rate, codec.frame_rate) == (16000, 24000, 50.0)
    assert (codec.nominal_bitrate, codec.token_rate) == (800.0, 50.0)

    t = 6401                                            # F = 6401 // 320 + 1 = 21 frames
    x = torch.cat([speech(t), speech(t) * 0.5])
    codes = codec.encode(x)
    assert codes.indices.shape == (2, 1, 21) and codes.field_sizes == ((4,) * 8,)
    codes.check_range()
    wav = codec.decode(codes)
    assert wav.shape == (2, 1, round(1.5 * t)) and wav.dtype == torch.float32
    assert codec.alignment.trimmed_samples == 21 * 480 - round(1.5 * t)
    assert torch.equal(codec.encode(x[1:2]).indices, codes.indices[1:2])


def test_checkpoint_of_another_model_is_refused(fake_package, monkeypatch, tmp_path):
    ckpt = tmp_path / "other.bin"
    torch.save({"fc_prior.weight": torch.zeros(8, 8), "fc_prior.bias": torch.zeros(8)}, ckpt)
    monkeypatch.setenv("BENCH_NEUCODEC_CKPT", str(ckpt))
    with pytest.raises(ValueError, match="shape mismatches"):
        NeuCodecCodec.from_spec(SPEC, CPU)
