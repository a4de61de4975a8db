"""Encodec adapter on random-weight checkpoints of the 24 kHz and 48 kHz models.

The checkpoints are the library's architectures with filled codebooks (a fresh
Encodec has all-zero codebooks until k-means initialisation), saved as plain
state dicts like the publisher's files and loaded through the adapter's
local-file routes, then run on bundled LibriSpeech audio.
"""
from __future__ import annotations

import math
import shutil

import pytest
import torch

from bench.audio import load_mono
from bench.codec import Codes
from bench.codecs.encodec_adapter import ENCODEC_MODELS, EncodecCodec, ScaledCodes, segment_frames
from bench.codecs.random_weights import random_encodec_checkpoint
from bench.config import CodecSpec, WeightsSpec
from bench.paths import repo_root
from bench.weights import ChecksumMismatch

CPU = torch.device("cpu")
SPEECH = sorted((repo_root() / "data" / "speech-16k").glob("*.flac"))


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread: on a shared 2-core machine more threads spin and slow down."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def speech_batch(sample_rate: int, n: int) -> torch.Tensor:
    """Two `n`-sample excerpts of bundled speech at `sample_rate`, as [2, 1, n] float32."""
    items = []
    for index in (4, 5):
        x, _ = load_mono(SPEECH[index], sample_rate)
        items.append(torch.from_numpy(x[sample_rate // 2:sample_rate // 2 + n]).float().view(1, 1, n))
    return torch.cat(items)


def spec(model: str, bandwidth: float, **weights) -> CodecSpec:
    return CodecSpec(f"encodec-{model}-{bandwidth:g}", "encodec", {"model": model, "bandwidth": bandwidth},
                     WeightsSpec(**weights), source_file="codecs/test.yaml")


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("encodec")
    return {m: random_encodec_checkpoint(m, folder / f"encodec_{m}_random.th", seed=3)
            for m in ENCODEC_MODELS}


@pytest.fixture(scope="module")
def enc24(ckpts):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BENCH_ENCODEC_24K_CKPT", str(ckpts["24khz"]))
        return EncodecCodec.from_spec(spec("24khz", 6.0, env="BENCH_ENCODEC_24K_CKPT"), CPU)


@pytest.fixture(scope="module")
def enc48(ckpts):
    return EncodecCodec.from_spec(spec("48khz", 6.0, path=str(ckpts["48khz"])), CPU)


T24 = 12007                       # 0.5 s + 7 samples: 38 frames, 153 decoded samples trimmed


def test_24k_codes_rates_and_length(enc24):
    x = speech_batch(24000, T24)
    codes = enc24.encode(x)
    assert type(codes) is Codes and codes.indices.dtype == torch.int64
    assert codes.indices.shape == (2, 8, math.ceil(T24 / 320)) == (2, 8, math.ceil(T24 / 24000 * 75))
    codes.check_range()
    assert codes.indices.unique().numel() > 10
    assert (enc24.frame_rate, enc24.nominal_bitrate, enc24.token_rate) == (75.0, 6000.0, 600.0)
    wav = enc24.decode(codes)
    assert wav.shape == (2, 1, T24) and wav.dtype == torch.float32 and torch.isfinite(wav).all()
    assert enc24.alignment.trimmed_samples == 38 * 320 - T24
    # determinism and batch vs single
    assert torch.equal(enc24.encode(x).indices, codes.indices)
    single = enc24.encode(x[1:2])
    assert torch.equal(single.indices, codes.indices[1:2])
    assert torch.allclose(enc24.decode(single), wav[1:2], atol=1e-5)


def test_lower_bandwidth_is_a_codebook_prefix_and_shares_the_model(ckpts, enc24):
    low = EncodecCodec.from_spec(spec("24khz", 1.5, path=str(ckpts["24khz"])), CPU)
    assert low.model is enc24.model and low.nominal_bitrate == 1500.0
    x = speech_batch(24000, 4000)[:1]
    assert torch.equal(low.encode(x).indices, enc24.encode(x).indices[:, :2])


def test_48k_segments_scales_and_stereo_handling(enc48):
    x = speech_batch(48000, 48000)               # 1 s: segments of 48000 and 480 samples
    codes = enc48.encode(x)
    assert isinstance(codes, ScaledCodes) and codes.scales.shape == (2, 2)
    assert segment_frames(48000, ENCODEC_MODELS["48khz"]) == [150, 2]
    assert codes.indices.shape == (2, 4, 152) and codes.n_frames > 48000 / 48000 * 150
    codes.check_range()
    wav = enc48.decode(codes)
    assert wav.shape == (2, 1, 48000) and torch.isfinite(wav).all()
    # the documented handling, done by hand with the library: duplicate, code, decode, average
    net = enc48.model
    net.set_target_bandwidth(6.0)
    with torch.no_grad():
        ref = net.decode(net.encode(x.expand(-1, 2, -1)))[..., :48000].mean(dim=1, keepdim=True)
    assert torch.allclose(wav, ref, atol=1e-6)
    # batch vs single, and side information following select()
    one = codes.select(1)
    assert torch.equal(one.scales, codes.scales[1:2])
    assert torch.equal(enc48.encode(x[1:2]).indices, codes.indices[1:2])
    assert torch.allclose(enc48.decode(one), wav[1:2], atol=1e-5)
    assert torch.equal(codes.with_indices(codes.indices.flip(0)).scales, codes.scales)


def test_48k_decode_refuses_codes_without_scales_or_with_wrong_frames(enc48):
    plain = Codes(torch.zeros(1, 4, 152, dtype=torch.long), (1024,) * 4, 150.0, n_samples=48000)
    with pytest.raises(ValueError, match="per-segment scales"):
        enc48.decode(plain)
    short = Codes(torch.zeros(1, 4, 150, dtype=torch.long), (1024,) * 4, 150.0, n_samples=48000)
    with pytest.raises(ValueError, match="150 frames do not match 48000 samples"):
        enc48.decode(short)
    with pytest.raises(ValueError, match="codebooks"):
        enc48.decode(Codes(torch.zeros(1, 2, 152, dtype=torch.long), (1024,) * 2, 150.0, n_samples=48000))


def test_segment_frames_cuts_like_the_library():
    arch = ENCODEC_MODELS["48khz"]
    assert segment_frames(100807, arch) == [150, 150, 19]        # offsets 0, 47520, 95040
    assert segment_frames(12007, ENCODEC_MODELS["24khz"]) == [38]


def test_publisher_hash_in_cached_file_name_is_checked(ckpts, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("BENCH_ENCODEC_24K_CKPT", raising=False)
    cached = tmp_path / "hub" / "checkpoints" / "encodec_24khz-d7cc33bc.th"
    cached.parent.mkdir(parents=True)
    shutil.copy(ckpts["24khz"], cached)                # random weights under the publisher's name
    with pytest.raises(ChecksumMismatch, match="d7cc33bc .published in the file name"):
        EncodecCodec.from_spec(spec("24khz", 3.0, env="BENCH_ENCODEC_24K_CKPT"), CPU)


def test_wrong_or_untrained_checkpoints_are_clear_errors(ckpts, tmp_path):
    with pytest.raises(ValueError, match="does not fit the architecture"):
        EncodecCodec.from_spec(spec("48khz", 3.0, path=str(ckpts["24khz"])), CPU)
    from encodec import EncodecModel
    fresh = tmp_path / "fresh.th"
    torch.save(EncodecModel.encodec_model_24khz(pretrained=False).state_dict(), fresh)
    with pytest.raises(ValueError, match="32 codebooks were never initialised"):
        EncodecCodec.from_spec(spec("24khz", 3.0, path=str(fresh)), CPU)
