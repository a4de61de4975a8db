"""The training loop: `train(config_path) -> checkpoint`, resumable, seeded, logged.

Every model is trained by the same code: encoder, decoder, data, steps,
optimiser and seed come from the shared base recipe; only the quantizer block
differs. The run folder (default ``runs/train/<name>/``) holds:

- ``state.pt``: fp32 weights + optimiser state, atomically rewritten every
  `ckpt_every` steps; a rerun resumes from it (batches depend only on
  (seed, step), so a resumed run sees the same data);
- ``<name>-loss.csv`` / ``<name>-loss.png``: the loss curves;
- ``<name>.pt`` + ``<name>.json``: the fp16 export and its model card.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import torch
from tqdm import tqdm

from bench.device import describe_device, pick_device
from bench.paths import repo_root, resolve
from bench.train import card as cards
from bench.train.checkpoint import atomic_save, build_model, export
from bench.train.config import TrainConfig, load_train_config
from bench.train.data import TrainData, batch_at, load_train_data
from bench.train.losses import ReconstructionLoss
from bench.train.model import count_parameters


def learning_rate(step: int, total: int, cfg) -> float:
    """Linear warm-up over `warmup_steps`, then cosine from `lr` to `min_lr_ratio * lr` at `total`."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps))
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + (cfg.lr - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def _validate(model, loss_fn, data: TrainData, device) -> dict[str, float]:
    model.eval()
    with torch.no_grad():
        val = data.val.to(device)
        pred, q = model(val)
        parts = loss_fn(pred, val, q.aux_loss).as_floats()
    model.train()
    return parts


def default_out_dir(cfg: TrainConfig) -> Path:
    return repo_root() / "runs" / "train" / cfg.name


def train(config_path: str | Path, out_dir: str | Path | None = None, steps: int | None = None,
          device: str | None = None, resume: bool = True, threads: int | None = None,
          data_limit: int | None = None, progress: bool = True) -> Path:
    """Train (or finish training) one model and export it with its card.

    Args:
        config_path: model YAML (merged with its bases).
        out_dir: run folder; default ``runs/train/<name>``.
        steps: total steps (default: the config's); the LR schedule spans them.
        device: "cpu", "cuda", "auto" (default: `pick_device`).
        resume: continue from ``state.pt`` when present (same config required).
        threads: torch CPU threads (default: the config's `threads`, 0 = torch's choice).
        data_limit: use only the first N training files (tests).
        progress: show a tqdm bar.

    Returns:
        Path of the exported fp16 checkpoint ``<out_dir>/<name>.pt``.
    """
    cfg = load_train_config(config_path)
    total = int(steps if steps is not None else cfg.steps)
    out = resolve(out_dir) if out_dir else default_out_dir(cfg)
    out.mkdir(parents=True, exist_ok=True)
    dev = pick_device(device)
    n_threads = threads if threads is not None else cfg.threads
    if n_threads:
        torch.set_num_threads(n_threads)

    torch.manual_seed(cfg.seed)
    model = build_model(cfg).to(dev)
    loss_fn = ReconstructionLoss(cfg.loss, cfg.model.sample_rate).to(dev)
    o = cfg.optim
    opt = torch.optim.AdamW(model.parameters(), lr=o.lr, betas=tuple(o.betas), weight_decay=o.weight_decay)

    state_path = out / "state.pt"
    step, wall = 0, 0.0
    schedule = [[0, total]]       # [from step, total steps of the LR schedule], one entry per change
    if resume and state_path.is_file():
        state = torch.load(state_path, map_location=dev, weights_only=True)
        if state.get("recipe_sha256") != cfg.recipe_hash():
            raise ValueError(f"{state_path}: run was started with another config than {config_path}; "
                             f"use another out_dir or resume=False")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optim"])
        step, wall = int(state["step"]), float(state["wall_s"])
        torch.set_rng_state(state["rng"].cpu())   # CPU generator (CUDA RNG is not restored)
        schedule = [list(s) for s in state["schedule"]]
        if schedule[-1][1] != total:
            schedule.append([step, total])

    data = load_train_data(cfg.data, cfg.model.sample_rate, cfg.model.hop, limit=data_limit)
    log = cards.LossLog(out / f"{cfg.name}-loss.csv", step)
    sums: dict[str, float] = {}
    n_sum = 0

    def save() -> None:
        atomic_save({"step": step, "wall_s": wall, "recipe_sha256": cfg.recipe_hash(), "schedule": schedule,
                     "model": model.state_dict(), "optim": opt.state_dict(),
                     "rng": torch.get_rng_state()}, state_path)

    if step == 0:   # the untrained model's validation loss anchors the curve
        log.append({"step": 0, "split": "val", "lr": 0.0, "wall_s": 0.0,
                    **_validate(model, loss_fn, data, dev)})
    model.train()
    bar = tqdm(total=total, initial=step, desc=cfg.name, disable=not progress, mininterval=5)
    t0 = time.perf_counter()
    while step < total:
        lr = learning_rate(step, total, o)
        for g in opt.param_groups:
            g["lr"] = lr
        batch = batch_at(data, cfg.data, cfg.model.sample_rate, cfg.model.hop, cfg.seed, step).to(dev)
        pred, q = model(batch)
        parts = loss_fn(pred, batch, q.aux_loss)
        opt.zero_grad(set_to_none=True)
        parts.total.backward()
        if o.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), o.grad_clip)
        opt.step()
        step += 1
        bar.update(1)
        for k, v in parts.as_floats().items():
            sums[k] = sums.get(k, 0.0) + v
        n_sum += 1
        now = time.perf_counter()
        wall, t0 = wall + (now - t0), now
        if step % cfg.log_every == 0 or step == total:
            log.append({"step": step, "split": "train", "lr": lr, "wall_s": round(wall, 2),
                        **{k: v / n_sum for k, v in sums.items()}})
            bar.set_postfix(loss=f"{sums['total'] / n_sum:.3f}")
            sums, n_sum = {}, 0
        if step % cfg.val_every == 0 or step == total:
            log.append({"step": step, "split": "val", "lr": lr, "wall_s": round(wall, 2),
                        **_validate(model, loss_fn, data, dev)})
        if step % cfg.ckpt_every == 0 or step == total:
            save()
            t0 = time.perf_counter()      # exclude checkpoint I/O from the wall time
    bar.close()
    if not state_path.is_file():
        save()
    return _finish(cfg, model, out, step, wall, dev, data, n_threads, config_path, schedule)


