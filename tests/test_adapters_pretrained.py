"""Shared adapter machinery: params validation, checked state loading, model sharing."""
from __future__ import annotations

import pytest
import torch

from bench.codecs.pretrained import (OperatingPoint, load_state_checked, read_params, shared_model,
                                     clear_model_cache)
from bench.config import CodecSpec, ConfigError


def net() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))


def test_load_state_checked_accepts_a_matching_state():
    source, target = net(), net()
    load_state_checked(target, source.state_dict(), "ckpt")
    assert all(torch.equal(a, b) for a, b in zip(source.state_dict().values(), target.state_dict().values()))


@pytest.mark.parametrize("edit,match", [
    (lambda s: s.pop("1.bias"), r"1 missing tensors \(e.g. 1.bias\)"),
    (lambda s: s.update({"2.weight": torch.zeros(1)}), r"1 unexpected tensors \(e.g. 2.weight\)"),
    (lambda s: s.update({"0.weight": torch.zeros(5, 3)}), r"0.weight \(5, 3\) vs \(4, 3\)"),
])
def test_load_state_checked_names_every_kind_of_mismatch(edit, match):
    state = net().state_dict()
    edit(state)
    with pytest.raises(ValueError, match=f"ckpt: checkpoint does not fit the architecture: .*{match}"):
        load_state_checked(net(), state, "ckpt")


def test_load_state_checked_rejects_non_tensor_files_and_honours_ignore_missing():
    with pytest.raises(ValueError, match="expected a state dict of tensors"):
        load_state_checked(net(), {"0.weight": [1, 2]}, "ckpt")
    state = net().state_dict()
    del state["0.bias"]
    load_state_checked(net(), state, "ckpt", ignore_missing=lambda k: k.startswith("0."))


def test_read_params_defaults_types_and_errors():
    spec = CodecSpec("x", "dac", {"model": "16khz"}, source_file="codecs/x.yaml")
    assert read_params(spec, {"model": str, "n": int}, ("model",), {"n": 3}) == {"model": "16khz", "n": 3}
    with pytest.raises(ConfigError, match="codecs/x.yaml: codec 'x': missing param 'n'"):
        read_params(spec, {"model": str, "n": int}, ("model", "n"))
    flag = CodecSpec("x", "dac", {"n": True})
    with pytest.raises(ConfigError, match="'n' must be int, got True"):
        read_params(flag, {"n": int}, ())


def test_shared_model_builds_once_per_key():
    calls = []

    def build():
        calls.append(1)
        return net(), [f"built {len(calls)}"]

    clear_model_cache()
    a, notes = shared_model(("k", 1), build)
    assert not a.training and notes == ["built 1"]
    assert shared_model(("k", 1), build) == (a, ["built 1"]) and len(calls) == 1
    assert shared_model(("k", 2), build)[0] is not a and len(calls) == 2
    clear_model_cache()
    assert shared_model(("k", 1), build)[0] is not a


def test_operating_point_describe_uses_the_bitrate_conventions():
    op = OperatingPoint(16000, 50.0, (65536,), output_sample_rate=24000, field_sizes=((4,) * 8,))
    assert op.describe() == {"sample_rate": 16000, "output_sample_rate": 24000, "frame_rate": 50.0,
                             "codebook_sizes": (65536,), "nominal_bitrate": 800.0, "token_rate": 50.0,
                             "field_sizes": ((4,) * 8,)}
    assert "field_sizes" not in OperatingPoint(16000, 50.0, (1024,) * 4).describe()
