"""makemore for any word list: ``python -m zerohero.makemore`` (appendix
"makemore models").

Like Karpathy's original makemore: give it a text file with one item per line
(names, words, cities, ...) and it trains a character-level model, evaluates it
on held-out lines at intervals, keeps the best checkpoint, and samples new
items, each marked as a copy of a training line, of a held-out line, or new.
The models come from ``models.py``; the words, the vocabulary and the 80/10/10
split from chapter 2's ``words.py``.

The appendix's comparison trains every ``--type`` with
``fit_like_makemore_py``: makemore.py's settings, split, evaluation and order
of random draws (``zerohero.experiments.makemore_models``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from zerohero import atomic
from zerohero.makemore.models import (
    OPTIONS,
    TYPES,
    build_model,
    count_parameters,
    evaluate,
    generate,
    load_state_dict,
    state_dict,
    to_device,
)
from zerohero.makemore.words import (
    Vocabulary,
    WordsError,
    read_words,
    split_words,
)

CHECKPOINT = "model.pt"
TRAIN_EVAL_WORDS = (
    5000  # the final report's training loss reads at most this many words
)
FORMAT = "zerohero-makemore-1"
REQUIRED = {
    "model",
    "vocab",
    "boundary",
    "state",
    "optimizer",
    "generator",
    "step",
    "best_loss",
}


class CLIError(Exception):
    """A problem with the user's input: main() prints it as one line and exits
    with status 2 (appendix)."""


# -----------------------------------------------------------------------------
# data


def encode_words(words, vocab: Vocabulary, block_size: int):
    """Inputs and targets of whole words (appendix).

    Row i of ``X`` is the boundary token then the word; row i of ``Y`` is the
    word then the boundary; both padded to ``block_size``, with target ``-1``
    (no loss) on the padding.
    """
    X = torch.zeros((len(words), block_size), dtype=torch.long)
    Y = torch.full((len(words), block_size), -1, dtype=torch.long)
    for i, w in enumerate(words):
        ix = vocab.encode(w)
        if len(ix) >= block_size:
            raise ValueError(
                f"{w!r} has {len(ix)} characters; block_size {block_size} "
                f"allows {block_size - 1}"
            )
        X[i, 1 : len(ix) + 1] = torch.tensor(ix, dtype=torch.long)
        Y[i, : len(ix)] = torch.tensor(ix, dtype=torch.long)
        Y[i, len(ix)] = 0
    return X, Y


@dataclass
class WordData:
    """A word list split 80/10/10 with the lecture's shuffle (chapter 2),
    encoded (appendix).

    With fewer than 10 words the held-out splits may be empty; ``holdout``
    names the split that picks the best checkpoint: val, else test, else train.
    """

    vocab: Vocabulary
    block_size: int  # boundary + the longest word
    words: dict  # split name -> list of words
    tensors: dict  # split name -> (X, Y)

    @classmethod
    def from_words(
        cls,
        words,
        vocab: Vocabulary | None = None,
        block_size: int | None = None,
    ):
        words = list(words)
        if not words:
            raise WordsError("the word list is empty")
        vocab = vocab or Vocabulary.from_words(words)
        block_size = block_size or max(len(w) for w in words) + 1
        if len(words) < 3:
            splits = {"train": words, "val": [], "test": []}
        else:
            splits = dict(zip(("train", "val", "test"), split_words(words)))
        tensors = {
            k: encode_words(v, vocab, block_size) for k, v in splits.items()
        }
        return cls(vocab, block_size, splits, tensors)

    @property
    def holdout(self) -> str:
        return next(s for s in ("val", "test", "train") if self.words[s])

    def to(self, device) -> "WordData":
        tensors = {
            k: (X.to(device), Y.to(device))
            for k, (X, Y) in self.tensors.items()
        }
        return WordData(self.vocab, self.block_size, self.words, tensors)

    def origin(self, word: str) -> str:
        """Where a sampled word comes from: 'train', 'val', 'test' or 'new'."""
        for split in ("train", "val", "test"):
            if word in self._sets[split]:
                return split
        return "new"

    @property
    def _sets(self):
        if not hasattr(self, "_cached_sets"):
            self._cached_sets = {k: set(v) for k, v in self.words.items()}
        return self._cached_sets


# -----------------------------------------------------------------------------
# training


def make_optimizer(model, learning_rate: float, weight_decay: float = 0.01):
    """AdamW with makemore.py's betas (0.9, 0.99), eps and weight decay
    (appendix)."""
    return torch.optim.AdamW(
        model.parameters(), lr=learning_rate, betas=(0.9, 0.99), eps=1e-8,
        weight_decay=weight_decay,
    )


def learning_rate_at(step: int, max_steps: int, learning_rate: float) -> float:
    """The book's step decay: the full rate, then a tenth of it for the last
    quarter (appendix; chapters 3-6 decay at a fixed step)."""
    return learning_rate if step < 0.75 * max_steps else learning_rate * 0.1


def fit(
    model,
    data: WordData,
    *,
    max_steps: int,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 42,
    eval_interval: int = 500,
    start_step: int = 0,
    optimizer_state=None,
    generator_state=None,
    best_loss: float = math.inf,
    on_best=None,
    progress=None,
) -> dict:
    """Train ``model`` on ``data`` (already on the model's device) with AdamW
    (appendix).

    Each step draws ``batch_size`` random training words. Every
    ``eval_interval`` steps and at the end the model is evaluated on
    ``data.holdout``; when that loss is the best so far, ``on_best(step, loss,
    model, optimizer, generator)`` is called (the command line saves a
    checkpoint). A resumed run passes the checkpoint's ``optimizer_state``
    and ``generator_state`` so that it draws the batches the run would have
    drawn had it never stopped.
    ``progress``: a stream for a progress bar, or None for silence. Returns
    per-step losses, the evaluations and the best state.
    """
    X, Y = data.tensors["train"]
    if len(X) == 0:
        raise ValueError("no training words")
    device = X.device
    optimizer = make_optimizer(model, learning_rate)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    g = torch.Generator().manual_seed(seed)
    if generator_state is not None:
        g.set_state(generator_state)
    losses = torch.zeros(max(0, max_steps - start_step), device=device)
    evals, best = [], {"loss": best_loss, "step": None, "state": None}
    bar = None
    if progress is not None:
        from tqdm import tqdm

        bar = tqdm(
            total=max_steps,
            initial=start_step,
            file=progress,
            mininterval=0.5,
            dynamic_ncols=True,
            desc="training",
        )
    holdout = data.holdout

    def evaluate_now(step):
        loss = evaluate(model, *data.tensors[holdout])
        done = step - start_step + 1  # steps of this call so far
        recent = losses[
            max(0, done - eval_interval) : done
        ]  # the losses since the last evaluation
        evals.append(
            {"step": step, "train": float(recent.mean()), holdout: loss}
        )
        improved = loss < best["loss"]
        if improved:
            best.update(
                loss=loss,
                step=step,
                state={
                    k: v.detach().cpu().clone()
                    for k, v in state_dict(model).items()
                },
            )
            if on_best is not None:
                on_best(step, loss, model, optimizer, g)
        if bar is not None:
            bar.write(
                f"step {step}: train {evals[-1]['train']:.4f}, {holdout} "
                f"{loss:.4f}"
                + (
                    " (best so far, checkpoint saved)"
                    if improved and on_best
                    else ""
                )
            )

    model.train()
    for step in range(start_step, max_steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate_at(step, max_steps, learning_rate)
        ix = torch.randint(0, len(X), (batch_size,), generator=g).to(device)
        loss = model.loss(X[ix], Y[ix])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses[step - start_step] = loss.detach()
        if bar is not None:
            bar.update(1)
            if step % 25 == 0:
                bar.set_postfix_str(f"loss {loss.item():.4f}", refresh=False)
        if (step + 1) % eval_interval == 0 or step == max_steps - 1:
            evaluate_now(step)
    if bar is not None:
        bar.close()
    return {
        "losses": losses.cpu(),
        "evals": evals,
        "best": best,
        "holdout": holdout,
    }


# -----------------------------------------------------------------------------
# makemore.py's own loop


@dataclass(frozen=True)
class MakemorePy:
    """The settings of Karpathy's makemore.py (its command line's defaults and
    its main loop), to train this book's models as it trains its own
    (appendix)."""

    learning_rate: float = 5e-4
    weight_decay: float = 0.01
    seed: int = 3407
    batch_size: int = 32
    max_test_words: int = 1000  # the test set: 10% of the words, at most this
    eval_interval: int = 500
    eval_batch_size: int = 100
    eval_batches: int = 10  # its loop breaks after batch 10: up to 11 batches
    sample_interval: int = 200
    num_samples: int = 10


MAKEMORE_PY = MakemorePy()


def draw_seed(generator: torch.Generator) -> int:
    """The seed a DataLoader or a RandomSampler draws from the global
    generator when it starts (appendix)."""
    return int(torch.empty((), dtype=torch.int64).random_(generator=generator))


def split_like_makemore_py(words, generator, max_test_words=1000):
    """makemore.py's split (appendix): a random permutation of the words; the
    last ``min(max_test_words, 10%)`` are the test set, the rest train. No
    validation set: the test set picks the best checkpoint."""
    n_test = min(max_test_words, int(len(words) * 0.1))
    order = torch.randperm(len(words), generator=generator).tolist()
    return ([words[i] for i in order[:-n_test]],
            [words[i] for i in order[-n_test:]])


@torch.no_grad()
def evaluate_like_makemore_py(model, X, Y, generator, s=MAKEMORE_PY):
    """makemore.py's evaluation (appendix): the words in a shuffled order, the
    mean of the losses of batches of ``s.eval_batch_size``, at most
    ``s.eval_batches + 1`` of them. The shuffle is a DataLoader's: it draws
    two seeds from ``generator``."""
    draw_seed(generator)  # the DataLoader's seed for its workers (it has none)
    order = torch.randperm(
        len(X), generator=torch.Generator().manual_seed(draw_seed(generator))
    )
    model.eval()
    losses = []
    for i, start in enumerate(range(0, len(X), s.eval_batch_size)):
        ix = order[start : start + s.eval_batch_size]
        losses.append(model.nll(X[ix], Y[ix]).item())
        if i >= s.eval_batches:
            break
    model.train()
    return torch.tensor(losses).mean().item()  # float32, as makemore.py


def fit_like_makemore_py(type, words, max_steps, s=MAKEMORE_PY) -> dict:
    """Build a ``type`` model and train it as makemore.py trains (appendix).

    One generator plays the part of makemore.py's global one, seeded with
    ``s.seed``, and is drawn from in makemore.py's order: the split, the
    model's initial weights, the two seeds of its training DataLoader (the
    second seeds the stream of batches), then the shuffles of its evaluations
    and its samples. AdamW at a constant rate; after step 500, 1000, ... the
    model is evaluated on train and test words; the best test loss is what
    makemore.py saves, and so is its model here.
    """
    g = torch.Generator().manual_seed(s.seed)
    train_words, test_words = split_like_makemore_py(
        words, g, s.max_test_words)
    vocab = Vocabulary.from_words(words)
    block_size = max(len(w) for w in words) + 1  # <START> and the longest
    Xtr, Ytr = encode_words(train_words, vocab, block_size)
    Xte, Yte = encode_words(test_words, vocab, block_size)
    model = build_model(type, len(vocab), block_size, generator=g)
    optimizer = make_optimizer(model, s.learning_rate, s.weight_decay)
    draw_seed(g)  # the DataLoader's seed for its workers
    batches = torch.Generator().manual_seed(draw_seed(g))  # its sampler's
    losses, evals, samples, best = [], [], [], None
    model.train()
    for step in range(max_steps):
        ix = torch.randint(len(Xtr), (s.batch_size,), generator=batches)
        loss = model.loss(Xtr[ix], Ytr[ix])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step > 0 and step % s.eval_interval == 0:
            evals.append({
                "step": step,
                "train": evaluate_like_makemore_py(model, Xtr, Ytr, g, s),
                "test": evaluate_like_makemore_py(model, Xte, Yte, g, s),
            })
            if best is None or evals[-1]["test"] < best["test"]:
                best = {**evals[-1], "state": {
                    k: v.detach().clone()
                    for k, v in state_dict(model).items()}}
        if step > 0 and step % s.sample_interval == 0:
            rows = generate(model, s.num_samples, block_size - 1,
                            generator=g, stop_early=False)
            samples.append((step, [vocab.decode(r) for r in rows]))
    return {"model": model, "vocab": vocab, "block_size": block_size,
            "words": {"train": train_words, "test": test_words},
            "losses": torch.tensor(losses), "evals": evals, "best": best,
            "samples": samples}


# -----------------------------------------------------------------------------
# checkpoints


def save_checkpoint(path: Path, payload: dict) -> None:
    """Write ``payload`` atomically: a temporary file in the same folder, then
    a rename, so a crash mid-write leaves the previous checkpoint intact
    (appendix)."""
    atomic.save(payload, path)


def load_checkpoint(path: Path) -> dict:
    """Read and check a checkpoint written by ``save_checkpoint``; CLIError if
    it is not one (appendix)."""
    if not path.is_file():
        raise CLIError(
            f"no checkpoint at {path}; train first (without "
            "--resume/--sample-only) or give the --work-dir that holds one"
        )
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CLIError(
            f"{path} is not a readable makemore checkpoint "
            f"({type(err).__name__}); delete it or use another --work-dir"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CLIError(
            f"{path} is not a checkpoint of this makemore (format "
            f"{ckpt.get('format') if isinstance(ckpt, dict) else None!r}, "
            f"expected {FORMAT!r}); delete it or use another --work-dir"
        )
    missing = sorted(REQUIRED - set(ckpt)) or (
        []
        if isinstance(ckpt["model"], dict) and "type" in ckpt["model"]
        else ["model type"]
    )
    if missing:
        raise CLIError(
            f"{path} is an incomplete checkpoint (no {', '.join(missing)}); "
            "delete it or use another --work-dir"
        )
    return ckpt


def model_from_checkpoint(ckpt: dict, path: Path):
    """The model a checkpoint holds; CLIError if its tensors do not fit its own
    description (appendix)."""
    try:
        config = dict(ckpt["model"])
        model = build_model(
            config.pop("type"),
            config.pop("vocab_size"),
            config.pop("block_size"),
            generator=torch.Generator().manual_seed(0),
            **config,
        )
        load_state_dict(model, ckpt["state"])
    except (ValueError, KeyError, TypeError) as err:
        raise CLIError(
            f"{path} is incompatible with this makemore: {err}"
        ) from None
    return model


# -----------------------------------------------------------------------------
# command line


DEFAULT_LR = {"transformer": 1e-3}  # the other types: DEFAULT_LR_OTHERS
DEFAULT_LR_OTHERS = 1e-2


def default_learning_rate(type: str) -> float:
    """The command line's learning rate for a ``--type`` (appendix)."""
    return DEFAULT_LR.get(type, DEFAULT_LR_OTHERS)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def make_parser() -> argparse.ArgumentParser:
    """The command line's options, those of the original makemore (appendix)."""
    p = _Parser(
        prog="makemore",
        description="Train a character-level model on a file with one "
        "item per line, evaluate it, and sample new items (zerohero, "
        "appendix).",
    )
    p.add_argument(
        "--input-file",
        "-i",
        type=Path,
        help="text file, one item per line (UTF-8)",
    )
    p.add_argument(
        "--work-dir",
        "-o",
        type=Path,
        default=Path("out"),
        help="where the checkpoint model.pt goes (default: out)",
    )
    p.add_argument(
        "--type",
        choices=TYPES,
        default=None,
        help="model type (default: transformer; on --resume/--sample-only: the "
        "checkpoint's)",
    )
    p.add_argument(
        "--max-steps", type=int, default=5000, help="total training steps"
    )
    p.add_argument(
        "--batch-size", "-b", type=int, default=32, help="words per step"
    )
    p.add_argument(
        "--learning-rate",
        "-l",
        type=float,
        default=None,
        help=f"AdamW learning rate (default: {DEFAULT_LR_OTHERS:g}, "
        + ", ".join(f"{v:g} for {k}" for k, v in DEFAULT_LR.items())
        + "); a tenth of it for the last quarter of the steps",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=42,
        help="seed of initialisation, batches and samples",
    )
    p.add_argument(
        "--device",
        default="auto",
        help="auto (cuda, then mps, then cpu), cpu, cuda, mps",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue from the checkpoint in --work-dir",
    )
    p.add_argument(
        "--sample-only",
        action="store_true",
        help="only sample from the checkpoint in --work-dir",
    )
    p.add_argument(
        "--num-samples", type=int, default=20, help="how many items to sample"
    )
    p.add_argument(
        "--top-k",
        type=int,
        default=None,
        help="sample only among the k most likely characters (default: all)",
    )
    p.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="divide the logits by this before sampling (<1: safer, >1: "
        "wilder)",
    )
    p.add_argument(
        "--eval-interval",
        type=int,
        default=500,
        help="steps between evaluations",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads (default 1: the fastest for models this small)",
    )
    for name in sorted({k for opts in OPTIONS.values() for k in opts}):
        types = [t for t, opts in OPTIONS.items() if name in opts]
        p.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            default=None,
            help=f"model option of {', '.join(types)}",
        )
    return p


