"""Chapter 0: the two-neuron network trained by gradient descent in numpy."""

from zerohero import scratch
from zerohero.experiments import Experiment

EXPERIMENTS = [
    Experiment("scratch-two-neurons", scratch.train),
]
