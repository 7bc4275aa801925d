"""Chapter 1's two trainings, each one plain gradient-descent loop.

``train_tiny``: the lecture's ``MLP(3, [4, 4, 1])`` fitted to its four examples
with the squared error. ``train_moons``: micrograd's ``demo.ipynb``, a
2-16-16-1 ReLU network on 100 "two moons" points with the max-margin loss, L2
regularisation and a decaying learning rate. Both return plain Python numbers
(losses and trained weights), so the chapter draws its figures from them.
"""

from __future__ import annotations

import gc
import random

from zerohero.micrograd.datasets import make_moons
from zerohero.micrograd.engine import Value
from zerohero.micrograd.nn import MLP

# The lecture's four examples and their desired targets.
LECTURE_XS = [
    [2.0, 3.0, -1.0],
    [3.0, -1.0, 0.5],
    [0.5, 1.0, 1.0],
    [1.0, 1.0, -1.0],
]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]


def squared_error(model, xs, ys):
    """The lecture's loss: the sum of (prediction - target)**2."""
    ypred = [model(x) for x in xs]
    return sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))


def train_tiny(seed=42, steps=50, lr=0.1):
    """The lecture's loop: the MLP(3, [4, 4, 1]) on its four examples.

    The lecture did not seed ``random``; we do, so the run repeats.
    """
    model = MLP(3, [4, 4, 1], rng=random.Random(seed))
    losses = []
    for _ in range(steps):
        # forward pass
        loss = squared_error(model, LECTURE_XS, LECTURE_YS)

        # backward pass
        model.zero_grad()
        loss.backward()

        # update
        for p in model.parameters():
            p.data += -lr * p.grad

        losses.append(loss.data)
    predictions = [model(x).data for x in LECTURE_XS]
    return {"loss": losses, "predictions": predictions,
            "parameters": [p.data for p in model.parameters()]}


def moons_model(seed=1337):
    """micrograd's demo network: 2 inputs, two ReLU layers of 16, a linear
    output; weights as after ``random.seed(seed)``, biases zero."""
    return MLP(2, [16, 16, 1], nonlin="relu", linear_output=True,
               zero_bias=True, rng=random.Random(seed))


def max_margin_loss(model, X, y, alpha=1e-4):
    """The demo's loss and accuracy on points ``X``, labels ``y`` in {-1, +1}.

    The SVM "max-margin" loss ``relu(1 - y * score)`` averaged over the
    points, plus ``alpha`` times the sum of squared parameters; written in the
    demo's order of operations, so its numbers repeat to the last digit.
    """
    inputs = [list(map(Value, xrow)) for xrow in X]

    # forward the model to get scores
    scores = list(map(model, inputs))

    # svm "max-margin" loss
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    # L2 regularization
    reg_loss = alpha * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss

    # also get accuracy
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def train_moons(seed=1337, n_samples=100, noise=0.1, steps=100, alpha=1e-4):
    """micrograd's demo: SGD on the max-margin loss, the learning rate decaying
    linearly from 1.0 to 0.1. ``seed`` seeds the points and the weights."""
    X, labels = make_moons(n_samples, noise=noise, seed=seed)
    X = X.tolist()
    y = [2.0 * label - 1 for label in labels.tolist()]  # make y be -1 or 1
    model = moons_model(seed)
    losses, accuracies = [], []

    gc.disable()  # we free each step's graph ourselves, below
    for k in range(steps):
        # forward
        total_loss, acc = max_margin_loss(model, X, y, alpha)

        # backward
        model.zero_grad()
        total_loss.backward()

        # update (sgd)
        learning_rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad

        losses.append(total_loss.data)
        accuracies.append(acc * 100)
        # the closures make the graph a web of cycles, which only the cycle
        # collector frees: drop it, then collect the youngest generation,
        # the objects made since the last collection (this step's graph)
        del total_loss
        gc.collect(0)
    gc.enable()

    final_loss, final_acc = max_margin_loss(model, X, y, alpha)
    return {"loss": losses, "accuracy": accuracies,
            "final_loss": final_loss.data, "final_accuracy": final_acc * 100,
            "weights": [p.data for p in model.parameters()], "X": X, "y": y}
