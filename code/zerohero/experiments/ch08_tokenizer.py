"""Chapter 8: the tokenizer trained on tiny Shakespeare that chapter 9 reads,
and a larger vocabulary for the chapter's compression curve."""

from zerohero.experiments import Experiment
from zerohero.tokenizer.train import train_tokenizer

SHAKESPEARE = ("tinyshakespeare.txt",)

EXPERIMENTS = [
    Experiment("tokenizer-shakespeare", train_tokenizer,
               dict(vocab_size=512), data=SHAKESPEARE),
    Experiment("tokenizer-shakespeare-4096", train_tokenizer,
               dict(vocab_size=4096), data=SHAKESPEARE),
]
