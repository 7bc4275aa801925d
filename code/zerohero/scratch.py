"""A neural network from scratch with numpy: one layer of two neurons (chapter 0).

Two inputs, two neurons, one score per class; softmax turns the scores into probabilities
and the loss is the cross-entropy (the negative log-probability of the right class). The
gradients are written out by hand, from the derivation in the chapter, and checked against
finite differences. Gradient descent then fits the layer to a 2-D dataset made here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np



def make_blobs(n_per_class: int = 100, seed: int = 0, spread: float = 0.9,
               centers=((-1.0, 0.6), (1.0, -0.6))):
    """Two Gaussian clouds in the plane: points ``X`` (2n, 2), labels ``y`` (2n,) (chapter 0).

    Class ``k`` is centred on ``centers[k]`` with standard deviation ``spread`` in each
    direction; the clouds overlap a little, so no straight line separates them perfectly.
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class}")
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(c, spread, size=(n_per_class, 2)) for c in centers])
    y = np.repeat(np.arange(len(centers)), n_per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]


@dataclass
class TwoNeurons:
    """A layer of two neurons on two inputs: neuron ``k`` scores class ``k`` (chapter 0).

    ``W[k]`` holds neuron ``k``'s two weights and ``b[k]`` its bias: the score of class
    ``k`` for a point ``x`` is ``z[k] = W[k] @ x + b[k]``.
    """

    W: np.ndarray  # (2, 2)
    b: np.ndarray  # (2,)

    @classmethod
    def init(cls, seed: int = 0, scale: float = 0.1) -> "TwoNeurons":
        """Small random weights (so that both classes start near probability 1/2), zero biases."""
        rng = np.random.default_rng(seed)
        return cls(W=rng.normal(0.0, scale, size=(2, 2)), b=np.zeros(2))

    def logits(self, X) -> np.ndarray:
        """The scores ``z`` (n, 2): one row per point, one column per neuron."""
        X = _points(X)
        return X @ self.W.T + self.b

    def probs(self, X) -> np.ndarray:
        """Softmax of the scores: each row is a probability distribution over the 2 classes."""
        return softmax(self.logits(X))

    def predict(self, X) -> np.ndarray:
        """The class with the highest score, per point."""
        return self.logits(X).argmax(axis=1)

    def copy(self) -> "TwoNeurons":
        return TwoNeurons(self.W.copy(), self.b.copy())


def softmax(z: np.ndarray) -> np.ndarray:
    """``exp(z) / sum(exp(z))`` along the last axis, shifted by the max so exp cannot overflow
    (chapter 0)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(model: TwoNeurons, X, y) -> float:
    """The mean over the points of ``-log p[y]``, the probability given to the right class
    (chapter 0)."""
    X, y = _points(X), _labels(y, len(X))
    z = model.logits(X)
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].mean())


def gradients(model: TwoNeurons, X, y) -> tuple[np.ndarray, np.ndarray]:
    """``(dL/dW, dL/db)`` of the cross-entropy, by hand (chapter 0 derives it).

    For one point, ``dL/dz[k] = p[k] - onehot(y)[k]``; ``z[k] = W[k] @ x + b[k]`` then
    gives ``dL/dW[k, j] = dL/dz[k] * x[j]`` and ``dL/db[k] = dL/dz[k]``. The loss is a mean
    over the ``n`` points, so the gradient is the mean of the points' gradients.
    """
    X, y = _points(X), _labels(y, len(X))
    n = len(y)
    dz = model.probs(X)
    dz[np.arange(n), y] -= 1.0   # p - onehot(y)
    dz /= n                      # the mean over the points
    return dz.T @ X, dz.sum(axis=0)


def numerical_gradients(model: TwoNeurons, X, y, h: float = 1e-6):
    """``(dL/dW, dL/db)`` by central differences, ``(L(w + h) - L(w - h)) / 2h`` per weight
    (chapter 0)."""
    grads = []
    for name in ("W", "b"):
        param = getattr(model, name)
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


def accuracy(model: TwoNeurons, X, y) -> float:
    """The fraction of points whose highest score is their class (chapter 0)."""
    return float((model.predict(X) == _labels(y, len(_points(X)))).mean())


def train(seed: int = 0, n_per_class: int = 100, steps: int = 200, lr: float = 0.5) -> dict:
    """Gradient descent on the cross-entropy of a two-neuron layer, full batch (chapter 0)."""
    X, y = make_blobs(n_per_class, seed=seed)
    model = TwoNeurons.init(seed)
    initial = model.copy()
    losses = []
    for _ in range(steps):
        losses.append(cross_entropy(model, X, y))
        dW, db = gradients(model, X, y)
        model.W -= lr * dW
        model.b -= lr * db
    return {"loss": losses, "final_loss": cross_entropy(model, X, y),
            "accuracy": accuracy(model, X, y), "W": model.W, "b": model.b,
            "W0": initial.W, "b0": initial.b, "X": X, "y": y}


def _points(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must be an array of points with shape (n, 2), got shape {X.shape}")
    return X


def _labels(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must hold one label per point, shape ({n},), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min(initial=0) < 0 or y.max(initial=0) > 1:
        raise ValueError("y must hold the integer class labels 0 and 1")
    return y
