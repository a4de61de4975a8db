"""Measure what DNSMOS scoring costs beyond its ONNX compute.

    python -m bench.metrics.dnsmos_cost data/speech-16k --clips 10 [--speechmos] [--workers 2]

Costs are CPU seconds of the scoring thread (`time.thread_time`), which a
busy shared machine disturbs much less than wall time. Printed:

* ours: CPU in `DnsmosScorer.__call__` vs CPU inside ``session.run`` -> overhead %;
  one-off setup (imports, sessions, mel matrix) separately;
* speechmos (``--speechmos``): process CPU and wall time of
  ``speechmos.dnsmos.run`` on the same clips, for comparison;
* workers (``--workers``): wall time of `dnsmos_many` vs one process, and the
  ONNX CPU time divided by the number of workers (perfect scaling on idle cores).

The numbers measured on the development machine are in the docstring of
`bench.metrics.dnsmos`.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import soundfile as sf


def _load(folder: Path, n: int) -> list[np.ndarray]:
    clips = []
    for path in sorted(folder.glob("*.flac"))[:n]:
        audio, rate = sf.read(path, dtype="float64")
        if rate != 16000 or audio.ndim != 1:
            raise SystemExit(f"{path}: need 16 kHz mono, got {rate} Hz shape {audio.shape}")
        clips.append(audio)
    return clips


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--speechmos", action="store_true", help="also time speechmos.dnsmos.run")
    parser.add_argument("--workers", type=int, default=0, help="also time dnsmos_many")
    args = parser.parse_args(argv)
    clips = _load(args.folder, args.clips)

    t0 = time.thread_time()
    from bench.metrics.dnsmos import DnsmosScorer, dnsmos_many
    scorer = DnsmosScorer()
    setup = time.thread_time() - t0
    scorer(clips[0])                                  # warm-up, not counted
    scorer.cpu_total = scorer.cpu_onnx = 0.0
    scorer.windows = 0
    wall_ours = time.perf_counter()
    ours = [scorer(c) for c in clips]
    wall_ours = time.perf_counter() - wall_ours
    over = scorer.cpu_total - scorer.cpu_onnx
    print(f"{len(clips)} clips, {scorer.windows} windows")
    print(f"ours: CPU {scorer.cpu_total:.2f} s, of which ONNX {scorer.cpu_onnx:.2f} s "
          f"({scorer.cpu_onnx / scorer.windows * 1e3:.0f} ms/window); overhead {over:.3f} s = "
          f"{100 * over / scorer.cpu_onnx:.2f} % of ONNX; wall {wall_ours:.2f} s; setup CPU {setup:.2f} s")

    if args.speechmos:
        import speechmos.dnsmos as sm
        sm.run(clips[0], 16000)                       # warm-up: sessions and librosa JIT
        cpu, wall = time.process_time(), time.perf_counter()
        theirs = [sm.run(c, 16000) for c in clips]
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        worst = max(abs(a.p808 - b["p808_mos"]) + abs(a.ovrl - b["ovrl_mos"])
                    for a, b in zip(ours, theirs))
        print(f"speechmos: process CPU {cpu:.2f} s ({100 * (cpu / scorer.cpu_onnx - 1):.1f} % "
              f"above our ONNX CPU), wall {wall:.2f} s; max |difference| {worst:.2e}")

    if args.workers:
        single = wall_ours
        wall = time.perf_counter()
        dnsmos_many(clips, workers=args.workers)
        wall = time.perf_counter() - wall
        print(f"dnsmos_many, {args.workers} workers: wall {wall:.2f} s incl. pool start-up; "
              f"1 process {single:.2f} s (speed-up {single / wall:.2f}x); ONNX CPU / workers "
              f"{scorer.cpu_onnx / args.workers:.2f} s (reachable only on idle cores)")

if __name__ == "__main__":
    main()