def _check_args(args) -> None:
    positive = {
        "--max-steps": args.max_steps,
        "--batch-size": args.batch_size,
        "--num-samples": args.num_samples,
        "--eval-interval": args.eval_interval,
        "--threads": args.threads,
    }
    for flag, value in positive.items():
        if value < 1:
            raise CLIError(f"{flag} must be at least 1, got {value}")
    if args.top_k is not None and args.top_k < 1:
        raise CLIError(f"--top-k must be at least 1, got {args.top_k}")
    if not args.temperature > 0 or math.isinf(args.temperature):
        raise CLIError(
            f"--temperature must be a positive number, got {args.temperature}"
        )
    if args.learning_rate is not None and not args.learning_rate > 0:
        raise CLIError(
            f"--learning-rate must be positive, got {args.learning_rate}"
        )
    if args.resume and args.sample_only:
        raise CLIError("--resume and --sample-only exclude each other")


def _read(path: Path | None) -> list[str]:
    if path is None:
        raise CLIError("give --input-file: a text file with one item per line")
    try:
        return read_words(path)
    except WordsError as err:
        raise CLIError(str(err)) from None
    except UnicodeDecodeError:
        raise CLIError(
            f"{path}: not UTF-8 text; give a text file with one item per line"
        ) from None
    except OSError as err:
        raise CLIError(
            f"{path}: cannot be read ({err.strerror or err})"
        ) from None


