"""Neural Networks: Zero to Hero, as tested code.

One subpackage or module per stage of the lecture series; the book in ``book/`` imports from here.
"""

__version__ = "0.1.0"
