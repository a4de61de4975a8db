"""Regression check of a retrained codec against a baseline (`run_bench.py regress`).

Modules, from pure core to I/O edge:

- `tolerances`: the per-metric tolerance file (YAML) and bootstrap settings;
- `verdict`: improved / unchanged / regressed / inconclusive from a paired CI;
- `pairing`: per-item pairs of baseline and candidate rows, with every
  missing item and failed row listed;
- `rates`: bitrate, token rate, sample rate and frame rate must not change
  unless the candidate declares it;
- `core`: `evaluate` (rows in, `RegressReport` out) and `run_regression`
  (resolve sources, score, evaluate);
- `sources` / `scoring`: results files, codec names and checkpoints as inputs;
- `report`: Markdown, JSON and the per-item difference plot;
- `golden`: the committed golden baselines in ``reports/golden/``;
- `cli`: the ``regress`` and ``golden`` subcommands.
"""
