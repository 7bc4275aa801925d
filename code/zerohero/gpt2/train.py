"""GPT-2's training loop, with the recipe of build-nanogpt's
``train_gpt2.py``: AdamW with weight decay on the matrices, gradient
clipping, a cosine learning rate after a linear warm-up, gradient
accumulation to a batch counted in tokens, and distributed data parallel.

One process::

    python -m zerohero.gpt2.train --data-root DIR --max-steps 100

N processes (gloo on the CPU, NCCL on CUDA GPUs)::

    torchrun --standalone --nproc_per_node=N -m zerohero.gpt2.train ...

The speed switches go on by device: TF32 matmuls and ``torch.compile`` on
CUDA, bfloat16 autocast where the hardware multiplies in bfloat16 (CUDA
GPUs, recent CPUs), the fused AdamW kernel where PyTorch has one.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from zerohero import atomic
from zerohero.gpt2.data import DataLoaderLite
from zerohero.gpt2.model import GPT, GPTConfig


@dataclass
class TrainConfig:
    """The defaults are the lecture's run: 10B tokens of FineWeb-Edu."""

    data_root: str = "edu_fineweb10B"
    log_dir: str = "log"
    total_batch_size: int = 524288  # tokens per optimizer step, 2**19
    B: int = 64  # micro-batch rows per process
    T: int = 1024  # tokens per row
    max_lr: float = 6e-4
    min_lr: float = 6e-5
    warmup_steps: int = 715
    max_steps: int = 19073  # one epoch of 10B tokens
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    val_every: int = 250
    val_steps: int = 20
    checkpoint_every: int = 5000  # 0: never
    resume: bool = False  # go on from the latest checkpoint in log_dir
    seed: int = 1337
    device: str = "auto"  # auto: cuda, then mps, then cpu
    bf16: str = "auto"  # autocast to bfloat16; auto: where it is native
    compile: str = "auto"  # torch.compile; auto: on CUDA
    verbose: bool = True


def get_lr(it: int, cfg: TrainConfig) -> float:
    """Linear warm-up to ``max_lr``, then a cosine down to ``min_lr``."""
    if it < cfg.warmup_steps:
        return cfg.max_lr * (it + 1) / cfg.warmup_steps
    if it > cfg.max_steps:
        return cfg.min_lr
    decay_ratio = (it - cfg.warmup_steps) / (cfg.max_steps - cfg.warmup_steps)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0
    return cfg.min_lr + coeff * (cfg.max_lr - cfg.min_lr)


def setup_distributed(device: str = "auto"):
    """Rank, world size and device of this process. ``torchrun`` sets
    ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE``; without them, one process."""
    if int(os.environ.get("RANK", -1)) != -1:
        rank = int(os.environ["RANK"])
        local_rank = int(os.environ["LOCAL_RANK"])
        world_size = int(os.environ["WORLD_SIZE"])
        if torch.cuda.is_available() and device in ("auto", "cuda"):
            dist.init_process_group(backend="nccl")
            device = f"cuda:{local_rank}"
            torch.cuda.set_device(device)
        else:
            dist.init_process_group(backend="gloo")
            device = "cpu"
        return True, rank, world_size, device
    if device == "auto":
        device = "cpu"
        if torch.cuda.is_available():
            device = "cuda"
        elif torch.backends.mps.is_available():
            device = "mps"
    return False, 0, 1, device


def native_bf16(device_type: str) -> bool:
    """Whether this device multiplies in bfloat16 in hardware: CUDA GPUs,
    and CPUs with AVX512-BF16 or AMX (x86) or BF16 (ARM)."""
    if device_type == "cpu":
        caps = torch.cpu.get_capabilities()
        return any(caps.get(k) for k in ("avx512_bf16", "amx_bf16", "bf16"))
    return device_type == "cuda"


def by_device(switch: str, auto: bool) -> bool:
    return auto if switch == "auto" else switch == "on"


def checkpoints(log_dir) -> list[Path]:
    return sorted(Path(log_dir).glob("model_*.pt"))


def save_checkpoint(obj, path: Path) -> None:
    """Write to a temporary file, then rename: a run killed while saving
    leaves the previous checkpoint, never half of one."""
    atomic.save(obj, path)


@torch.no_grad()
def val_loss(model, loader, steps: int, device, bf16: bool) -> torch.Tensor:
    """Mean loss over the first ``steps`` batches of the val split."""
    model.eval()
    loader.reset()
    loss_accum = torch.zeros((), device=device)
    for _ in range(steps):
        x, y = loader.next_batch()
        x, y = x.to(device), y.to(device)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16,
                            enabled=bf16):
            _, loss = model(x, y)
        loss_accum += loss.detach() / steps
    model.train()
    return loss_accum


