"""Channel robustness and code locality of codecs (issue 8).

- `packing`: Codes <-> fixed-length bitstreams (stream, joint, field, field-gray).
- `gray`: Gray codes of FSQ levels and snake-path Gray orderings of Q2D2 grids.
- `channel`: seeded binary symmetric channel.
- `experiment`: pack -> flip -> unpack -> decode -> score, cached per unit.
- `locality`, `probes`: are codes of nearby inputs (or of two seeds) nearby?
- `run`, `report`, `cli`: `run_bench.py robustness --suite ...`.
"""
