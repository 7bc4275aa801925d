"""The makemore appendix: each model type trained as makemore.py trains its
models, and one session of the command line itself."""

import contextlib
import io
import sys
import tempfile
from pathlib import Path

import torch

from zerohero.experiments import Experiment
from zerohero.makemore import cli, models
from zerohero.makemore.words import load_names

STEPS = 5000


def like_makemore_py(type="transformer", max_steps=STEPS, num_samples=20):
    """One ``--type`` trained on names.txt as makemore.py trains its models
    (``cli.fit_like_makemore_py``); then its best model samples."""
    result = cli.fit_like_makemore_py(type, load_names(), max_steps)
    model, vocab = result["model"], result["vocab"]
    models.load_state_dict(model, result["best"]["state"])
    g = torch.Generator().manual_seed(cli.MAKEMORE_PY.seed)
    samples = [vocab.decode(r) for r in
               models.generate(model, num_samples, result["block_size"],
                               generator=g)]
    sets = {k: set(v) for k, v in result["words"].items()}
    origins = [next((k for k in ("train", "test") if w in sets[k]), "new")
               for w in samples]
    X, Y = cli.encode_words(result["words"]["test"], vocab,
                            result["block_size"])
    return {"type": type, "n_params": models.count_parameters(model),
            "losses": result["losses"], "evals": result["evals"],
            "best_step": result["best"]["step"],
            "train": result["best"]["train"], "test": result["best"]["test"],
            "test_all_words": models.evaluate(model, X, Y),
            "samples": samples, "origins": origins,
            "samples_during": result["samples"]}


def cli_demo(type="gru", max_steps=400, learning_rate=0.003, seed=42):
    """The command line as a new user runs it, on a word list nobody
    prepared for it: the names of Python's standard-library modules.
    Returns what it printed."""
    words = sorted(sys.stdlib_module_names)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "modules.txt"
        path.write_text("\n".join(words) + "\n", encoding="utf-8")
        common = ["--input-file", str(path),
                  "--work-dir", str(Path(tmp) / "out"), "--seed", str(seed)]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc_train = cli.main(common + [
                "--type", type, "--max-steps", str(max_steps),
                "--learning-rate", str(learning_rate),
                "--eval-interval", str(max(1, max_steps // 8))])
            rc_sample = cli.main(common + ["--sample-only", "--num-samples",
                                           "10", "--top-k", "10"])
    # what a terminal shows in the end: each progress bar's last state
    printed = out.getvalue().replace(tmp + "/", "")
    text = "\n".join(line.split("\r")[-1].rstrip()
                     for line in printed.split("\n"))
    return {"rc": [rc_train, rc_sample], "output": text,
            "n_words": len(words)}


EXPERIMENTS = [
    Experiment(f"makemore_{kind}", like_makemore_py, dict(type=kind),
               data=("names.txt",))
    for kind in models.TYPES
] + [
    Experiment("makemore_cli_demo", cli_demo),
]
