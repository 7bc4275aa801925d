"""Chapter 6: the rows of the lecture's performance log, one experiment each."""

from zerohero.experiments import Experiment
from zerohero.makemore import wavenet

NAMES = ("names.txt",)

EXPERIMENTS = [
    Experiment("wavenet_original", wavenet.performance_log,
               dict(block_size=3, n_embd=10, n_hidden=200, hierarchical=False),
               data=NAMES),
    Experiment("wavenet_context8", wavenet.performance_log,
               dict(block_size=8, n_embd=10, n_hidden=200, hierarchical=False),
               data=NAMES),
    Experiment("wavenet_hierarchical_bnbug", wavenet.performance_log,
               dict(n_embd=10, n_hidden=68, bn_reduce_time=False), data=NAMES),
    Experiment("wavenet_hierarchical", wavenet.performance_log,
               dict(n_embd=10, n_hidden=68), data=NAMES),
    Experiment("wavenet_scaled", wavenet.performance_log,
               dict(n_embd=24, n_hidden=128), data=NAMES),
]
