"""micrograd: a tiny scalar autograd engine and the neural networks built on it
(chapter 1).

``engine`` (``Value``), ``nn`` (``Neuron``, ``Layer``, ``MLP``), ``graph`` (a
picture of a computation graph, drawn with matplotlib), ``datasets`` (two
moons) and ``demo`` (the chapter's two trainings).
"""

from zerohero.micrograd.engine import Value, topological_order
from zerohero.micrograd.nn import MLP, Layer, Module, Neuron

__all__ = ["Value", "topological_order", "Module", "Neuron", "Layer", "MLP"]