def _finish(cfg: TrainConfig, model, out: Path, step: int, wall: float, dev, data: TrainData,
            n_threads: int, config_path, schedule: list) -> Path:
    """Export the fp16 checkpoint, plot the curves, write the card."""
    ckpt = out / f"{cfg.name}.pt"
    export(model, cfg, step, ckpt)
    csv_path = out / f"{cfg.name}-loss.csv"
    png_path = out / f"{cfg.name}-loss.png"
    cards.plot_losses(csv_path, png_path, f"{cfg.name} ({cfg.quantizer.get('name', '?')})")
    q = model.quantizer
    bits = float(q.bits_per_frame)
    bps = bits * cfg.model.frame_rate
    dev_note = describe_device(dev) + (f" ({n_threads} torch threads)" if dev.type == "cpu" else "")
    cards.write_card(
        out / f"{cfg.name}.json",
        name=cfg.name,
        config_file=str(config_path),
        config_sha256=cfg.hash(),
        config=cfg.to_dict(),
        data={"dataset": cfg.data.dataset, "n_train_files": data.n_train, "n_val_files": data.n_val,
              "train_seconds": round(data.seconds / cfg.model.sample_rate, 1),
              "manifest_sha256": data.manifest_hash},
        seed=cfg.seed,
        steps=step,
        lr_schedule=[{"from_step": a, "total_steps": b} for a, b in schedule],
        final_losses=cards.final_losses(csv_path),
        loss_curve_csv=csv_path.name,
        loss_curve_png=png_path.name,
        device=dev_note,
        wall_time_s=round(wall, 1),
        parameters=count_parameters(model),
        codebook_sizes=list(q.codebook_sizes),
        field_sizes=[list(f) for f in q.field_sizes] if q.field_sizes else None,
        bits_per_frame=bits,
        frame_rate=cfg.model.frame_rate,
        bitrate_bps=bps,
        rung_bps=cfg.rung_bps,
        rung_deviation=cards.rung_deviation(bps, cfg.rung_bps),
        checkpoint={"file": ckpt.name, "dtype": "float16 (floating tensors); runs in float32"},
    )
    return ckpt
