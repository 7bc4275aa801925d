"""Chapter 1: the lecture's MLP on its four examples, and micrograd's demo."""

from zerohero.experiments import Experiment
from zerohero.micrograd import demo

EXPERIMENTS = [
    Experiment("micrograd-tiny", demo.train_tiny),
    Experiment("micrograd-moons", demo.train_moons),
]