def train(config: GPTConfig, cfg: TrainConfig):
    """Train a GPT from scratch (or from the latest checkpoint); on rank 0
    the trained model and the log (a dict a step), elsewhere None."""
    ddp, rank, world_size, device = setup_distributed(cfg.device)
    master_process = rank == 0  # it alone logs and writes checkpoints
    device = torch.device(device)
    bf16 = by_device(cfg.bf16, native_bf16(device.type))
    if device.type == "cuda":
        torch.set_float32_matmul_precision("high")  # TF32 matmuls

    assert cfg.total_batch_size % (cfg.B * cfg.T * world_size) == 0
    grad_accum_steps = cfg.total_batch_size // (cfg.B * cfg.T * world_size)
    train_loader = DataLoaderLite(cfg.B, cfg.T, rank, world_size, "train",
                                  cfg.data_root)
    val_loader = DataLoaderLite(cfg.B, cfg.T, rank, world_size, "val",
                                cfg.data_root)

    torch.manual_seed(cfg.seed)
    model = GPT(config).to(device)
    optimizer = model.configure_optimizers(cfg.weight_decay, cfg.max_lr,
                                           device.type)
    start_step, log = 0, []
    if cfg.resume and checkpoints(cfg.log_dir):
        ckpt = torch.load(checkpoints(cfg.log_dir)[-1], map_location=device,
                          weights_only=False)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        train_loader.load_state_dict(ckpt["train_loader"])
        start_step, log = ckpt["step"], ckpt["log"]
    raw_model = model
    if by_device(cfg.compile, device.type == "cuda"):
        model = torch.compile(model)
    if ddp:
        model = DDP(model, device_ids=[device.index] if device.index is not None
                    else None)
    Path(cfg.log_dir).mkdir(parents=True, exist_ok=True)

    for step in range(start_step, cfg.max_steps + 1):
        last_step = step == cfg.max_steps

        # every once in a while: a checkpoint, and the validation loss
        if (master_process and cfg.checkpoint_every and step > start_step
                and (step % cfg.checkpoint_every == 0 or last_step)):
            save_checkpoint({"model": raw_model.state_dict(),
                             "config": dataclasses.asdict(config),
                             "optimizer": optimizer.state_dict(),
                             "train_loader": train_loader.state_dict(),
                             "step": step, "log": log},
                            Path(cfg.log_dir) / f"model_{step:05d}.pt")
        if step % cfg.val_every == 0 or last_step:
            loss = val_loss(model, val_loader, cfg.val_steps, device, bf16)
            if ddp:
                dist.all_reduce(loss, op=dist.ReduceOp.SUM)
                loss /= world_size
            log.append({"step": step, "val": loss.item()})
            if master_process and cfg.verbose:
                print(f"step {step:5d} | val {loss.item():.4f}", flush=True)
        if last_step:
            break

        # one optimization step over total_batch_size tokens
        t0 = time.perf_counter()
        model.train()
        optimizer.zero_grad()
        loss_accum = torch.zeros((), device=device)
        for micro_step in range(grad_accum_steps):
            x, y = train_loader.next_batch()
            x, y = x.to(device), y.to(device)
            if ddp:
                # all-reduce the gradients only after the last micro-step
                model.require_backward_grad_sync = (
                    micro_step == grad_accum_steps - 1)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16,
                                enabled=bf16):
                logits, loss = model(x, y)
            # backward() adds each micro-batch's gradient: a sum. Divide,
            # so that the sum is the mean over the whole batch
            loss = loss / grad_accum_steps
            loss_accum += loss.detach()
            loss.backward()
        if ddp:
            dist.all_reduce(loss_accum, op=dist.ReduceOp.SUM)
            loss_accum /= world_size
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        lr = get_lr(step, cfg)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()  # the GPU runs ahead: wait for it
        dt = time.perf_counter() - t0
        tokens_per_sec = cfg.B * cfg.T * grad_accum_steps * world_size / dt
        log.append({"step": step, "train": loss_accum.item(), "lr": lr,
                    "norm": norm.item(), "dt": dt,
                    "tok_per_sec": tokens_per_sec})
        if master_process and cfg.verbose:
            print(f"step {step:5d} | loss {loss_accum.item():.6f} | "
                  f"lr {lr:.4e} | norm {norm.item():.4f} | "
                  f"dt {dt * 1000:.0f} ms | tok/s {tokens_per_sec:.0f}",
                  flush=True)

    if ddp:
        dist.destroy_process_group()
    return (raw_model, log) if master_process else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zerohero.gpt2.train",
        description="Train a GPT-2 on token shards (torchrun: one process "
                    "per device).")
    for group in (GPTConfig, TrainConfig):
        for f in dataclasses.fields(group):
            if f.type in ("bool", bool):
                parser.add_argument(f"--{f.name.replace('_', '-')}",
                                    action=argparse.BooleanOptionalAction,
                                    default=f.default)
            else:
                kind = {"int": int, "float": float}.get(str(f.type), str)
                parser.add_argument(f"--{f.name.replace('_', '-')}",
                                    type=kind, default=f.default)
    args = vars(parser.parse_args(argv))
    config = GPTConfig(**{f.name: args[f.name]
                          for f in dataclasses.fields(GPTConfig)})
    cfg = TrainConfig(**{f.name: args[f.name]
                         for f in dataclasses.fields(TrainConfig)})
    out = train(config, cfg)
    if out is not None:
        model, log = out
        with open(Path(cfg.log_dir) / "log.json", "w") as f:
            json.dump(log, f)
    return 0


def launch(nproc: int, args: list, **kwargs) -> subprocess.CompletedProcess:
    """``python -m zerohero.gpt2.train ARGS`` in a new process, or in
    ``nproc`` processes under ``torchrun --standalone`` (one thread each)."""
    cmd = [sys.executable, "-m", "zerohero.gpt2.train", *map(str, args)]
    if nproc > 1:
        cmd[1:2] = ["-m", "torch.distributed.run", "--standalone",
                    f"--nproc_per_node={nproc}", "-m"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                          **kwargs)
    assert proc.returncode == 0, f"{' '.join(cmd)}:\n{proc.stderr[-3000:]}"
    return proc


if __name__ == "__main__":
    sys.exit(main())
