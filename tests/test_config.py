import textwrap

import pytest

from bench.config import CodecSpec, ConfigError, SuiteSpec, from_dict, load_yaml


def test_valid_suite_parses_into_frozen_dataclass():
    s = from_dict(SuiteSpec, {"name": "x", "codecs": ["a"], "datasets": ["d"], "metrics": ["m"]}, "f.yaml")
    assert s.codecs == ("a",) and s.max_items is None
    with pytest.raises(Exception):
        s.name = "y"


def test_unknown_key_names_file_and_key():
    with pytest.raises(ConfigError, match=r"suite\.yaml: unknown key\(s\) \['codec'\]"):
        from_dict(SuiteSpec, {"name": "x", "codec": ["a"], "datasets": [], "metrics": []}, "suite.yaml")


def test_wrong_type_names_key_path():
    with pytest.raises(ConfigError, match=r"s\.yaml\.max_items: expected an integer or null, got str"):
        from_dict(SuiteSpec, {"name": "x", "codecs": [], "datasets": [], "metrics": [],
                              "max_items": "ten"}, "s.yaml")
    with pytest.raises(ConfigError, match=r"codecs\[1\]: expected str"):
        from_dict(SuiteSpec, {"name": "x", "codecs": ["a", 3], "datasets": [], "metrics": []}, "s.yaml")


def test_missing_required_key():
    with pytest.raises(ConfigError, match="missing required key 'family'"):
        from_dict(CodecSpec, {"name": "x"}, "c.yaml")


def test_nested_dataclass_is_validated():
    spec = from_dict(CodecSpec, {"name": "x", "family": "dac", "weights": {"env": "X", "sha256": "ab"}}, "c")
    assert spec.weights.env == "X"
    with pytest.raises(ConfigError, match=r"c\.weights: unknown key\(s\) \['sha'\]"):
        from_dict(CodecSpec, {"name": "x", "family": "dac", "weights": {"sha": "ab"}}, "c")


def test_bad_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_yaml(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_yaml(tmp_path / "nope.yaml")


def test_codec_yaml_errors_name_file(tmp_path):
    from bench.codecs import load_codec_specs
    (tmp_path / "codecs").mkdir()
    (tmp_path / "codecs" / "x.yaml").write_text(textwrap.dedent("""
        codecs:
          - name: a
            family: pcmm
            params: {sample_rate: 16000, bits: 16}
    """))
    with pytest.raises(ConfigError, match=r"x\.yaml: codecs\[0\].*Did you mean 'pcm'"):
        load_codec_specs(tmp_path / "codecs")


def _committed_suites():
    from bench.paths import repo_root
    return sorted((repo_root() / "suites").glob("*.yaml"))


@pytest.mark.parametrize("path", _committed_suites(), ids=lambda p: p.stem)
def test_committed_suite_passes_preflight_with_its_trained_checkpoints_shipped(path):
    """The run's own preflight (names, dataset hashes, metric loading, checkpoint sha256) accepts
    every committed suite, and no trained codec is "weights unavailable": they ship in the repository."""
    from bench.codecs import get_spec
    from bench.runner import RunOptions, load_suite, plan_suite

    plan = plan_suite(load_suite(str(path)), RunOptions())   # PreflightError lists every problem
    assert plan.suite.name == path.stem
    missing = {c: msg for c, msg in plan.unavailable_codecs.items() if get_spec(c).family == "trained"}
    assert not missing, missing
