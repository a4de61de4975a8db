"""The robustness command end to end on reference codecs, and the channel on FSQ / Q2D2 codes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from bench.robustness.channel import DEFAULT_PS, binary_symmetric_channel
from bench.robustness.packing import applicable_schemes, field_geometry, make_packing


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    from bench.config import SuiteSpec
    from bench.robustness.experiment import ChannelConfig
    from bench.robustness.run import RobustnessOptions, run_robustness
    from bench.runner import RunOptions
    out = tmp_path_factory.mktemp("robust")
    suite = SuiteSpec(name="t", codecs=("pcm8-16k", "mulaw-8k"), datasets=("speech-16k",), metrics=("stoi",))
    opts = RunOptions(executor="serial", max_items=1, progress=False)
    ropts = RobustnessOptions(channel=ChannelConfig(seeds=(0, 1)), metrics=("stoi", "utmos"), snrs_db=(40.0, 20.0))
    summary = run_robustness(suite, opts, ropts, out / "rep", out / "cache")
    return out, summary, (suite, opts, ropts)


@pytest.mark.slow
def test_rows_cover_every_codec_p_seed_and_report_files_exist(small_run):
    out, summary, _ = small_run
    df = pd.read_csv(out / "rep" / "channel.csv")
    assert len(df) == 2 * len(DEFAULT_PS) * 2          # codecs x p x seeds (1 item, 1 metric)
    assert set(df["status"]) <= {"ok", "warn"}         # warn: corrupted audio clips (the row says so)
    assert set(df["packing"]) == {"stream"}
    for name in ("report.md", "plots/channel_stoi.png", "plots/channel_stoi.pdf", "locality.csv", "plan.json"):
        assert (out / "rep" / name).is_file(), name
    report = (out / "rep" / "report.md").read_text()
    assert "metric `utmos` unavailable" in report and "Seed pairs: not run" in report


@pytest.mark.slow
def test_channel_at_p0_is_the_clean_score(small_run, tmp_path):
    """p = 0 rows equal what `run_bench.py run` scores for the same codec and item."""
    import dataclasses
    from bench.runner import plan_suite
    from bench.worker import Task, run_task
    out, _, (suite, opts, _) = small_run
    df = pd.read_csv(out / "rep" / "channel.csv")
    clean = df[df["p"] == 0]
    assert (clean["n_flipped"] == 0).all()
    plan = plan_suite(dataclasses.replace(suite, metrics=("stoi",)), opts)
    for info in plan.codecs:
        item = plan.items["speech-16k"][0]
        expected = run_task(Task(info, item, tuple(plan.metrics), str(tmp_path)))[0]["value"]
        got = clean[clean["codec"] == info.spec.name]["value"]
        assert np.allclose(got, expected, rtol=0, atol=1e-9), info.spec.name


@pytest.mark.slow
def test_metric_falls_monotonically_with_p_for_reference_codecs(small_run):
    out, _, _ = small_run
    df = pd.read_csv(out / "rep" / "channel.csv")
    for codec, g in df.groupby("codec"):
        means = g.groupby("p")["value"].mean().sort_index().to_numpy()
        assert np.all(np.diff(means) < 0), (codec, means)


@pytest.mark.slow
def test_flip_rate_in_rows_matches_p(small_run):
    out, _, _ = small_run
    df = pd.read_csv(out / "rep" / "channel.csv")
    for p, g in df[df["p"] > 0].groupby("p"):
        rate = g["n_flipped"].sum() / g["n_bits"].sum()
        n = g["n_bits"].sum()
        assert abs(rate - p) < 5 * np.sqrt(p * (1 - p) / n), (p, rate)


@pytest.mark.slow
def test_noise_locality_falls_with_snr(small_run):
    out, _, _ = small_run
    loc = pd.read_csv(out / "rep" / "locality.csv")
    noise = loc["condition"].str.endswith(" dB")
    for codec, g in loc[noise & (loc["field"] == "all") & (loc["measure"] == "within_one")].groupby("codec"):
        by = dict(zip(g["condition"], g["value"]))
        assert by["40 dB"] > by["20 dB"], codec


@pytest.mark.slow
def test_rerun_is_cached_and_identical(small_run):
    from bench.robustness.run import run_robustness
    out, _, (suite, opts, ropts) = small_run
    before = (out / "rep" / "channel.csv").read_text()
    entries = sorted(p.name for p in (out / "cache").rglob("*") if p.is_file())
    run_robustness(suite, opts, ropts, out / "rep", out / "cache")
    assert (out / "rep" / "channel.csv").read_text() == before
    assert sorted(p.name for p in (out / "cache").rglob("*") if p.is_file()) == entries   # nothing recomputed


@pytest.mark.parametrize("cfg", [{"name": "fsq", "levels": [4, 4, 4, 4, 4, 4, 4, 4]},
                                 {"name": "q2d2", "grid": "rhombic", "levels": [9, 9, 7, 7, 7, 7]}])
def test_latent_error_grows_with_p_for_every_packing(cfg):
    from bench.quantizers import build_quantizer_from_config
    torch.manual_seed(0)
    q = build_quantizer_from_config(cfg, 16)
    with torch.no_grad():
        z_hat, idx = q.quantize(torch.randn(1, 16, 400) * 2)
        geo = field_geometry(cfg)
        for scheme in applicable_schemes(q.codebook_sizes, q.field_sizes, geo):
            pk = make_packing(scheme, q.codebook_sizes, q.field_sizes, geo)
            bits = pk.pack(idx.numpy())
            errors = []
            for p in DEFAULT_PS:
                got = pk.unpack(binary_symmetric_channel(bits, p, 5).bits).indices
                errors.append(float((q.dequantize(torch.from_numpy(got)) - z_hat).square().mean()))
            assert errors[0] == 0.0 and all(np.diff(errors) > 0), (scheme, errors)


@pytest.mark.parametrize("argv,message", [
    (["--p", "0,0.7"], "[0, 0.5]"),
    (["--packings", "stream,huffman"], "allowed: stream, joint, field, field-gray"),
    (["--seeds", "a"], "integers"),
    (["--suite", "no-such-suite"], "no-such-suite"),
])
def test_cli_rejects_bad_arguments_before_any_work(argv, message, capsys, tmp_path):
    from bench.cli import main
    assert main(["robustness", "--out", str(tmp_path), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "robustness").exists()


def test_codespace_displacement_zero_at_p0_and_grows_with_p():
    from bench.robustness.codespace import QuantizerGeometry, displacement
    from bench.robustness.packing import FieldGeometry
    geo = QuantizerGeometry("rh", (FieldGeometry("rhombic", (4, 3)), FieldGeometry("rhombic", (3, 3))))
    for scheme in ("stream", "field", "field-gray"):
        d = [displacement(geo, scheme, p, 0, n_frames=3000)["rms_displacement"] for p in DEFAULT_PS]
        assert d[0] == 0.0 and all(np.diff(d) > 0), (scheme, d)


def test_codespace_finds_the_shipped_implicit_configs():
    from bench.paths import repo_root
    from bench.robustness.codespace import shipped_geometries
    geos = {g.name: g for g in shipped_geometries(repo_root() / "codecs" / "trained")}
    assert geos["fsq-800"].field_sizes == (4,) * 8
    assert all(not n.startswith(("rvq", "vq", "base")) for n in geos)


def test_codec_patterns_expand_over_the_catalog():
    from bench.config import ConfigError
    from bench.robustness.cli import expand_codecs
    assert expand_codecs(("pcm16-16k",)) == ("pcm16-16k",)
    assert set(expand_codecs(("mulaw-*",))) == {"mulaw-16k", "mulaw-8k"}
    with pytest.raises(ConfigError, match="matches no codec"):
        expand_codecs(("nothing-*",))


def test_geometry_of_catalog_codecs():
    from bench.codecs import get_spec
    from bench.robustness.run import locality_geometry, packing_geometry
    neu = packing_geometry(get_spec("neucodec"))          # no weights needed: from the definition
    assert [g.levels for g in neu[0]] == [(4,)] * 8 and all(g.kind == "line" for g in neu[0])
    pcm = get_spec("pcm16-16k")
    assert packing_geometry(pcm) is None
    info = type("Info", (), {"codebook_sizes": (65536,)})()
    assert locality_geometry(pcm, info)[0][0].levels == (65536,)


def test_relative_to_clean_divides_by_the_p0_mean():
    from bench.robustness.report import relative_to_clean
    s = pd.DataFrame({"codec": ["a"] * 3, "packing": ["stream"] * 3, "metric": ["stoi"] * 3,
                      "p": [0.0, 0.01, 0.1], "mean": [0.8, 0.6, 0.4], "lo": [0.7, 0.5, 0.3],
                      "hi": [0.9, 0.7, 0.5]})
    r = relative_to_clean(s)
    assert np.allclose(r["mean"], [1.0, 0.75, 0.5]) and np.allclose(r["lo"], [0.875, 0.625, 0.375])
