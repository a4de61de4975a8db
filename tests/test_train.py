"""Training recipe: config merging, loss decrease, resume, checkpoint export."""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
import torch

from bench.config import ConfigError
from bench.paths import repo_root
from bench.train.config import load_raw, load_train_config, merge
from bench.train.loop import learning_rate, train
from bench.train.ship import LENGTH_TIERS

BASE = repo_root() / "codecs" / "trained" / "base.yaml"

# A tiny model (same code path as the shipped ones) on 3 bundled training files.
TINY = f"""
base: {BASE}
name: tiny
steps: 12
log_every: 4
val_every: 4
ckpt_every: 4
model: {{dim: 32, enc_layers: 1, dec_layers: 1, up_dim: 16, up_layers: 1, latent_dim: 16}}
data: {{segment_s: 0.4, batch_size: 4, holdout: 1, val_segment_s: 0.6}}
optim: {{lr: 3.0e-3, warmup_steps: 0, min_lr_ratio: 1.0}}
quantizer: {{name: fsq, levels: [4, 4, 4, 4]}}
"""


def write_tiny(folder: Path, extra: str = "") -> Path:
    path = folder / "tiny.yaml"
    path.write_text(TINY + extra)
    return path


def rows(out: Path, split: str) -> list[dict[str, str]]:
    with open(out / "tiny-loss.csv", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["split"] == split]


def test_merge_replaces_quantizer_block_whole_and_merges_the_rest():
    base = {"quantizer": {"name": "fsq", "levels": [4] * 8}, "model": {"dim": 1, "hop": 320}}
    out = merge(base, {"quantizer": {"name": "vq", "codebook_size": 4}, "model": {"dim": 2}})
    assert out["quantizer"] == {"name": "vq", "codebook_size": 4}
    assert out["model"] == {"dim": 2, "hop": 320}
    assert base["model"]["dim"] == 1, "merge must not mutate its input"


def test_shipped_configs_differ_from_base_only_in_name_rung_and_quantizer():
    base = load_raw(BASE)
    configs = sorted((repo_root() / "codecs" / "trained").glob("*-*.yaml"))
    assert configs, "no model configs found"
    for path in configs:
        raw = load_raw(path)
        changed = sorted(k for k in set(raw) | set(base) if raw.get(k) != base.get(k))
        assert set(changed) <= {"name", "rung_bps", "quantizer"}, f"{path.name} changes {changed}"


@pytest.mark.parametrize("tier", LENGTH_TIERS[1:])
def test_tier_configs_differ_from_their_model_only_in_name_and_steps(tier):
    configs = sorted((repo_root() / "codecs" / "trained" / tier).glob("*.yaml"))
    assert configs
    for path in configs:
        raw = load_raw(path)
        short = load_raw(repo_root() / "codecs" / "trained" / f"{raw['name'].removesuffix('-' + tier)}.yaml")
        changed = sorted(k for k in set(raw) | set(short) if raw.get(k) != short.get(k))
        assert changed == ["name", "steps"], f"{path.name} changes {changed}"


def test_seed_configs_differ_from_their_model_only_in_name_and_seed():
    configs = sorted((repo_root() / "codecs" / "trained" / "seeds").glob("*.yaml"))
    assert len(configs) >= 10
    for path in configs:
        merged = load_train_config(path)
        base_name, seed = merged.name.rsplit("-seed", 1)
        tier = base_name.rsplit("-", 1)[-1]
        folder = tier if tier in LENGTH_TIERS else "."
        model = load_train_config(repo_root() / "codecs" / "trained" / folder / f"{base_name}.yaml")
        assert merged.seed == int(seed) != model.seed == 0, path.name
        same = dataclasses.replace(merged, name=model.name, seed=0, source_file=model.source_file)
        assert same == model, path.name


def test_ablation_configs_change_only_the_q2d2_bottleneck_and_length():
    base = load_raw(BASE)
    configs = sorted((repo_root() / "codecs" / "trained" / "ablation").glob("*.yaml"))
    assert configs
    for path in configs:
        raw = load_raw(path)
        changed = sorted(k for k in set(raw) | set(base) if raw.get(k) != base.get(k))
        assert set(changed) <= {"name", "rung_bps", "quantizer", "steps"}, f"{path.name} changes {changed}"
        assert raw["quantizer"]["name"] == "q2d2" and raw["steps"] == 2000


def test_unknown_key_names_file_and_key(tmp_path):
    path = write_tiny(tmp_path, "loss: {mel_wieght: 2.0}\n")
    with pytest.raises(ConfigError, match=r"tiny\.yaml.*mel_wieght"):
        load_train_config(path)


