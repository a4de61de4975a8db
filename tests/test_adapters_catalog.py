"""The DAC, Encodec and NeuCodec definitions: listing values, library constants, missing weights.

None of these tests loads a real model: they check what `run_bench.py list`
shows (rates, nominal bitrate, token rate, weights status), that the
adapters' constants agree with the installed libraries, and that a missing
checkpoint is reported as unavailable with a message saying where to put it.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from bench.codec import WeightsUnavailable
from bench.codecs import describe_spec, family_class, load_codec_specs
from bench.config import CodecSpec, ConfigError
from bench.paths import repo_root

# name: (input rate Hz, output rate Hz, frame rate Hz, nominal bit/s, tokens/s)
EXPECTED = {
    "dac-16k-2q": (16000, 16000, 50.0, 1000.0, 100.0),
    "dac-16k-4q": (16000, 16000, 50.0, 2000.0, 200.0),
    "dac-16k-8q": (16000, 16000, 50.0, 4000.0, 400.0),
    "dac-16k-12q": (16000, 16000, 50.0, 6000.0, 600.0),
    "dac-24k-8q": (24000, 24000, 75.0, 6000.0, 600.0),
    "dac-24k-16q": (24000, 24000, 75.0, 12000.0, 1200.0),
    "dac-24k-32q": (24000, 24000, 75.0, 24000.0, 2400.0),
    "dac-44k-3q": (44100, 44100, 44100 / 512, 44100 / 512 * 30, 44100 / 512 * 3),
    "dac-44k-6q": (44100, 44100, 44100 / 512, 44100 / 512 * 60, 44100 / 512 * 6),
    "dac-44k-9q": (44100, 44100, 44100 / 512, 7751.953125, 44100 / 512 * 9),
    "encodec-24k-1.5kbps": (24000, 24000, 75.0, 1500.0, 150.0),
    "encodec-24k-3kbps": (24000, 24000, 75.0, 3000.0, 300.0),
    "encodec-24k-6kbps": (24000, 24000, 75.0, 6000.0, 600.0),
    "encodec-24k-12kbps": (24000, 24000, 75.0, 12000.0, 1200.0),
    "encodec-24k-24kbps": (24000, 24000, 75.0, 24000.0, 2400.0),
    "encodec-48k-3kbps": (48000, 48000, 150.0, 3000.0, 300.0),
    "encodec-48k-6kbps": (48000, 48000, 150.0, 6000.0, 600.0),
    "encodec-48k-12kbps": (48000, 48000, 150.0, 12000.0, 1200.0),
    "encodec-48k-24kbps": (48000, 48000, 150.0, 24000.0, 2400.0),
    "neucodec": (16000, 24000, 50.0, 800.0, 50.0),
}
OUR_FAMILIES = ("dac", "encodec", "neucodec")


@pytest.fixture(scope="module")
def specs() -> dict[str, CodecSpec]:
    return {s.name: s for s in load_codec_specs() if s.family in OUR_FAMILIES}


@pytest.fixture
def no_weights_anywhere(tmp_path, monkeypatch):
    """Empty caches (HOME, torch hub, Hugging Face) and no BENCH_* variables."""
    for var in ("HOME", "TORCH_HOME", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    for var in ("BENCH_DAC_16K_CKPT", "BENCH_DAC_24K_CKPT", "BENCH_DAC_44K_CKPT",
                "BENCH_ENCODEC_24K_CKPT", "BENCH_ENCODEC_48K_CKPT", "BENCH_NEUCODEC_CKPT"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_every_operating_point_is_listed_with_its_rates(specs):
    assert sorted(specs) == sorted(EXPECTED)
    for name, (sr, out_sr, frame_rate, bps, tps) in EXPECTED.items():
        info = describe_spec(specs[name])
        got = (info["sample_rate"], info["output_sample_rate"], info["frame_rate"],
               info["nominal_bitrate"], info["token_rate"])
        assert got == pytest.approx((sr, out_sr, frame_rate, bps, tps)), name
    assert round(describe_spec(specs["dac-44k-9q"])["nominal_bitrate"]) == 7752


def test_neucodec_is_one_fsq_stream_of_4_to_the_8(specs):
    cls = family_class("neucodec")
    op = cls.operating_point(specs["neucodec"])
    assert op.codebook_sizes == (65536,) and op.field_sizes == ((4,) * 8,)


def test_dac_constants_match_the_library():
    from dac.model.dac import DAC
    from dac.utils import __MODEL_LATEST_TAGS__ as tags, __MODEL_URLS__ as urls

    from bench.codecs.dac import BITRATE_TAG, DAC_MODELS, cache_path, download_url
    for model, arch in DAC_MODELS.items():
        tag = tags[(model, BITRATE_TAG)]
        assert arch.tag == tag
        cached = Path.home() / ".cache/descript/dac" / f"weights_{model}_{BITRATE_TAG}_{tag}.pth"
        assert cache_path(model) == cached
        assert download_url(model) == urls[(model, tag, BITRATE_TAG)]
        with torch.device("meta"):
            net = DAC(**arch.kwargs())
        assert (net.hop_length, net.sample_rate, net.n_codebooks) == (arch.hop, arch.sample_rate,
                                                                       arch.n_codebooks)


def test_encodec_constants_match_the_library():
    from encodec import EncodecModel

    from bench.codecs.encodec_adapter import ENCODEC_MODELS
    for model, arch in ENCODEC_MODELS.items():
        net = getattr(EncodecModel, f"encodec_model_{model}")(pretrained=False)
        assert net.sample_rate == arch.sample_rate and net.channels == arch.channels
        assert net.frame_rate == arch.frame_rate
        assert tuple(float(b) for b in net.target_bandwidths) == arch.bandwidths
        assert (net.segment, net.overlap) == (arch.segment, arch.overlap)
        assert net.quantizer.n_q == arch.n_codebooks(arch.bandwidths[-1])
        for bw in arch.bandwidths:
            assert net.quantizer.get_num_quantizers_for_bandwidth(net.frame_rate, bw) == arch.n_codebooks(bw)


def test_missing_weights_make_every_codec_unavailable_with_directions(specs, no_weights_anywhere):
    for name, spec in specs.items():
        cls = family_class(spec.family)
        status = cls.weights_status(spec)
        assert status.startswith("missing: "), (name, status)
        with pytest.raises(WeightsUnavailable) as info:
            cls.from_spec(spec, torch.device("cpu"))
        msg = str(info.value)
        if spec.family == "neucodec" and "not installed" in msg:
            assert "[neucodec]" in msg
            continue
        assert spec.weights.env in msg and "weights.path in codecs/" in msg, msg
        if spec.family in ("dac", "encodec"):
            plan = cls.weights_plan(spec)
            assert str(plan.cache_paths[0]).startswith(str(no_weights_anywhere)), plan
            assert str(plan.cache_paths[0]) in msg
            assert ("python -m dac download" if spec.family == "dac" else "encodec_model_") in msg


def test_a_cached_checkpoint_shows_as_present(specs, no_weights_anywhere):
    cls = family_class("encodec")
    spec = specs["encodec-24k-6kbps"]
    target = cls.weights_plan(spec).cache_paths[0]
    target.parent.mkdir(parents=True)
    target.write_bytes(b"placeholder")
    assert cls.weights_status(spec) == f"present: {target}"
    assert cls.weights_status(specs["encodec-48k-6kbps"]).startswith("missing: ")


@pytest.mark.parametrize("family,params,match", [
    ("dac", {"model": "32khz"}, r"model='32khz' is not supported; allowed: \['16khz'"),
    ("dac", {"model": "16khz", "n_codebooks": 13}, "n_codebooks=13 is not supported"),
    ("dac", {"model": "44khz", "n_codebooks": 0}, "n_codebooks=0 is not supported"),
    ("dac", {"model": "16khz", "bitrate": 8}, r"unknown params \['bitrate'\]"),
    ("dac", {"n_codebooks": 4}, "missing param 'model'"),
    ("dac", {"model": "16khz", "n_codebooks": "4"}, "'n_codebooks' must be int"),
    ("encodec", {"model": "24khz", "bandwidth": 5}, r"bandwidth=5 is not supported; allowed: \[1.5, 3.0"),
    ("encodec", {"model": "48khz", "bandwidth": 1.5}, "bandwidth=1.5 is not supported"),
    ("encodec", {"model": "24khz"}, "missing param 'bandwidth'"),
    ("neucodec", {"model": "xcodec2"}, "model='xcodec2' is not supported"),
])
def test_bad_params_are_config_errors_naming_file_and_key(family, params, match):
    spec = CodecSpec("bad", family, params, source_file="codecs/test.yaml")
    with pytest.raises(ConfigError, match=match) as info:
        family_class(family).describe_spec(spec)
    assert "codecs/test.yaml: codec 'bad'" in str(info.value)


def test_yaml_files_are_under_codecs_and_name_their_env_variables(specs):
    for spec in specs.values():
        assert spec.source_file.startswith("codecs/") and (repo_root() / spec.source_file).is_file()
        assert spec.weights is not None and spec.weights.env.startswith("BENCH_")
        assert math.isfinite(describe_spec(spec)["nominal_bitrate"])
