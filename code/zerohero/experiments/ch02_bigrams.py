"""Chapter 2: the neural bigram, one-hot inputs first, then row lookups."""

from zerohero.experiments import Experiment
from zerohero.makemore import bigram

NAMES = ("names.txt",)

EXPERIMENTS = [
    Experiment("bigram_nn", bigram.neural_bigram_experiment, data=NAMES),
    Experiment("bigram_nn_index", bigram.neural_bigram_experiment,
               dict(inputs="index"), data=NAMES),
    Experiment("bigram_nn_cross_entropy", bigram.neural_bigram_experiment,
               dict(inputs="index", loss="cross_entropy"), data=NAMES),
]
