"""Model cards (JSON beside each exported checkpoint) and the loss-curve log and plot.

The card is the provenance of a shipped checkpoint: merged config and its hash,
training-data manifest hash, steps, seed, final losses, device, wall time,
versions, the checkpoint's sha256 and its exact bitrate against its rung.
File references inside a card are relative to the card's folder, so a run
folder can be copied into `codecs/trained/` unchanged.
"""
from __future__ import annotations

import csv
import json
import platform
from pathlib import Path
from typing import Any

import torch

from bench.datasets import sha256_file

LOG_FIELDS = ("step", "split", "total", "mel", "stft", "wave", "aux", "lr", "wall_s")


def rung_deviation(bitrate_bps: float, rung_bps: float) -> float | None:
    """Relative distance of a bitrate from its rung ((bitrate - rung) / rung); None without a rung."""
    return (bitrate_bps - rung_bps) / rung_bps if rung_bps > 0 else None


class LossLog:
    """Append-only CSV of loss rows; on resume, rows after the resumed step are dropped."""

    def __init__(self, path: Path, resume_step: int):
        self.path = path
        rows = self.read(path) if path.is_file() else []
        keep = [r for r in rows if int(r["step"]) <= resume_step]
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, LOG_FIELDS)
            writer.writeheader()
            writer.writerows(keep)

    def append(self, row: dict[str, Any]) -> None:
        with open(self.path, "a", newline="") as fh:
            csv.DictWriter(fh, LOG_FIELDS).writerow({k: row[k] for k in LOG_FIELDS})

    @staticmethod
    def read(path: Path) -> list[dict[str, str]]:
        with open(path, newline="") as fh:
            return list(csv.DictReader(fh))


def plot_losses(csv_path: Path, png_path: Path, title: str) -> None:
    """Train (smoothed log) and validation total/mel losses against step, log-scale y."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = LossLog.read(csv_path)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for split, style in (("train", "-"), ("val", "o-")):
        sel = [r for r in rows if r["split"] == split]
        if sel:
            steps = [int(r["step"]) for r in sel]
            ax.plot(steps, [float(r["total"]) for r in sel], style, ms=3, label=f"{split} total")
            ax.plot(steps, [float(r["mel"]) for r in sel], style, ms=3, alpha=0.6, label=f"{split} mel")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def final_losses(csv_path: Path, window: int = 4) -> dict[str, dict[str, float]]:
    """Mean of the last `window` train rows and the last validation row."""
    rows = LossLog.read(csv_path)
    out: dict[str, dict[str, float]] = {}
    train = [r for r in rows if r["split"] == "train"][-window:]
    val = [r for r in rows if r["split"] == "val"][-1:]
    keys = ("total", "mel", "stft", "wave", "aux")
    if train:
        out["train_last_%d_logs" % len(train)] = {k: sum(float(r[k]) for r in train) / len(train) for k in keys}
    if val:
        out["val"] = {k: float(val[0][k]) for k in keys} | {"step": int(val[0]["step"])}
    return out


def write_card(path: Path, **fields: Any) -> dict[str, Any]:
    """Write the JSON model card; adds versions and the checkpoint's sha256 and size."""
    ckpt = path.parent / fields["checkpoint"]["file"]
    fields["checkpoint"] = {**fields["checkpoint"], "sha256": sha256_file(ckpt), "bytes": ckpt.stat().st_size}
    fields["versions"] = {"torch": torch.__version__, "python": platform.python_version()}
    path.write_text(json.dumps(fields, indent=2, sort_keys=False) + "\n")
    return fields
