"""Chapter 8: the tokenizer trained on tiny Shakespeare that chapter 9 reads."""

from zerohero.experiments import Experiment  # noqa: F401

EXPERIMENTS: list = []
