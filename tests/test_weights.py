"""Checkpoint lookup order, hashing and the messages for missing or corrupt files."""
from __future__ import annotations

import fractions
import hashlib

import pytest
import torch

from bench.codec import WeightsUnavailable
from bench.config import WeightsSpec
from bench.weights import (ChecksumMismatch, load_checkpoint, publisher_hash_prefix,
                           resolve_weights, sha256_file, verify_checksum, weights_status)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_sha256_file_matches_hashlib_and_follows_changes(tmp_path):
    f = _write(tmp_path / "a.bin", b"abc" * 1000)
    assert sha256_file(f) == hashlib.sha256(b"abc" * 1000).hexdigest()
    _write(f, b"different content")   # size changes, so the cache must not answer
    assert sha256_file(f) == hashlib.sha256(b"different content").hexdigest()


def test_publisher_hash_prefix_follows_torch_hub_names():
    assert publisher_hash_prefix("encodec_24khz-d7cc33bc.th") == "d7cc33bc"
    assert publisher_hash_prefix("/x/encodec_48khz-7e698e3e.th") == "7e698e3e"
    assert publisher_hash_prefix("weights_16khz_8kbps_0.0.5.pth") is None
    assert publisher_hash_prefix("my-model.th") is None          # not hex / too short


def test_verify_checksum_pinned_and_published(tmp_path):
    data = b"checkpoint bytes"
    sha = hashlib.sha256(data).hexdigest()
    f = _write(tmp_path / "model.th", data)
    assert verify_checksum(f) == sha
    assert verify_checksum(f, sha) == sha
    assert verify_checksum(f, sha[:8].upper()) == sha
    with pytest.raises(ChecksumMismatch, match="pinned in the codec YAML"):
        verify_checksum(f, "0" * 64)
    with pytest.raises(ChecksumMismatch, match="not 8 to 64 hex"):
        verify_checksum(f, "xyz")
    good = _write(tmp_path / f"model-{sha[:8]}.th", data)
    assert verify_checksum(good) == sha
    bad = _write(tmp_path / "encodec_24khz-d7cc33bc.th", data)
    with pytest.raises(ChecksumMismatch, match="d7cc33bc.*published in the file name"):
        verify_checksum(bad)


def test_resolve_order_env_then_yaml_then_cache(tmp_path, monkeypatch):
    env_file = _write(tmp_path / "env.pth", b"1")
    yaml_file = _write(tmp_path / "yaml.pth", b"2")
    cache_file = _write(tmp_path / "cache.pth", b"3")
    spec = WeightsSpec(path=str(yaml_file), env="BENCH_TEST_CKPT")
    monkeypatch.setenv("BENCH_TEST_CKPT", str(env_file))
    assert resolve_weights(spec, [cache_file], "test") == env_file
    monkeypatch.delenv("BENCH_TEST_CKPT")
    assert resolve_weights(spec, [cache_file], "test") == yaml_file
    assert resolve_weights(WeightsSpec(env="BENCH_TEST_CKPT"), [tmp_path / "nope", cache_file],
                           "test") == cache_file
    assert resolve_weights(None, [cache_file], "test") == cache_file


def test_explicit_missing_file_is_unavailable_not_a_fallthrough(tmp_path, monkeypatch):
    cache_file = _write(tmp_path / "cache.pth", b"3")
    monkeypatch.setenv("BENCH_TEST_CKPT", str(tmp_path / "missing.pth"))
    with pytest.raises(WeightsUnavailable, match="BENCH_TEST_CKPT=.*missing.pth is not a file"):
        resolve_weights(WeightsSpec(env="BENCH_TEST_CKPT"), [cache_file], "test")
    monkeypatch.delenv("BENCH_TEST_CKPT")
    with pytest.raises(WeightsUnavailable, match="weights.path .*gone.pth is not a file"):
        resolve_weights(WeightsSpec(path=str(tmp_path / "gone.pth")), [cache_file], "test")


def test_unavailable_message_says_where_to_put_the_file(tmp_path):
    cache = tmp_path / "cache" / "weights_16khz.pth"
    spec = WeightsSpec(env="BENCH_X_CKPT")
    with pytest.raises(WeightsUnavailable) as info:
        resolve_weights(spec, [cache], "Model X", fetch_hint="run `fetch-x`", config_file="codecs/x.yaml")
    msg = str(info.value)
    for part in ("Model X", "set BENCH_X_CKPT=", str(cache), "weights.path in codecs/x.yaml",
                 "run `fetch-x`"):
        assert part in msg
    status = weights_status(spec, [cache], "Model X")
    assert status.startswith("missing: ") and "BENCH_X_CKPT" in status
    cache.parent.mkdir()
    _write(cache, b"w")
    assert weights_status(spec, [cache], "Model X") == f"present: {cache}"


def test_load_checkpoint_tensors_objects_and_garbage(tmp_path):
    plain = tmp_path / "plain.pth"
    torch.save({"w": torch.ones(2), "meta": {"kwargs": {"rates": [2, 4]}}}, plain)
    obj, note = load_checkpoint(plain)
    assert note is None and obj["meta"]["kwargs"]["rates"] == [2, 4]

    fancy = tmp_path / "fancy.pth"
    torch.save({"w": torch.ones(2), "ratio": fractions.Fraction(1, 3)}, fancy)  # not tensors-only
    obj, note = load_checkpoint(fancy)
    assert obj["ratio"] == fractions.Fraction(1, 3) and "weights_only=False" in note

    garbage = _write(tmp_path / "garbage.pth", b"this is not a checkpoint")
    with pytest.raises(ValueError, match="garbage.pth: not a readable torch checkpoint"):
        load_checkpoint(garbage)
