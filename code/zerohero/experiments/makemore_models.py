"""The makemore appendix: each model type as the command line trains it."""

from zerohero.experiments import Experiment
from zerohero.makemore import cli

EXPERIMENTS = [
    Experiment(f"makemore_{kind}", cli.compare, dict(type=kind),
               data=("names.txt",))
    for kind in ("bigram", "mlp", "wavenet", "rnn", "gru", "transformer")
] + [
    Experiment("makemore_cli_demo", cli.cli_demo),
]
