"""Chapter 1's trainings, registered as cached experiments (chapter 1).

``micrograd-tiny``: the lecture's ``MLP(3, [4, 4, 1])`` fitted to its four examples with the
squared error. ``micrograd-moons``: micrograd's ``demo.ipynb``, a 2-16-16-1 ReLU network on
100 "two moons" points with the max-margin loss, L2 regularisation and a decaying learning
rate. Both return plain Python numbers (histories and trained weights) so that the chapter
draws its figures without training again.
"""

from __future__ import annotations

import random

from zerohero.micrograd.datasets import make_moons
from zerohero.micrograd.engine import Value, gc_paused
from zerohero.micrograd.nn import MLP

# The lecture's four examples and their targets.
LECTURE_XS = [
    [2.0, 3.0, -1.0],
    [3.0, -1.0, 0.5],
    [0.5, 1.0, 1.0],
    [1.0, 1.0, -1.0],
]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]

# micrograd's demo.ipynb (its current version, 100 steps with learning-rate decay) printed
# these losses and accuracies (%) at steps 0..99. Reference values: the book compares with them.
DEMO_PRINTED_LOSS = [
    0.8958441028683222, 1.7235905336972022, 0.7429006313851131, 0.7705641260584198,
    0.3692793385976538, 0.313545481918522, 0.2814234349772435, 0.26888733313983904,
    0.2567147286057417, 0.2704862551637922, 0.24507023853658053, 0.2509905529791503,
    0.21560951851922952, 0.23090378446402726, 0.20152151227899445, 0.22574506279282217,
    0.19447987596204114, 0.21089496199246363, 0.159830773563036, 0.1845374874688392,
    0.18977522856087634, 0.19072704042579647, 0.11733695088756485, 0.12173524408232454,
    0.1261571261277045, 0.16049097780801674, 0.18747197705245805, 0.16741837891059408,
    0.09586583491455399, 0.0877878370742091, 0.11731297569011848, 0.09340146460619836,
    0.12454454903103446, 0.07984002652777272, 0.07727519232921673, 0.07661250143094483,
    0.10610492379198365, 0.09062808429265976, 0.10671887043036932, 0.05225659921975849,
    0.06016009895234464, 0.08596724533333942, 0.051121079431796, 0.052401424016428284,
    0.045306841790015734, 0.07211073370655095, 0.03334238651310234, 0.03143222795751122,
    0.03658536747111507, 0.04829139382390309, 0.09875114765619622, 0.05449063965875453,
    0.03392679435708309, 0.05261517263568441, 0.03250295251424923, 0.02888327387207822,
    0.04139151104027239, 0.018987407426128502, 0.0252383352388374, 0.02079656521341895,
    0.0325971115781023, 0.017863351693480307, 0.023008717832211683, 0.022079325463581503,
    0.029432917853529684, 0.01625151464409193, 0.02846853448326446, 0.013994365546208731,
    0.015552344843651405, 0.0338911994616017, 0.014229870065926908, 0.013255281583285504,
    0.012300277590022063, 0.012676052498355976, 0.020593811955954763, 0.011845398205364453,
    0.016012697472883086, 0.025458360239222128, 0.014382930289661911, 0.011698962425817985,
    0.012318500800515763, 0.014121117031464233, 0.011664591962446225, 0.011589314549188726,
    0.010990299347735226, 0.01098922672069161, 0.010988193757655071, 0.010987200447388707,
    0.010986246779084925, 0.010985332742365272, 0.010984458327280174, 0.010983623524308862,
    0.010982828324359073, 0.010982072718767003, 0.010981356699297042, 0.010980680258141723,
    0.010980043387921506, 0.010979446081684675, 0.010978888332907229, 0.010978370135492717,
]
DEMO_PRINTED_ACCURACY = [
    50, 81, 77, 82, 84, 86, 89, 91, 91, 91, 91, 92, 91, 93, 92, 93, 92, 93, 94, 93,
    91, 93, 97, 95, 95, 95, 92, 95, 97, 96, 95, 97, 95, 97, 97, 98, 96, 99, 95, 98,
    100, 96, 99, 97, 100, 97, 99, 100, 99, 99, 96, 99, 100, 97, 99, 100, 98, 100, 100, 100,
    99, 100, 100, 100, 99, 100, 99, 100, 100, 99, 100, 100, 100, 100, 100, 100, 100, 100,
    100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100,
    100, 100, 100, 100, 100,
]


def squared_error(model: MLP, xs, ys) -> Value:
    """The lecture's loss: the sum of (prediction - target)**2 over the examples (chapter 1)."""
    ypred = [model(x) for x in xs]
    return sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))


def train_tiny(seed: int = 42, steps: int = 50, lr: float = 0.1) -> dict:
    """The lecture's MLP(3, [4, 4, 1]) on its four examples: gradient descent on the squared
    error (chapter 1). The lecture did not seed ``random``; we do."""
    model = MLP(3, [4, 4, 1], rng=random.Random(seed))
    losses = []
    with gc_paused():
        for _ in range(steps):
            loss = squared_error(model, LECTURE_XS, LECTURE_YS)  # forward
            model.zero_grad()                                    # backward
            loss.backward()
            for p in model.parameters():                         # update
                p.data += -lr * p.grad
            losses.append(loss.data)
        predictions = [model(x).data for x in LECTURE_XS]
    return {"loss": losses, "predictions": predictions,
            "parameters": [p.data for p in model.parameters()]}


def moons_model(seed: int = 1337) -> MLP:
    """micrograd's demo network: 2 inputs, two ReLU layers of 16, one linear output (chapter 1).

    Weights drawn as after ``random.seed(seed)``; biases start at zero (``micrograd.nn``).
    """
    return MLP(2, [16, 16, 1], nonlin="relu", linear_output=True, zero_bias=True,
               rng=random.Random(seed))


def max_margin_loss(model: MLP, X, y, alpha: float = 1e-4):
    """The demo's loss and accuracy on points ``X`` with labels ``y`` in {-1, +1} (chapter 1).

    The SVM "max-margin" loss ``relu(1 - y * score)`` averaged over the points, plus
    ``alpha`` times the sum of squared parameters (L2 regularisation). Written in the demo's
    order of operations, so its numbers reproduce to the last digit.
    """
    inputs = [[Value(float(a)) for a in row] for row in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (score.data > 0) for yi, score in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def train_moons(seed: int = 1337, n_samples: int = 100, noise: float = 0.1, steps: int = 100,
                alpha: float = 1e-4) -> dict:
    """micrograd's demo: SGD on the max-margin loss, learning rate 1.0 decaying linearly to
    0.1 (chapter 1). ``seed`` seeds both the data (numpy) and the weights (``random``)."""
    X, labels = make_moons(n_samples, noise=noise, seed=seed)
    y = [float(2 * label - 1) for label in labels]  # {0, 1} -> {-1, +1}
    X = X.tolist()
    model = moons_model(seed)
    losses, accuracies = [], []
    with gc_paused():
        for k in range(steps):
            total_loss, acc = max_margin_loss(model, X, y, alpha)  # forward
            model.zero_grad()                                      # backward
            total_loss.backward()
            learning_rate = 1.0 - 0.9 * k / steps                  # update (SGD)
            for p in model.parameters():
                p.data -= learning_rate * p.grad
            losses.append(total_loss.data)
            accuracies.append(100 * acc)
        final_loss, final_acc = max_margin_loss(model, X, y, alpha)
    return {"loss": losses, "accuracy": accuracies, "final_loss": final_loss.data,
            "final_accuracy": 100 * final_acc, "weights": [p.data for p in model.parameters()],
            "X": X, "y": y}