def test_learning_rate_warms_up_then_decays_to_floor():
    from bench.train.config import OptimConfig
    o = OptimConfig(lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert learning_rate(0, 100, o) == pytest.approx(0.1)
    assert learning_rate(9, 100, o) == pytest.approx(1.0)
    assert learning_rate(100, 100, o) == pytest.approx(0.1)
    lrs = [learning_rate(s, 100, o) for s in range(10, 101)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train")
    cfg = write_tiny(folder)
    ckpt = train(cfg, out_dir=folder / "run", threads=1, data_limit=3, progress=False)
    return cfg, folder / "run", ckpt


def test_a_few_steps_reduce_the_validation_loss(trained):
    _, out, ckpt = trained
    val = rows(out, "val")
    assert [int(r["step"]) for r in val] == [0, 4, 8, 12]
    assert float(val[-1]["total"]) < 0.8 * float(val[0]["total"])
    assert ckpt.is_file() and ckpt.stat().st_size < 8 * 2 ** 20


def test_card_records_provenance_and_checkpoint_hash(trained):
    import json

    from bench.datasets import sha256_file
    _, out, ckpt = trained
    card = json.loads((out / "tiny.json").read_text())
    assert card["checkpoint"]["sha256"] == sha256_file(ckpt)
    assert card["steps"] == 12 and card["seed"] == 0
    assert card["bits_per_frame"] == pytest.approx(8.0)
    assert card["bitrate_bps"] == pytest.approx(400.0)
    assert card["rung_deviation"] == pytest.approx(-0.5)      # base rung is 800 bit/s
    assert len(card["data"]["manifest_sha256"]) == 64
    assert (out / card["loss_curve_csv"]).is_file() and (out / card["loss_curve_png"]).is_file()


def test_resume_continues_exactly_where_it_stopped(trained, tmp_path):
    cfg, out, _ = trained
    straight = torch.load(out / "state.pt", weights_only=True)
    part = tmp_path / "run"
    train(cfg, out_dir=part, steps=8, threads=1, data_limit=3, progress=False)
    assert torch.load(part / "state.pt", weights_only=True)["step"] == 8
    train(cfg, out_dir=part, steps=12, threads=1, data_limit=3, progress=False)
    resumed = torch.load(part / "state.pt", weights_only=True)
    assert resumed["step"] == 12
    for k, v in straight["model"].items():
        assert torch.equal(v, resumed["model"][k]), f"{k} differs after resume"
    steps = [int(r["step"]) for r in rows(part, "train")]
    assert steps == [4, 8, 12], "resume must not duplicate or drop log rows"


def test_resume_refuses_a_run_of_another_config(trained, tmp_path):
    cfg, out, _ = trained
    other = tmp_path / "other.yaml"
    other.write_text(cfg.read_text() + "seed: 1\n")
    with pytest.raises(ValueError, match="another config"):
        train(other, out_dir=out, steps=12, threads=1, data_limit=3, progress=False)


def test_curve_summary_reports_flattening_and_since_when_the_ranking_holds(tmp_path):
    import json

    from bench.train.card import LOG_FIELDS
    from bench.train.ship import curve_summary
    curves = {"a-800-long": [1.0, 0.8, 0.6, 0.50, 0.40], "b-800-long": [1.0, 0.7, 0.65, 0.55, 0.45],
              "a-800-long-seed1": [1.0, 0.8, 0.6, 0.50, 0.47], "b-800-long-seed1": [1.0, 0.8, 0.6, 0.5, 0.44],
              "a-2000-long": [1.0, 0.5, 0.4, 0.3, 0.2], "a-2000-long-seed1": [1.0, 0.5, 0.4, 0.3, 0.25]}
    for name, mels in curves.items():    # b leads at step 100, a from step 200 on
        with open(tmp_path / f"{name}-loss.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, LOG_FIELDS)
            w.writeheader()
            w.writerows({**dict.fromkeys(LOG_FIELDS, 0), "step": 100 * i, "split": "val", "mel": m}
                        for i, m in enumerate(mels))
        (tmp_path / f"{name}.json").write_text(json.dumps(
            {"name": name, "steps": 400, "rung_bps": float(name.split("-")[1]),
             "loss_curve_csv": f"{name}-loss.csv"}))
    text = curve_summary(list(curves), folder=tmp_path)
    assert "| a-800-long | 400 | 0.6000 | 0.5000 | 0.4000 | -20.0% | -20.0% |" in text
    assert "| 800 | 400 steps | a-800-long < b-800-long | 200 |" in text   # seeds are not rung models
    # seed replicates: a wins with seed 0, b with seed 1, a by the mean (0.435 vs 0.445)
    assert "| a-long | 2 | 0.4000 / 0.4700 | 0.4350 | 0.0495 |" in text
    assert "| seed index 0 | a-long < b-long |" in text and "| seed index 1 | b-long < a-long |" in text
    assert "| mean over seeds | a-long < b-long |" in text
    # the same family at another rung is its own (single-set) table, not a clash
    assert "## Seed replicates, 800 bit/s, 400 steps" in text and "2000 bit/s" not in text


def test_fitted_change_is_a_least_squares_line_through_the_last_quarter():
    from bench.train.ship import _fitted_change
    # last quarter of 800 steps: 600, 700, 800 -> 0.50, 0.40, 0.45; the endpoints alone say -10%.
    # Line: slope (0.45 - 0.50) / 200, through the mean (700, 0.45); at 600 it is 0.475,
    # and over 200 steps it falls by 0.05: -0.05 / 0.475.
    curve = {0: 2.0, 200: 1.0, 400: 0.7, 600: 0.50, 700: 0.40, 800: 0.45}
    assert _fitted_change(curve, 800) == pytest.approx(-0.05 / 0.475)
