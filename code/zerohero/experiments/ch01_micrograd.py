"""Chapter 1: micrograd's MLP on the lecture's four examples, and micrograd's demo."""

from zerohero.experiments import Experiment
from zerohero.micrograd import demo

EXPERIMENTS = [
    Experiment("micrograd-tiny", demo.train_tiny),
    Experiment("micrograd-moons", demo.train_moons),
]
