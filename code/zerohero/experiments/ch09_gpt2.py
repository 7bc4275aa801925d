"""Chapter 9: GPT-2's recipe at a size a CPU can train."""

from zerohero.experiments import Experiment  # noqa: F401

EXPERIMENTS: list = []
