"""A neural network from scratch in numpy: a layer of two neurons (chapter 0).

Two inputs, two neurons, one score per class; softmax turns the scores into
probabilities and the loss is the cross-entropy (the negative log-probability
of the right class). The gradients are written out by hand, from the
derivation in the chapter, and checked against finite differences. Gradient
descent then fits the layer to a 2-D dataset made here.
"""

from __future__ import annotations

import numpy as np


def make_blobs(n_per_class=100, seed=0, spread=0.9,
               centers=((-1.0, 0.6), (1.0, -0.6))):
    """Two Gaussian clouds in the plane: points ``X`` (2n, 2), labels ``y``.

    Class ``k`` is centred on ``centers[k]`` with standard deviation
    ``spread`` in each direction; the clouds overlap a little, so no straight
    line separates them perfectly.
    """
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(c, spread, size=(n_per_class, 2))
                        for c in centers])
    y = np.repeat(np.arange(len(centers)), n_per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]


class TwoNeurons:
    """A layer of two neurons on two inputs: neuron ``k`` scores class ``k``.

    The score of class ``k`` for a point ``x`` is ``z[k] = W[k] @ x + b[k]``.
    """

    def __init__(self, W, b):
        self.W = W  # (2, 2): row k holds neuron k's two weights
        self.b = b  # (2,): neuron k's bias

    def logits(self, X):
        """The scores ``z`` (n, 2): one row per point, one column per neuron."""
        return X @ self.W.T + self.b

    def probs(self, X):
        """Softmax of the scores: each row a distribution over the classes."""
        return softmax(self.logits(X))

    def predict(self, X):
        """The class with the highest score, per point."""
        return self.logits(X).argmax(axis=1)


def init_two_neurons(seed=0, scale=0.1):
    """Small random weights, so that both classes start near probability 1/2,
    and zero biases."""
    rng = np.random.default_rng(seed)
    return TwoNeurons(rng.normal(0.0, scale, size=(2, 2)), np.zeros(2))


def softmax(z):
    """``exp(z) / sum(exp(z))`` along the last axis, shifted by the max so
    that exp cannot overflow."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(model, X, y):
    """The mean over the points of ``-log p[y]``, the probability given to
    the right class."""
    z = model.logits(X)
    z = z - z.max(axis=1, keepdims=True)  # log-softmax, without overflow
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].mean())


def gradients(model, X, y):
    """``(dL/dW, dL/db)`` of the cross-entropy, by hand.

    For one point, ``dL/dz[k] = p[k] - onehot(y)[k]``; ``z[k] = W[k] @ x +
    b[k]`` then gives ``dL/dW[k, j] = dL/dz[k] * x[j]`` and ``dL/db[k] =
    dL/dz[k]``. The loss is a mean over the ``n`` points, so the gradient is
    the mean of the points' gradients.
    """
    n = len(y)
    dz = model.probs(X)
    dz[np.arange(n), y] -= 1.0   # p - onehot(y)
    dz /= n                      # the mean over the points
    return dz.T @ X, dz.sum(axis=0)


def numerical_gradients(model, X, y, h=1e-6):
    """``(dL/dW, dL/db)`` by central differences, ``(L(w + h) - L(w - h)) /
    2h``, one weight at a time."""
    grads = []
    for param in (model.W, model.b):
        grad = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            old = param[idx]
            param[idx] = old + h
            up = cross_entropy(model, X, y)
            param[idx] = old - h
            down = cross_entropy(model, X, y)
            param[idx] = old
            grad[idx] = (up - down) / (2 * h)
        grads.append(grad)
    return tuple(grads)


def hessian(model, X):
    """The 6 x 6 matrix of second derivatives of the cross-entropy.

    The parameters are ordered neuron by neuron, ``(W[0], b[0], W[1], b[1])``.
    For one point, ``d2L/dz[j] dz[k] = p[j] ([j = k] - p[k])`` (the labels
    drop out), and each score is linear in its neuron's ``(W[k], b[k])`` with
    the point's features ``(x1, x2, 1)`` as coefficients.
    """
    P = model.probs(X)
    features = np.c_[X, np.ones(len(X))]            # (n, 3): x1, x2, 1
    S = P[:, :, None] * (np.eye(2) - P[:, None, :])  # (n, 2, 2) per point
    H = np.einsum("njk,na,nb->jakb", S, features, features) / len(X)
    return H.reshape(6, 6)


def accuracy(model, X, y):
    """The fraction of points whose highest score is their class."""
    return float((model.predict(X) == y).mean())


def train(seed=0, n_per_class=100, steps=200, lr=0.5):
    """Gradient descent on the cross-entropy of a two-neuron layer, every
    point in every step (full batch)."""
    X, y = make_blobs(n_per_class, seed=seed)
    model = init_two_neurons(seed)
    losses = []
    for _ in range(steps):
        losses.append(cross_entropy(model, X, y))  # forward
        dW, db = gradients(model, X, y)            # backward, by hand
        model.W -= lr * dW                         # update
        model.b -= lr * db
    return {"loss": losses, "final_loss": cross_entropy(model, X, y),
            "accuracy": accuracy(model, X, y), "W": model.W, "b": model.b,
            "X": X, "y": y}
