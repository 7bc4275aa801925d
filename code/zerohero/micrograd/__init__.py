"""micrograd: a tiny scalar autograd engine and the neural networks built on it (chapter 1).

``engine.Value`` (the autograd engine), ``nn`` (Neuron, Layer, MLP), ``graph`` (a picture of
a computation graph, drawn with matplotlib), ``datasets`` (two moons), ``demo`` (the chapter's
training runs, registered as cached experiments).
"""

from zerohero.micrograd.engine import Value, gc_paused, topological_order
from zerohero.micrograd.nn import MLP, Layer, Module, Neuron

__all__ = ["Value", "gc_paused", "topological_order", "Module", "Neuron", "Layer", "MLP"]