def _options(args) -> dict:
    return {k: getattr(args, k) for opts in OPTIONS.values() for k in opts}


def print_samples(words: list[str], data: WordData | None, out) -> None:
    """The samples, each marked by where it occurs in the data: train, val,
    test, or new (appendix)."""
    counts = {}
    print(f"{len(words)} samples:", file=out)
    for w in words:
        where = data.origin(w) if data is not None else "?"
        counts[where] = counts.get(where, 0) + 1
        label = {
            "?": "",
            "new": "new",
            "train": "in train",
            "val": "in val",
            "test": "in test",
        }[where]
        print(f"  {label:9s} {w if w else '(empty)'}", file=out)
    if data is not None:
        summary = ", ".join(
            f"{counts.get(k, 0)} {label}"
            for k, label in (
                ("train", "in train"),
                ("val", "in val"),
                ("test", "in test"),
                ("new", "new"),
            )
        )
        print(f"({summary})", file=out)


def sample(
    model, data_vocab: Vocabulary, steps: int, args, device
) -> list[str]:
    """--num-samples words from ``model`` with the options' seed, top-k,
    temperature (appendix)."""
    g = torch.Generator(device=device).manual_seed(args.seed)
    rows = generate(
        model,
        args.num_samples,
        steps,
        temperature=args.temperature,
        top_k=args.top_k,
        generator=g,
        device=device,
    )
    return [data_vocab.decode(r) for r in rows]


