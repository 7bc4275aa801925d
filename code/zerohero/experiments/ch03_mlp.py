"""Chapter 3: the MLP language model, its learning-rate finder and the exercises."""

from zerohero.experiments import Experiment
from zerohero.makemore import mlp

NAMES = ("names.txt",)

EXPERIMENTS = [
    Experiment("mlp", mlp.mlp_experiment, data=NAMES),
    Experiment("mlp_emb2", mlp.mlp_experiment,
               dict(n_embd=2, n_hidden=300, steps=50_000, lr_decay_at=40_000),
               data=NAMES),
    Experiment("mlp_tuned", mlp.mlp_experiment, dict(mlp.TUNED), data=NAMES),
    Experiment("mlp_tuned_direct", mlp.mlp_experiment,
               dict(direct=True, **mlp.TUNED), data=NAMES),
    Experiment("mlp_lr_finder", mlp.lr_finder_experiment, data=NAMES),
]
