"""The robustness pipeline on trained-family codecs (random-init exports: the path, not the quality).

Untrained weights are enough to check that FSQ, Q2D2 and RVQ codes go through
every packing losslessly at p = 0, that out-of-range codewords are counted,
and that the seed-pair probe finds and compares two seeds of one config.
"""
from __future__ import annotations

import pandas as pd
import pytest
import torch

from bench.paths import repo_root

QUANTIZERS = {
    "t-fsq": "{name: fsq, levels: [4, 4, 4, 4, 4, 4, 4, 4]}",
    "t-q2d2": "{name: q2d2, grid: rhombic, levels: [4, 3, 4, 3, 4, 3, 3, 3]}",
    "t-rvq": "{name: rvq, n_stages: 2, codebook_size: 256, codebook_dim: 8}",
}


def _export(folder, name, quantizer, seed):
    from bench.config import CodecSpec, WeightsSpec
    from bench.train.checkpoint import build_model, export
    from bench.train.config import load_train_config
    cfg_path = folder / f"{name}.yaml"
    cfg_path.write_text(f"base: {repo_root() / 'codecs' / 'trained' / 'base.yaml'}\nname: {name}\n"
                        f"seed: {seed}\nquantizer: {quantizer}\n")
    cfg = load_train_config(cfg_path)
    torch.manual_seed(seed)
    export(build_model(cfg), cfg, 0, folder / f"{name}.pt")
    return CodecSpec(name=name, family="trained", params={"config": str(cfg_path)},
                     weights=WeightsSpec(path=str(folder / f"{name}.pt")), description="random init",
                     source_file="test")


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    from bench.codecs import load_codec_specs
    from bench.config import SuiteSpec
    from bench.registry import CODECS
    from bench.robustness.experiment import ChannelConfig
    from bench.robustness.run import RobustnessOptions, run_robustness
    from bench.runner import RunOptions
    folder = tmp_path_factory.mktemp("trained")
    load_codec_specs()
    specs = [_export(folder, n, q, 0) for n, q in QUANTIZERS.items()]
    specs.append(_export(folder, "t-fsq-seed1", QUANTIZERS["t-fsq"], 1))
    with pytest.MonkeyPatch.context() as mp:
        for spec in specs:
            mp.setitem(CODECS._items, spec.name, spec)
        suite = SuiteSpec(name="t", codecs=tuple(QUANTIZERS), datasets=("speech-16k",), metrics=("stoi",))
        opts = RunOptions(executor="serial", max_items=1, progress=False)
        ropts = RobustnessOptions(channel=ChannelConfig(ps=(0.0, 0.1), seeds=(0,)), metrics=("stoi",),
                                  snrs_db=(30.0,))
        run_robustness(suite, opts, ropts, folder / "rep", folder / "cache")
    return folder / "rep"


@pytest.mark.slow
def test_every_packing_of_implicit_and_multistream_codecs_runs(trained_run):
    df = pd.read_csv(trained_run / "channel.csv")
    got = {c: sorted(set(g["packing"])) for c, g in df.groupby("codec")}
    assert got == {"t-fsq": ["field", "field-gray", "stream"], "t-q2d2": ["field", "field-gray", "stream"],
                   "t-rvq": ["joint", "stream"]}
    assert set(df["status"]) <= {"ok", "warn"}
    clean = df[df["p"] == 0]
    assert (clean["n_out_of_range"] == 0).all()
    for codec, g in clean.groupby("codec"):           # p = 0: every packing decodes the same audio
        assert g["value"].nunique() == 1, codec


@pytest.mark.slow
def test_out_of_range_codewords_are_counted(trained_run):
    df = pd.read_csv(trained_run / "channel.csv")
    q = df[(df["codec"] == "t-q2d2") & (df["p"] == 0.1)].set_index("packing")
    # stream: 18*13*13*13 = 39546 codes in 16 bits, so most random words are out of range
    assert q.loc["stream", "n_out_of_range"] > 0
    fsq = df[(df["codec"] == "t-fsq") & (df["p"] == 0.1)]
    assert (fsq["n_out_of_range"] == 0).all()         # 4 levels fill 2 bits exactly


@pytest.mark.slow
def test_seed_pair_probe_runs_on_seed_twins(trained_run):
    loc = pd.read_csv(trained_run / "locality.csv")
    pairs = loc[loc["probe"] == "seed-pair"]
    assert "t-fsq vs t-fsq-seed1" in set(pairs["codec"])     # (shipped seed twins may add pairs)
    pairs = pairs[pairs["codec"] == "t-fsq vs t-fsq-seed1"]
    dims = pairs[(pairs["measure"] == "within_one") & (pairs["field"].str.startswith("dim"))]
    assert len(dims) == 8 and dims["value"].between(0, 1).all()
    assert "Seed pairs: run on" in (trained_run / "report.md").read_text()