def run(args, out=None) -> int:
    """Train, resume or sample as ``args`` (from ``make_parser``) say; CLIError
    on bad input. Progress and results go to ``out`` (default: stdout)
    (appendix)."""
    from zerohero.device import DeviceError, pick_device

    out = out or sys.stdout
    _check_args(args)
    try:
        device = pick_device(args.device)
    except DeviceError as err:
        raise CLIError(str(err)) from None
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    try:
        return _run(args, device, out)
    finally:
        torch.set_num_threads(threads)


def _run(args, device, out) -> int:
    path = args.work_dir / CHECKPOINT
    ckpt = (
        _checked_checkpoint(args, path)
        if (args.resume or args.sample_only)
        else None
    )
    if args.sample_only:
        return _sample_only(args, ckpt, path, device, out)

    words = _read(args.input_file)
    vocab = Vocabulary.from_words(words)
    longest = max(len(w) for w in words) + 1
    if ckpt is not None:
        if vocab != Vocabulary(tuple(ckpt["vocab"]), ckpt["boundary"]):
            raise CLIError(
                f"{path} was trained on another character set than "
                f"{args.input_file}; use another --work-dir to train on this "
                "file"
            )
        block_size = ckpt["model"]["block_size"]
        if longest > block_size:
            raise CLIError(
                f"{args.input_file} has lines of {longest - 1} characters; "
                f"the checkpoint's model takes at most {block_size - 1}"
            )
        model = model_from_checkpoint(ckpt, path)
        model_type, start_step = ckpt["model"]["type"], ckpt["step"] + 1
    else:
        block_size, model_type, start_step = (
            longest,
            args.type or "transformer",
            0,
        )
        try:
            model = build_model(
                model_type,
                len(vocab),
                block_size,
                generator=torch.Generator().manual_seed(args.seed),
                **_options(args),
            )
        except ValueError as err:
            raise CLIError(str(err)) from None
    data = WordData.from_words(words, vocab, block_size)
    lr = (
        args.learning_rate
        or (ckpt or {}).get("learning_rate")
        or default_learning_rate(model_type)
    )
    sizes = "/".join(str(len(data.words[k])) for k in ("train", "val", "test"))
    print(
        f"{args.input_file}: {len(words):,} lines, {len(vocab) - 1} "
        f"characters, longest {longest - 1}; split {sizes}",
        file=out,
    )
    print(
        f"model: {model_type}, {count_parameters(model):,} parameters, on "
        f"{device}; learning rate {lr:g}",
        file=out,
    )
    if data.holdout == "train":
        print(
            "note: too few lines for a held-out split; the checkpoint is "
            "picked by training loss",
            file=out,
        )
    if start_step >= args.max_steps:
        print(
            f"the checkpoint already has {start_step} steps; raise "
            "--max-steps to train further",
            file=out,
        )
    elif (
        _train(args, model, data, lr, ckpt, start_step, path, device, out) != 0
    ):
        return 130

    # report on and sample from the best checkpoint
    best = model_from_checkpoint(load_checkpoint(path), path)
    to_device(best, device)
    data_dev = data.to(device)
    report = []
    for split in ("train", "val", "test"):
        X, Y = data_dev.tensors[split]
        if len(X) == 0:
            continue
        name = split
        if (
            split == "train" and len(X) > TRAIN_EVAL_WORDS
        ):  # a sample is enough, and faster
            X, Y = X[:TRAIN_EVAL_WORDS], Y[:TRAIN_EVAL_WORDS]
            name = f"train ({TRAIN_EVAL_WORDS:,} words)"
        report.append(f"{name} loss {evaluate(best, X, Y):.4f}")
    print("best checkpoint: " + ", ".join(report), file=out)
    print_samples(sample(best, vocab, block_size, args, device), data, out)
    return 0


