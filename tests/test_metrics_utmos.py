"""UTMOS: unavailable with a clear message offline, numbers once a checkpoint exists.

No real UTMOS checkpoint is available offline, so the loading path is
exercised with the real architecture holding random weights, saved to a
temporary file.
"""
from __future__ import annotations

import hashlib
import math
import warnings

import pytest

from bench.audio import load_mono
from bench.codec import WeightsUnavailable
from bench.metrics import utmos
from bench.metrics.utmos import ENV_VAR, HF_FILE, HF_REPO, Utmos, resolve_checkpoint


@pytest.fixture()
def offline(tmp_path, monkeypatch):
    """No checkpoint anywhere: empty repo root and Hugging Face cache; downloads fail loudly."""
    import huggingface_hub
    import utmos_pytorch.utils

    def no_download(*args, **kwargs):
        raise AssertionError("UTMOS tried to download")

    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("BENCH_ROOT", str(tmp_path / "repo"))
    monkeypatch.setattr(utmos, "HF_CACHE_DIR", str(tmp_path / "hf"))
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_download)
    monkeypatch.setattr(utmos_pytorch.utils, "hf_hub_download", no_download)
    return tmp_path


def test_unavailable_message_says_where_to_put_the_file(offline):
    metric = Utmos()
    with pytest.raises(WeightsUnavailable) as err:
        metric.load()
    default = offline / "repo" / ".cache" / "utmos" / HF_FILE
    message = str(err.value)
    assert message.startswith(f"UTMOS (UTMOS22 strong) checkpoint {HF_FILE} not found. "
                              f"Put the file at {default} or set {ENV_VAR}=/path/to/{HF_FILE}.")
    assert f"huggingface-cli download {HF_REPO} {HF_FILE}" in message
    assert str(offline / "hf") in message
    assert metric.model is None


def test_env_var_pointing_nowhere_is_an_error(offline, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(offline / "missing.pt"))
    with pytest.raises(WeightsUnavailable, match=f"{ENV_VAR}=.*missing.pt is not a file"):
        resolve_checkpoint()


def test_lookup_order_env_then_configured_then_default_then_hf_cache(offline, monkeypatch):
    snapshot = offline / "hf" / f"models--{HF_REPO.replace('/', '--')}" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("abc123")
    (snapshot / HF_FILE).write_bytes(b"hf")
    assert resolve_checkpoint() == (snapshot / HF_FILE, "Hugging Face cache")
    default = offline / "repo" / ".cache" / "utmos" / HF_FILE
    default.parent.mkdir(parents=True)
    default.write_bytes(b"default")
    assert resolve_checkpoint() == (default, "default path")
    (offline / "repo" / "cfg.pt").write_bytes(b"configured")
    assert resolve_checkpoint("cfg.pt") == (offline / "repo" / "cfg.pt", "configured path")
    monkeypatch.setenv(ENV_VAR, str(default))
    assert resolve_checkpoint("cfg.pt") == (default, f"${ENV_VAR}")


def test_pinned_sha256_mismatch_is_refused(offline, monkeypatch):
    fake = offline / "fake.pt"
    fake.write_bytes(b"not a checkpoint")
    monkeypatch.setenv(ENV_VAR, str(fake))
    with pytest.raises(WeightsUnavailable, match="does not match 00000000"):
        Utmos(sha256="00000000").load()


@pytest.fixture(scope="module")
def random_checkpoints(tmp_path_factory):
    """The real UTMOS22 architecture with seeded random weights, saved as the library expects,
    plus a copy lacking one parameter."""
    import torch
    from utmos_pytorch.utmos_torch import UTMOSModel

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        state = UTMOSModel().state_dict()
    folder = tmp_path_factory.mktemp("utmos")
    torch.save(state, folder / "random.pt")
    state.pop("output_layers.1.net.3.bias")
    torch.save(state, folder / "incomplete.pt")
    return folder / "random.pt", folder / "incomplete.pt"


@pytest.mark.slow
def test_checkpoint_turns_rows_into_numbers(offline, monkeypatch, random_checkpoints, speech_files):
    good, incomplete = random_checkpoints
    monkeypatch.setenv(ENV_VAR, str(incomplete))
    with pytest.raises(WeightsUnavailable, match="1 model parameters missing .*net.3.bias"):
        Utmos().load()

    monkeypatch.setenv(ENV_VAR, str(good))
    metric = Utmos(device="cpu")
    metric.load()
    path = next(p for p in speech_files if p.stem == "2033-164914-0003")
    x = load_mono(path, 16000)[0][:24000]
    value = metric(None, x)["utmos"]
    assert math.isfinite(value)
    # Regression pin for the loading + scoring path with seed-0 random weights
    # (torch 2.14.1, CPU); not a quality value.
    assert value == pytest.approx(3.207380533218384, abs=1e-3)
    prov = metric.provenance()
    assert prov["sha256"] == hashlib.sha256(good.read_bytes()).hexdigest()
    assert prov["found_in"] == f"${ENV_VAR}" and prov["unexpected_keys"] == 0
    assert prov["checkpoint"] == str(good)
