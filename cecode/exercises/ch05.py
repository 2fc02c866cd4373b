"""Checkers for the exercises of Chapter 5 (training a digit classifier on MNIST)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cecode._validate import check_callable
from cecode.exercises._checking import Case, CheckReport, randint, randn, run_cases

__all__ = ["check_train_step", "check_evaluate", "check_confusion_matrix"]


def _tiny_model(seed: int, dropout: float = 0.0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(dropout), nn.Linear(8, 3))


def _reference_step(model, optimizer, images, labels):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss


def _run_steps(step: Callable, optimizer_name: str, n_steps: int, what: str) -> Tensor:
    """Run ``step`` n_steps times on a fresh tiny model; return the losses or the parameters."""
    model = _tiny_model(seed=70)
    if optimizer_name == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for i in range(n_steps):
        images, labels = randn(6, 5, seed=71 + i), randint(3, 6, seed=81 + i)
        loss = step(model, optimizer, images, labels)
        if loss is None:
            raise ValueError("it returned None instead of the batch's loss")
        if isinstance(loss, Tensor):
            loss = loss.detach()
        losses.append(torch.as_tensor(float(loss)))
    if what == "losses":
        return torch.stack(losses)
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def check_train_step(fn: Callable) -> CheckReport:
    """Check ``fn(model, optimizer, images, labels)``: one step of training.

    One step is: reset the gradients, compute the logits and the mean cross-entropy on the raw
    logits, backpropagate, update the parameters, and return the loss. The checker runs your
    function for one to three steps on a small model with SGD and with Adam and compares the
    returned losses and the parameters after the steps with those of the reference step.

    Parameters
    ----------
    fn : callable
        Your step, ``fn(model, optimizer, images (B, 5), labels (B,)) -> loss`` (a scalar
        tensor or a float).

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    check_callable("fn", fn)
    specs = [
        ("the loss of the first step", "sgd", 1, "losses"),
        ("the parameters after one SGD step", "sgd", 1, "parameters"),
        ("the losses of three SGD steps", "sgd", 3, "losses"),
        (
            "the parameters after three SGD steps (are the gradients reset?)",
            "sgd",
            3,
            "parameters",
        ),
        ("the parameters after three Adam steps", "adam", 3, "parameters"),
    ]
    cases = [
        Case(name, (opt, n, what), _run_steps(_reference_step, opt, n, what))
        for name, opt, n, what in specs
    ]

    def wrapped(opt: str, n: int, what: str) -> Tensor:
        return _run_steps(fn, opt, n, what)

    return run_cases("train-step", wrapped, cases)


@torch.no_grad()
def _reference_evaluate(model, images, labels, batch_size):
    model.eval()
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    accuracy = (logits.argmax(dim=1) == labels).float().mean()
    return torch.stack([loss, accuracy])


def check_evaluate(fn: Callable) -> CheckReport:
    """Check ``fn(model, images, labels, batch_size)``: mean loss and accuracy, in batches.

    The expected result is ``(loss, accuracy)``: the cross-entropy averaged over all the
    examples (not the average of the batch means: the last batch may be smaller) and the
    fraction of correct predictions, computed with the model in evaluation mode.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(model, images (N, 5), labels (N,), batch_size: int)
        -> (loss, accuracy)`` (two floats or scalar tensors).

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    check_callable("fn", fn)
    images, labels = randn(10, 5, seed=90), randint(3, 10, seed=91)
    specs = [
        ("10 examples in batches of 5", 0.0, 5),
        ("10 examples in batches of 4 (the last has 2)", 0.0, 4),
        ("one batch larger than the data", 0.0, 64),
        ("batches of one example", 0.0, 1),
        ("a model with dropout (is it in evaluation mode?)", 0.5, 4),
    ]
    cases = []
    for name, dropout, batch_size in specs:
        model = _tiny_model(seed=92, dropout=dropout)
        expected = _reference_evaluate(copy.deepcopy(model), images, labels, batch_size)
        cases.append(Case(name, (model, images, labels, batch_size), expected))

    def wrapped(model, images, labels, batch_size) -> Tensor:
        torch.manual_seed(93)  # dropout left on gives the same wrong answer every time
        result = fn(copy.deepcopy(model), images, labels, batch_size)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ValueError("it returned something else than a pair (loss, accuracy)")
        values = [r.detach() if isinstance(r, Tensor) else r for r in result]
        return torch.stack([torch.as_tensor(float(r)) for r in values])

    return run_cases("evaluate", wrapped, cases)


def _confusion(target: Tensor, predicted: Tensor, num_classes: int) -> Tensor:
    index = target * num_classes + predicted
    counts = torch.bincount(index, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def check_confusion_matrix(fn: Callable[[Tensor, Tensor, int], Tensor]) -> CheckReport:
    """Check ``fn(target, predicted, num_classes)``: the ``(C, C)`` confusion matrix.

    Entry ``[i, j]`` counts the examples of true class ``i`` predicted as class ``j``: rows are
    the true classes, columns the predictions.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(target (N,) int64, predicted (N,) int64, num_classes: int)
        -> (C, C)`` counts.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    target = randint(4, 30, seed=100)
    specs = [
        ("random predictions, 4 classes", target, randint(4, 30, seed=101), 4),
        ("every prediction right", target, target.clone(), 4),
        ("always predicting class 0", target, torch.zeros_like(target), 4),
        (
            "true 0 predicted as 1, twice (rows are the true classes)",
            torch.tensor([0, 0, 1, 2]),
            torch.tensor([1, 1, 1, 2]),
            3,
        ),
        ("a class that never occurs", torch.tensor([0, 1, 1]), torch.tensor([1, 1, 0]), 5),
    ]
    cases = [Case(n, (t, p, c), _confusion(t, p, c)) for n, t, p, c in specs]
    return run_cases("confusion-matrix", fn, cases)