def _checked_checkpoint(args, path: Path) -> dict:
    """The checkpoint of --resume / --sample-only, refused if the options
    contradict it."""
    ckpt = load_checkpoint(path)
    if args.type is not None and args.type != ckpt["model"]["type"]:
        raise CLIError(
            f"{path} holds a {ckpt['model']['type']!r} model, not "
            f"{args.type!r}; drop --type or use another --work-dir"
        )
    for k, v in _options(args).items():
        if v is not None and ckpt["model"].get(k) != v:
            raise CLIError(
                f"{path} was trained with {k}={ckpt['model'].get(k)}, not "
                f"{v}; drop --{k.replace('_', '-')} or use another --work-dir"
            )
    return ckpt


def _sample_only(args, ckpt: dict, path: Path, device, out) -> int:
    model = model_from_checkpoint(ckpt, path)
    vocab = Vocabulary(tuple(ckpt["vocab"]), ckpt["boundary"])
    source = args.input_file or Path(ckpt.get("input_file", ""))
    data = None  # without the data the samples cannot be marked
    if args.input_file is not None or source.is_file():
        words = _read(source)
        data = WordData.from_words(
            words, Vocabulary.from_words(words), max(len(w) for w in words) + 1
        )
    to_device(model, device)
    print_samples(
        sample(model, vocab, ckpt["model"]["block_size"], args, device),
        data,
        out,
    )
    return 0


