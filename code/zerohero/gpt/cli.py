"""Command line: train a GPT preset on any device, resume it, sample from it.

    python -m zerohero.gpt train --config small --device cpu --out-dir out/s
    python -m zerohero.gpt train --config full --device cuda --out-dir out/f
    python -m zerohero.gpt train --out-dir out/f --resume   # after a stop
    python -m zerohero.gpt sample --out-dir out/f --num-chars 500

``full`` is the lecture's 10.8M-parameter model, for a GPU; ``small`` the
0.21M-parameter CPU model the book trains; ``tiny`` a smoke test. Options
are checked here, with errors that say what to pass instead; the lesson
modules only assert.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from zerohero.device import CHOICES, DeviceError, pick_device
from zerohero.gpt.checkpoint import (CheckpointError, load_checkpoint,
                                     restore, save_checkpoint, set_rng_state)
from zerohero.gpt.model import GPT, num_params
from zerohero.gpt.text import CharTokenizer, TextData
from zerohero.gpt.train import (PRESETS, TrainState, preset, sample_text,
                                train)

CHECKPOINT = "ckpt.pt"
MODEL_OPTIONS = ("block_size", "n_embd", "n_head", "n_layer", "dropout",
                 "attention")
TRAIN_OPTIONS = ("batch_size", "max_iters", "eval_interval", "eval_iters",
                 "learning_rate", "seed")


class CLIError(RuntimeError):
    """A command that cannot run as given: ``error: ...``, exit status 2."""


def _check_chars(text: str, tokenizer: CharTokenizer, what: str) -> None:
    unknown = sorted(set(text) - set(tokenizer.chars))
    if unknown:
        raise CLIError(f"characters {unknown} of {what} are not in the "
                       f"vocabulary of {tokenizer.vocab_size} characters; "
                       f"use only characters of the training text")


def _load_text(path: str | None, tokenizer=None) -> TextData:
    if path is None:
        from zerohero.data import read_text
        text = read_text("tinyshakespeare.txt")
    else:
        p = Path(path)
        if not p.is_file():
            raise CLIError(f"no text file at {p}; pass --data a UTF-8 text "
                           f"file")
        text = p.read_text(encoding="utf-8")
    if not text:
        raise CLIError(f"{path} is empty: there is nothing to train on")
    if tokenizer is not None:
        _check_chars(text, tokenizer, path or "the text")
    return TextData.from_text(text, tokenizer=tokenizer)


def _overrides(args, names) -> dict:
    return {n: getattr(args, n) for n in names
            if getattr(args, n, None) is not None}


def _check_configs(model: dict, train: dict, data: TextData) -> None:
    """The settings as dicts, checked before the configs are built."""
    for name in ("block_size", "n_embd", "n_head", "n_layer", "batch_size",
                 "max_iters", "eval_interval", "eval_iters"):
        if (model | train)[name] < 1:
            raise CLIError(f"--{name.replace('_', '-')} must be at least 1")
    if model["n_embd"] % model["n_head"]:
        raise CLIError(f"n_embd ({model['n_embd']}) must be a multiple of "
                       f"n_head ({model['n_head']}): each head gets "
                       f"n_embd // n_head channels")
    if not 0.0 <= model["dropout"] < 1.0:
        raise CLIError(f"--dropout must be in [0, 1), got {model['dropout']}")
    if not train["learning_rate"] > 0:
        raise CLIError(f"--learning-rate must be positive, "
                       f"got {train['learning_rate']}")
    shortest = min(len(data.train), len(data.val))
    if shortest <= model["block_size"]:
        raise CLIError(f"a split of the text has {shortest} tokens, too few "
                       f"for chunks of block_size + 1 = "
                       f"{model['block_size'] + 1}; use a smaller "
                       f"--block-size or more text")


def _set_threads(threads: int | None, device: torch.device) -> None:
    # One thread unless asked: for models this small, threads mostly wait
    # on each other, and on a busy machine they make a run much slower.
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
        run = restore(load_checkpoint(ckpt_path, map_location=device), device)
        changed = _overrides(args, ("max_iters", "eval_interval",
                                    "eval_iters"))
        data = _load_text(args.data, tokenizer=run.tokenizer)
        _check_configs(run.model.config.to_dict(),
                       run.train_config.to_dict() | changed, data)
        cfg = replace(run.train_config, **changed)
        model, optimizer, state = run.model, run.optimizer, run.state
        set_rng_state(run.rng)
        print(f"resuming {ckpt_path} at iteration {state.iter} of "
              f"{cfg.max_iters}", file=out)
    else:
        if ckpt_path.exists():
            raise CLIError(f"{ckpt_path} exists; pass --resume to continue "
                           f"that run, or choose another --out-dir")
        data = _load_text(args.data)
        model_cfg, cfg = preset(args.config, data.tokenizer.vocab_size)
        model_over = _overrides(args, MODEL_OPTIONS)
        train_over = _overrides(args, TRAIN_OPTIONS)
        _check_configs(model_cfg.to_dict() | model_over,
                       cfg.to_dict() | train_over, data)
        model_cfg = replace(model_cfg, **model_over)
        cfg = replace(cfg, **train_over)
        torch.manual_seed(cfg.seed)
        model = GPT(model_cfg).to(device)
        optimizer = torch.optim.AdamW(model.parameters(),
                                      lr=cfg.learning_rate)
        state = TrainState()
        print(f"{args.config}: {num_params(model):,} parameters on {device}",
              file=out)
    if device.type == "cuda":
        # the full model's matmuls on TF32 tensor cores
        torch.backends.cuda.matmul.allow_tf32 = True
    first = state.iter
    stop_at = first + args.iters if args.iters is not None else None
    every = args.checkpoint_interval or cfg.eval_interval
    end = cfg.max_iters if stop_at is None else min(stop_at, cfg.max_iters)

    from tqdm import tqdm
    bar = tqdm(total=cfg.max_iters, initial=state.iter, file=out,
               disable=args.no_progress, unit="it", dynamic_ncols=False,
               ncols=80, mininterval=1.0, ascii=True)
    printed = len(state.history)

    def on_step(st):
        nonlocal printed
        for e in st.history[printed:]:
            bar.write(f"step {e['step']}: train loss {e['train']:.4f}, "
                      f"val loss {e['val']:.4f}", file=out)
            bar.set_postfix(val=f"{e['val']:.4f}", refresh=False)
        printed = len(st.history)
        bar.update(1)
        if st.iter % every == 0 or st.iter == end:
            save_checkpoint(ckpt_path, model, optimizer, cfg, st,
                            data.tokenizer)

    start = time.perf_counter()
    try:
        state = train(model, optimizer, data, cfg, model.config.block_size,
                      state=state, stop_at=stop_at, on_step=on_step,
                      device=device)
    finally:
        bar.close()
    seconds = time.perf_counter() - start
    if not ckpt_path.exists():  # nothing ran (already done): still save
        save_checkpoint(ckpt_path, model, optimizer, cfg, state,
                        data.tokenizer)
    tokens = (state.iter - first) * cfg.batch_size * model.config.block_size
    done = "done" if state.iter >= cfg.max_iters else "stopped"
    print(f"{done} at iteration {state.iter} in {seconds:.1f} s; "
          f"{tokens / max(seconds, 1e-9):,.0f} training tokens/s "
          f"(evaluations included); checkpoint {ckpt_path}", file=out)
    return 0


def cmd_sample(args, out=sys.stdout) -> int:
    device = pick_device(args.device)
    _set_threads(args.threads, device)
    if not args.temperature > 0:
        raise CLIError(f"--temperature must be positive, "
                       f"got {args.temperature}")
    if args.top_k is not None and args.top_k < 1:
        raise CLIError(f"--top-k must be at least 1, got {args.top_k}")
    if args.num_chars < 0:
        raise CLIError(f"--num-chars must be at least 0, got {args.num_chars}")
    ckpt = load_checkpoint(Path(args.out_dir) / CHECKPOINT,
                           map_location=device)
    run = restore(ckpt, device)
    prompt = args.prompt.replace("\\n", "\n")  # so a typed "\n" is a newline
    if not prompt:
        raise CLIError("--prompt must have at least one character")
    _check_chars(prompt, run.tokenizer, "the prompt")
    generator = torch.Generator(device=device).manual_seed(args.seed)
    text = sample_text(run.model, run.tokenizer, args.num_chars,
                       prompt=prompt, device=device,
                       temperature=args.temperature, top_k=args.top_k,
                       generator=generator)
    print(prompt + text, file=out)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m zerohero.gpt",
                                description="Train and sample the chapter 7 "
                                            "GPT.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a preset (or resume a run)")
    t.add_argument("--config", choices=sorted(PRESETS), default="small",
                   help="model and training preset (default: small)")
    t.add_argument("--device", choices=CHOICES, default="auto",
                   help="auto: cuda, then mps, then cpu")
    t.add_argument("--out-dir", required=True, help=f"folder for {CHECKPOINT}")
    t.add_argument("--resume", action="store_true",
                   help=f"continue from OUT_DIR/{CHECKPOINT}")
    t.add_argument("--iters", type=int,
                   help="train at most this many iterations now, then "
                        "checkpoint and stop (resume later with --resume)")
    t.add_argument("--checkpoint-interval", type=int,
                   help="iterations between checkpoints "
                        "(default: eval_interval)")
    t.add_argument("--data", help="a UTF-8 text file to train on "
                                  "(default: tiny Shakespeare)")
    t.add_argument("--no-progress", action="store_true",
                   help="no progress bar")
    t.add_argument("--threads", type=int,
                   help="CPU threads for torch (default: 1 on cpu)")
    for name, kind in [("block_size", int), ("n_embd", int), ("n_head", int),
                       ("n_layer", int), ("dropout", float),
                       ("batch_size", int), ("max_iters", int),
                       ("eval_interval", int), ("eval_iters", int),
                       ("learning_rate", float), ("seed", int)]:
        t.add_argument("--" + name.replace("_", "-"), type=kind,
                       help="override the preset")
    t.add_argument("--attention", choices=("sdpa", "explicit"),
                   help="override the preset")

    s = sub.add_parser("sample", help="generate text from a checkpoint")
    s.add_argument("--out-dir", required=True,
                   help=f"folder holding {CHECKPOINT}")
    s.add_argument("--num-chars", type=int, default=500)
    s.add_argument("--prompt", default="\\n",
                   help="text to continue (default: a newline)")
    s.add_argument("--temperature", type=float, default=1.0)
    s.add_argument("--top-k", type=int, default=None)
    s.add_argument("--seed", type=int, default=1337)
    s.add_argument("--device", choices=CHOICES, default="auto")
    s.add_argument("--threads", type=int,
                   help="CPU threads for torch (default: 1 on cpu)")
    return p


def main(argv=None, out=sys.stdout) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "train":
            return cmd_train(args, out)
        return cmd_sample(args, out)
    except (CLIError, CheckpointError, DeviceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
