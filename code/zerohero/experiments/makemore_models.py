"""The makemore appendix: each model type as the command line trains it,
and one session of the command line itself."""

import contextlib
import io
import sys
import tempfile
from pathlib import Path

import torch

from zerohero.experiments import Experiment
from zerohero.makemore import cli, models
from zerohero.makemore.words import load_names

COMPARE_STEPS = 4000


def compare(type="transformer", max_steps=COMPARE_STEPS, batch_size=32,
            learning_rate=None, seed=42, num_samples=20):
    """One ``--type`` trained on names.txt with the command line's loop."""
    data = cli.WordData.from_words(load_names())
    model = models.build_model(type, len(data.vocab), data.block_size,
                               generator=torch.Generator().manual_seed(seed))
    lr = learning_rate or cli.DEFAULT_LR.get(type, 1e-2)
    result = cli.fit(model, data, max_steps=max_steps, batch_size=batch_size,
                     learning_rate=lr, seed=seed,
                     eval_interval=max(1, max_steps // 10))
    models.load_state_dict(model, result["best"]["state"])
    g = torch.Generator().manual_seed(seed)
    samples = [data.vocab.decode(r) for r in
               models.generate(model, num_samples, data.block_size,
                               generator=g)]
    losses = {split: models.evaluate(model, *data.tensors[split])
              for split in ("train", "val", "test")}
    return {"type": type, "n_params": models.count_parameters(model),
            "learning_rate": lr, "losses": result["losses"],
            "evals": result["evals"], "best_step": result["best"]["step"],
            **losses, "samples": samples,
            "origins": [data.origin(w) for w in samples]}


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
    Experiment(f"makemore_{kind}", compare, dict(type=kind),
               data=("names.txt",))
    for kind in models.TYPES
] + [
    Experiment("makemore_cli_demo", cli_demo),
]
