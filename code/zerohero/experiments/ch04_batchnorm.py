"""Chapter 4: the lecture's fixes one by one, the deep network and BatchNorm."""

from zerohero.experiments import Experiment
from zerohero.makemore import batchnorm

NAMES = ("names.txt",)

EXPERIMENTS = [
    Experiment(f"ch04-{name}", batchnorm.loss_log_run, dict(variant=variant),
               data=NAMES)
    for name, variant in [("original", "original"),
                          ("fix-softmax", "fix_softmax"),
                          ("fix-tanh", "fix_tanh"),
                          ("kaiming", "kaiming"),
                          ("batchnorm", "batchnorm")]
] + [
    Experiment("ch04-deep", batchnorm.deep_run, data=NAMES),
    Experiment("ch04-zero-init", batchnorm.zero_init_run, data=NAMES),
]
