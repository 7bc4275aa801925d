"""Chapter 2: the neural bigram, one-hot inputs first, then row lookups.

Each experiment trains with ``bigram.train_neural_bigram``, the loop the
chapter shows, on all 228,146 bigrams of names.txt.
"""

import torch
import torch.nn.functional as F

from zerohero.experiments import Experiment
from zerohero.makemore import bigram
from zerohero.makemore.words import Vocabulary, load_names

NAMES = ("names.txt",)


def neural_bigram(steps=100, lr=50.0, reg=0.01, seed=bigram.LECTURE_SEED,
                  inputs="one_hot", loss="manual"):
    """The lecture's neural bigram, trained on every bigram of the names."""
    words = load_names()
    vocab = Vocabulary.from_words(words)
    xs, ys = bigram.bigram_pairs(words, vocab)
    g = torch.Generator().manual_seed(seed)
    model = bigram.NeuralBigram(len(vocab), g, inputs=inputs, loss=loss)
    losses = bigram.train_neural_bigram(model, xs, ys, steps, lr, reg)
    with torch.no_grad():  # after the last update, without the regulariser
        nll = F.cross_entropy(model.W[xs], ys).item()
    return {"losses": losses, "final_loss": losses[-1], "nll": nll,
            "W": model.W.detach().clone()}


EXPERIMENTS = [
    Experiment("bigram_nn", neural_bigram, data=NAMES),
    Experiment("bigram_nn_index", neural_bigram, dict(inputs="index"),
               data=NAMES),
    Experiment("bigram_nn_cross_entropy", neural_bigram,
               dict(inputs="index", loss="cross_entropy"), data=NAMES),
]
