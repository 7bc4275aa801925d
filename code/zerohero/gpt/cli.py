"""Command line: train a GPT preset on any device, resume it, sample from it (chapter 7).

    python -m zerohero.gpt train --config small --device cpu --out-dir out/small
    python -m zerohero.gpt train --config full --device cuda --out-dir out/full
    python -m zerohero.gpt train --out-dir out/full --resume        # go on after a stop
    python -m zerohero.gpt sample --out-dir out/full --num-chars 500 --temperature 0.8

``full`` is the lecture's 10.8M-parameter model (about 1.48 validation loss after 5,000 steps on
a GPU); ``small`` the 0.21M-parameter CPU model the book trains; ``tiny`` a smoke test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from zerohero.device import CHOICES, DeviceError, pick_device
from zerohero.gpt.checkpoint import (CheckpointError, load_checkpoint, restore, save_checkpoint,
                                     set_rng_state)
from zerohero.gpt.model import GPT, GPTConfig, ModelError, num_params
from zerohero.gpt.text import TextData, TextError, load_shakespeare
from zerohero.gpt.train import (PRESETS, TrainConfig, TrainState, make_optimizer, preset,
                                sample_text, train)

CHECKPOINT = "ckpt.pt"


class CLIError(RuntimeError):
    """A command that cannot run as given; printed as ``error: ...`` with exit status 2."""


def _load_text(path: str | None, tokenizer=None) -> TextData:
    if path is None:
        if tokenizer is None:
            return load_shakespeare()
        from zerohero.data import read_text
        return TextData.from_text(read_text("tinyshakespeare.txt"), tokenizer=tokenizer)
    p = Path(path)
    if not p.is_file():
        raise CLIError(f"no text file at {p}; pass --data a UTF-8 text file")
    return TextData.from_text(p.read_text(encoding="utf-8"), tokenizer=tokenizer)


def _overrides(args, names) -> dict:
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


MODEL_OPTIONS = ("block_size", "n_embd", "n_head", "n_layer", "dropout", "attention")
TRAIN_OPTIONS = ("batch_size", "max_iters", "eval_interval", "eval_iters", "learning_rate",
                 "seed")


def _set_threads(threads: int | None, device: torch.device) -> None:
    # One thread unless asked: for models this small, threads mostly wait on each other, and on
    # a busy machine they can make a run many times slower.
    if threads is not None:
        if threads < 1:
            raise CLIError(f"--threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)
    elif device.type == "cpu":
        torch.set_num_threads(1)


def cmd_train(args, out=sys.stdout) -> int:
    device = pick_device(args.device)
    _set_threads(args.threads, device)
    out_dir = Path(args.out_dir)
    ckpt_path = out_dir / CHECKPOINT
    if args.resume:
        ckpt = load_checkpoint(ckpt_path, map_location=device)
        run = restore(ckpt, device)
        changed = _overrides(args, ("max_iters", "eval_interval", "eval_iters"))
        cfg = TrainConfig(**{**run.train_config.to_dict(), **changed})
        data = _load_text(args.data, tokenizer=run.tokenizer)
        model, optimizer, state = run.model, run.optimizer, run.state
        set_rng_state(run.rng)
        print(f"resuming {ckpt_path} at iteration {state.iter} of {cfg.max_iters}", file=out)
    else:
        if ckpt_path.exists():
            raise CLIError(f"{ckpt_path} exists; pass --resume to continue that run, or "
                           f"choose another --out-dir")
        data = _load_text(args.data)
        model_cfg, cfg = preset(args.config, data.tokenizer.vocab_size)
        model_cfg = GPTConfig(**{**model_cfg.to_dict(), **_overrides(args, MODEL_OPTIONS)})
        cfg = TrainConfig(**{**cfg.to_dict(), **_overrides(args, TRAIN_OPTIONS)})
        torch.manual_seed(cfg.seed)
        model = GPT(model_cfg).to(device)
        optimizer = make_optimizer(model, cfg.learning_rate, device)
        state = TrainState()
        print(f"{args.config}: {num_params(model):,} parameters on {device}", file=out)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True  # the full model's matmuls: TF32 tensor cores
    stop_at = state.iter + args.iters if args.iters is not None else None
    every = args.checkpoint_interval or cfg.eval_interval
    end = cfg.max_iters if stop_at is None else min(stop_at, cfg.max_iters)

    from tqdm import tqdm
    bar = tqdm(total=cfg.max_iters, initial=state.iter, file=out, disable=args.no_progress,
               unit="it", dynamic_ncols=False, ncols=100, mininterval=1.0, ascii=True)

    def on_eval(step, losses):
        bar.write(f"step {step}: train loss {losses['train']:.4f}, "
                  f"val loss {losses['val']:.4f}", file=out)
        bar.set_postfix(val=f"{losses['val']:.4f}", refresh=False)

    def on_step(it, st):
        bar.update(1)
        if (it + 1) % every == 0 or it + 1 == end:
            save_checkpoint(ckpt_path, model, optimizer, cfg, st, data.tokenizer)

    start = time.perf_counter()
    try:
        state = train(model, data, cfg, optimizer=optimizer, state=state, device=device,
                      on_eval=on_eval, on_step=on_step, stop_at=stop_at)
    finally:
        bar.close()
    if not ckpt_path.exists():  # no iteration ran (already done): still leave a checkpoint
        save_checkpoint(ckpt_path, model, optimizer, cfg, state, data.tokenizer)
    print(f"{'done' if state.iter >= cfg.max_iters else 'stopped'} at iteration {state.iter} "
          f"in {time.perf_counter() - start:.1f} s; {state.tokens_per_second:,.0f} training "
          f"tokens/s; checkpoint {ckpt_path}", file=out)
    return 0


def cmd_sample(args, out=sys.stdout) -> int:
    device = pick_device(args.device)
    _set_threads(args.threads, device)
    run = restore(load_checkpoint(Path(args.out_dir) / CHECKPOINT, map_location=device), device)
    data = TextData(run.tokenizer, torch.empty(0, dtype=torch.long),
                    torch.empty(0, dtype=torch.long))
    generator = torch.Generator(device=device).manual_seed(args.seed)
    prompt = args.prompt.replace("\\n", "\n")  # so a typed "\n" is a newline
    text = sample_text(run.model, data, args.num_chars, prompt=prompt, device=device,
                       temperature=args.temperature, top_k=args.top_k, generator=generator)
    print(prompt + text, file=out)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m zerohero.gpt",
                                description="Train and sample the chapter 7 GPT.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a preset (or resume a run)")
    t.add_argument("--config", choices=sorted(PRESETS), default="small",
                   help="model and training preset (default: small)")
    t.add_argument("--device", choices=CHOICES, default="auto",
                   help="auto: cuda, then mps, then cpu")
    t.add_argument("--out-dir", required=True, help=f"folder for {CHECKPOINT}")
    t.add_argument("--resume", action="store_true", help=f"continue from OUT_DIR/{CHECKPOINT}")
    t.add_argument("--iters", type=int, help="train at most this many iterations now, then "
                   "checkpoint and stop (resume later with --resume)")
    t.add_argument("--checkpoint-interval", type=int,
                   help="iterations between checkpoints (default: eval_interval)")
    t.add_argument("--data", help="a UTF-8 text file to train on (default: tiny Shakespeare)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--threads", type=int, help="CPU threads for torch (default: 1 on cpu)")
    for name, kind in [("block_size", int), ("n_embd", int), ("n_head", int), ("n_layer", int),
                       ("dropout", float), ("batch_size", int), ("max_iters", int),
                       ("eval_interval", int), ("eval_iters", int), ("learning_rate", float),
                       ("seed", int)]:
        t.add_argument("--" + name.replace("_", "-"), type=kind, help="override the preset")
    t.add_argument("--attention", choices=("sdpa", "explicit"), help="override the preset")

    s = sub.add_parser("sample", help="generate text from a trained checkpoint")
    s.add_argument("--out-dir", required=True, help=f"folder holding {CHECKPOINT}")
    s.add_argument("--num-chars", type=int, default=500)
    s.add_argument("--prompt", default="\\n", help="text to continue (default: a newline)")
    s.add_argument("--temperature", type=float, default=1.0)
    s.add_argument("--top-k", type=int, default=None)
    s.add_argument("--seed", type=int, default=1337)
    s.add_argument("--device", choices=CHOICES, default="auto")
    s.add_argument("--threads", type=int, help="CPU threads for torch (default: 1 on cpu)")
    return p


def main(argv=None, out=sys.stdout) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "train":
            return cmd_train(args, out)
        return cmd_sample(args, out)
    except (CLIError, CheckpointError, DeviceError, ModelError, TextError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
