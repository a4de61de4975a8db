"""DAC adapter on random-weight checkpoints of the three released architectures.

Each checkpoint is written in the library's own format, loaded through the
adapter's local-file routes (environment variable, YAML path) and run on
bundled LibriSpeech audio. Random weights decode noise, so the tests check
structure: shapes, dtypes, index ranges, frame counts, rates, length
alignment, determinism and batch/single equality.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from bench.audio import load_mono
from bench.codecs.dac import DAC_MODELS, DacCodec, decoded_length
from bench.codecs.random_weights import random_dac_checkpoint
from bench.config import CodecSpec, WeightsSpec
from bench.paths import repo_root
from bench.weights import ChecksumMismatch, sha256_file

CPU = torch.device("cpu")
SPEECH = sorted((repo_root() / "data" / "speech-16k").glob("*.flac"))


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread: on a shared 2-core machine more threads spin and slow down."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def speech(index: int, sample_rate: int, start_s: float, n: int) -> torch.Tensor:
    """`n` samples of bundled speech file `index` from `start_s`, as [1, 1, n] float32."""
    x, _ = load_mono(SPEECH[index], sample_rate)
    start = int(start_s * sample_rate)
    return torch.from_numpy(x[start:start + n]).float().view(1, 1, n)


def spec(model: str, n: int, **weights) -> CodecSpec:
    return CodecSpec(f"dac-{model}-{n}q", "dac", {"model": model, "n_codebooks": n},
                     WeightsSpec(**weights), source_file="codecs/test.yaml")


@pytest.fixture(scope="module")
def ckpt16(tmp_path_factory) -> Path:
    return random_dac_checkpoint("16khz", tmp_path_factory.mktemp("dac") / "dac16.pth", seed=1)


@pytest.fixture(scope="module")
def dac16(ckpt16) -> DacCodec:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BENCH_DAC_16K_CKPT", str(ckpt16))
        return DacCodec.from_spec(spec("16khz", 4, env="BENCH_DAC_16K_CKPT"), CPU)


# 6397 = 19 x 320 + 317 samples: padded by 3 to 20 frames, decoded to 20 x 320 - 8 = 6392,
# so the last 5 output samples are zero-filled (and counted).
T16 = 6397


@pytest.fixture(scope="module")
def batch16() -> torch.Tensor:
    return torch.cat([speech(0, 16000, 1.0, T16), speech(1, 16000, 0.5, T16)])


@pytest.fixture(scope="module")
def coded16(dac16, batch16):
    """(codes, decoded audio, alignment counts added by that one decode)."""
    codes = dac16.encode(batch16)
    before = dac16.alignment.as_dict()
    wav = dac16.decode(codes)
    after = dac16.alignment.as_dict()
    return codes, wav, {k: after[k] - before[k] for k in after}


def test_codes_shape_range_frames_and_rates(dac16, coded16, ckpt16):
    codes, _, _ = coded16
    assert codes.indices.shape == (2, 4, math.ceil(T16 / 320)) and codes.indices.dtype == torch.int64
    assert codes.n_frames == math.ceil(T16 / 16000 * 50) and codes.n_samples == T16
    codes.check_range()
    assert int(codes.indices.max()) < 1024 and codes.codebook_sizes == (1024,) * 4
    assert codes.indices.unique().numel() > 10          # not a degenerate constant code
    assert (dac16.frame_rate, dac16.nominal_bitrate, dac16.token_rate) == (50.0, 2000.0, 200.0)
    assert dac16.weights_sha256 == {"dac16.pth": sha256_file(ckpt16)}


def test_decoded_length_and_zero_filled_tail_are_recorded(dac16, coded16):
    _, wav, counted = coded16
    assert wav.shape == (2, 1, T16) and wav.dtype == torch.float32 and torch.isfinite(wav).all()
    assert decoded_length(20, DAC_MODELS["16khz"].decoder_rates) == 20 * 320 - 8
    assert counted == {"batches": 1, "trimmed_samples": 0, "zero_filled_batches": 1,
                       "zero_filled_samples": T16 - (20 * 320 - 8)}
    assert not wav[..., 20 * 320 - 8:].any() and wav[..., :20 * 320 - 8].abs().sum() > 0
    assert any("F x 320 - 8" in n for n in dac16.notes)


def test_trimmed_when_padding_covers_the_shortfall(dac16):
    x = speech(2, 16000, 1.0, 6250)                      # padded by 70: decoder gives 6392
    before = dac16.alignment.trimmed_samples
    wav = dac16.decode(dac16.encode(x))
    assert wav.shape == (1, 1, 6250) and dac16.alignment.trimmed_samples - before == 6392 - 6250


def test_deterministic_and_batch_equals_single(dac16, batch16, coded16):
    codes, wav_batch, _ = coded16
    assert torch.equal(codes.indices, dac16.encode(batch16).indices)
    single = dac16.encode(batch16[1:2])
    assert torch.equal(single.indices, codes.indices[1:2])
    assert torch.allclose(dac16.decode(codes.select(1)), wav_batch[1:2], atol=1e-5)


def test_fewer_codebooks_are_a_prefix_of_more(ckpt16, dac16, batch16, coded16):
    full = DacCodec.from_spec(spec("16khz", 12, path=str(ckpt16)), CPU)
    assert full.model is dac16.model                      # one model serves the whole ladder
    assert full.nominal_bitrate == 6000.0
    assert torch.equal(full.encode(batch16[:1]).indices[:, :4], coded16[0].indices[:1])


def test_padded_dac_has_zero_mean_geometric_delay():
    """Impulse through a linearised DAC (box kernels, Snake ~ identity): output centred on input."""
    from dac.model.dac import DAC
    from dac.nn.layers import Snake1d
    for model in ("16khz", "44khz"):
        arch = DAC_MODELS[model]
        net = DAC(encoder_dim=4, encoder_rates=list(arch.encoder_rates), latent_dim=8, decoder_dim=32,
                  decoder_rates=list(arch.decoder_rates), n_codebooks=1, codebook_size=4,
                  codebook_dim=2, sample_rate=arch.sample_rate).eval()
        for mod in net.modules():
            if isinstance(mod, (torch.nn.Conv1d, torch.nn.ConvTranspose1d)):
                torch.nn.utils.remove_weight_norm(mod)
                with torch.no_grad():
                    mod.weight.fill_(1.0 / mod.weight[0].numel())
                    mod.bias.zero_()
            elif isinstance(mod, Snake1d):
                with torch.no_grad():
                    mod.alpha.fill_(1e-6)             # x + sin^2(a x) / a ~ x
        n = arch.hop * 32
        delays = []
        for pos in range(n // 2, n // 2 + arch.hop, max(1, arch.hop // 16)):
            x = torch.zeros(1, 1, n)
            x[..., pos] = 1e-3
            with torch.no_grad():
                y = net.decode(net.encoder(x))[0, 0].double()
            centroid = float((torch.arange(y.numel()) * y).sum() / y.sum())
            delays.append(centroid - pos)
        assert abs(sum(delays) / len(delays)) < 0.5, (model, delays)


@pytest.mark.slow
@pytest.mark.parametrize("model,n", [("24khz", 8), ("44khz", 3)])
def test_other_architectures_through_the_yaml_path(tmp_path, model, n):
    arch = DAC_MODELS[model]
    path = random_dac_checkpoint(model, tmp_path / f"dac_{model}.pth", seed=2)
    codec = DacCodec.from_spec(spec(model, n, path=str(path)), CPU)
    t = int(0.2 * arch.sample_rate)
    x = speech(3, arch.sample_rate, 1.0, t)
    codes = codec.encode(x)
    frames = math.ceil(t / arch.hop)
    assert codes.indices.shape == (1, n, frames) and codes.frame_rate == arch.frame_rate
    codes.check_range()
    wav = codec.decode(codes)
    assert wav.shape == (1, 1, t) and torch.isfinite(wav).all()
    decoded = t + codec.alignment.trimmed_samples - codec.alignment.zero_filled_samples
    assert decoded == decoded_length(frames, arch.decoder_rates)
    assert codec.nominal_bitrate == pytest.approx(arch.frame_rate * n * 10)


def test_checkpoint_of_another_architecture_is_a_clear_error(ckpt16):
    with pytest.raises(ValueError, match=r"another DAC architecture: sample_rate=16000 \(expected 24000\)"
                                         r".*n_codebooks=12 \(expected 32\)"):
        DacCodec.from_spec(spec("24khz", 8, path=str(ckpt16)), CPU)


def test_pinned_sha256_mismatch_is_refused(ckpt16):
    with pytest.raises(ChecksumMismatch, match="pinned in the codec YAML"):
        DacCodec.from_spec(spec("16khz", 4, path=str(ckpt16), sha256="ab" * 32), CPU)