def _train(
    args,
    model,
    data: WordData,
    lr: float,
    ckpt,
    start_step: int,
    path: Path,
    device,
    out,
) -> int:
    """Train from ``start_step`` to --max-steps, saving each best checkpoint;
    130 if interrupted."""
    vocab = data.vocab

    def on_best(step, loss, model, optimizer, generator):
        save_checkpoint(
            path,
            {
                "format": FORMAT,
                "model": model.config,
                "vocab": list(vocab.chars),
                "boundary": vocab.boundary,
                "step": step,
                "best_loss": loss,
                "learning_rate": lr,
                "input_file": str(Path(args.input_file).resolve()),
                "state": {
                    k: v.detach().cpu() for k, v in state_dict(model).items()
                },
                "optimizer": optimizer.state_dict(),
                "generator": generator.get_state(),
            },
        )

    to_device(model, device)
    start = time.perf_counter()
    try:
        result = fit(
            model,
            data.to(device),
            max_steps=args.max_steps,
            batch_size=args.batch_size,
            learning_rate=lr,
            seed=args.seed,
            eval_interval=args.eval_interval,
            start_step=start_step,
            optimizer_state=ckpt["optimizer"] if ckpt is not None else None,
            generator_state=ckpt["generator"] if ckpt is not None else None,
            best_loss=ckpt["best_loss"] if ckpt is not None else math.inf,
            on_best=on_best,
            progress=out,
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted; the best checkpoint so far is in {path}", file=out
        )
        return 130
    seconds, best = time.perf_counter() - start, result["best"]
    if best["state"] is not None:
        print(
            f"trained in {seconds:.1f} s; best {result['holdout']} loss "
            f"{best['loss']:.4f} at step {best['step']}, saved to {path}",
            file=out,
        )
    elif not path.is_file():
        raise CLIError(
            f"training diverged (loss {float(result['losses'][-1]):.4g}); "
            "lower --learning-rate"
        )
    else:
        print(
            f"trained in {seconds:.1f} s; no improvement on the checkpoint's "
            f"{result['holdout']} loss {best['loss']:.4f}",
            file=out,
        )
    return 0


def main(argv=None) -> int:
    """Entry point of ``python -m zerohero.makemore`` and the ``makemore``
    command (appendix)."""
    args = make_parser().parse_args(argv)
    try:
        return run(args)
    except CLIError as err:
        print(f"makemore: error: {err}", file=sys.stderr)
        return 2
