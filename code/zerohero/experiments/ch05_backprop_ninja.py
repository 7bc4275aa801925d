"""Chapter 5: the network trained with gradients written by hand."""

from zerohero.experiments import Experiment
from zerohero.makemore import manual_backprop

EXPERIMENTS = [
    Experiment("ch05-manual-backprop", manual_backprop.manual_train,
               data=("names.txt",)),
]
