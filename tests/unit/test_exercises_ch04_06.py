"""Checkers of chapters 4-6: a correct function passes, a typical mistake fails with a report
that names the case, a stub reports "Not implemented yet"."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from cecode.exercises import ch04, ch05, ch06


def _stub(*args):
    raise NotImplementedError


# --- chapter 4 -----------------------------------------------------------------------------


def _weighted_mean_over_batches(batches, weight):
    weighted_sum, weight_sum = 0.0, 0.0
    for logits, target in batches:
        weighted_sum += F.cross_entropy(logits, target, weight=weight, reduction="sum")
        weight_sum += weight[target[target != -100]].sum()
    return weighted_sum / weight_sum


def _mean_of_batch_means(batches, weight):
    means = [F.cross_entropy(z, y, weight=weight) for z, y in batches]
    return sum(means) / len(means)


def _masked_soft(logits, target, mask):
    per_row = F.cross_entropy(logits, target, reduction="none")
    mask = mask.to(per_row.dtype)
    return (per_row * mask).sum() / mask.sum().clamp(min=1)


def _masked_soft_nan_when_empty(logits, target, mask):
    return F.cross_entropy(logits, target, reduction="none")[mask].mean()


def _masked_soft_divides_by_n(logits, target, mask):
    return F.cross_entropy(logits, target * mask.unsqueeze(1).to(target.dtype))


# --- chapter 5 -----------------------------------------------------------------------------


def _train_step(model, optimizer, images, target):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), target)
    loss.backward()
    optimizer.step()
    return loss


def _train_step_without_zero_grad(model, optimizer, images, target):
    loss = F.cross_entropy(model(images), target)
    loss.backward()
    optimizer.step()
    return loss.item()


def _train_step_without_step(model, optimizer, images, target):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), target)
    loss.backward()
    return loss


@torch.no_grad()
def _evaluate(model, images, target, batch_size):
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(images), batch_size):
        logits = model(images[start : start + batch_size])
        y = target[start : start + batch_size]
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(dim=1) == y).sum().item()
    return loss_sum / len(images), correct / len(images)


@torch.no_grad()
def _evaluate_mean_of_batch_means(model, images, target, batch_size):
    model.eval()
    losses, accuracies = [], []
    for start in range(0, len(images), batch_size):
        logits = model(images[start : start + batch_size])
        y = target[start : start + batch_size]
        losses.append(F.cross_entropy(logits, y).item())
        accuracies.append((logits.argmax(dim=1) == y).float().mean().item())
    return sum(losses) / len(losses), sum(accuracies) / len(accuracies)


@torch.no_grad()
def _evaluate_in_training_mode(model, images, target, batch_size):
    logits = model(images)
    return F.cross_entropy(logits, target), (logits.argmax(dim=1) == target).float().mean()


def _confusion_matrix(target, predicted, num_classes):
    flat = target * num_classes + predicted
    counts = torch.bincount(flat, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


# --- chapter 6 -----------------------------------------------------------------------------


def _early_stopping(val_losses, patience):
    best, best_epoch, since_best = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, since_best = loss, epoch, 0
        else:
            since_best += 1
        if since_best >= patience:
            return epoch, best_epoch
    return len(val_losses), best_epoch


def _early_stopping_without_reset(val_losses, patience):
    best, best_epoch, since_best = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch = loss, epoch
        else:
            since_best += 1
        if since_best >= patience:
            return epoch, best_epoch
    return len(val_losses), best_epoch


def _dropout(x, keep, p, training):
    return x * keep.to(x.dtype) / (1 - p) if training else x


def _l2_penalty(parameters, weight_decay):
    return weight_decay / 2 * sum((p**2).sum() for p in parameters)


# (checker, correct function, a typical mistake, a fragment of the failure that names it)
CASES = [
    (
        ch04.check_weighted_mean_over_batches,
        _weighted_mean_over_batches,
        _mean_of_batch_means,
        "fails for two batches of 3 and 6 rows: got",
    ),
    (
        ch04.check_masked_soft_cross_entropy,
        _masked_soft,
        _masked_soft_nan_when_empty,
        "fails for only padding (expected 0, not nan): got nan, expected 0.0000",
    ),
    (
        ch04.check_masked_soft_cross_entropy,
        _masked_soft,
        _masked_soft_divides_by_n,
        "fails for some padding rows: got",
    ),
    (
        ch05.check_train_step,
        _train_step,
        _train_step_without_zero_grad,
        "fails for the parameters after three SGD steps (are the gradients reset?)",
    ),
    (
        ch05.check_train_step,
        _train_step,
        _train_step_without_step,
        "fails for the parameters after one SGD step: got",
    ),
    (
        ch05.check_evaluate,
        _evaluate,
        _evaluate_mean_of_batch_means,
        "fails for 10 examples in batches of 4 (the last has 2): got",
    ),
    (
        ch05.check_evaluate,
        _evaluate,
        _evaluate_in_training_mode,
        "fails for a model with dropout (is it in evaluation mode?): got",
    ),
    (
        ch05.check_confusion_matrix,
        _confusion_matrix,
        lambda t, p, c: _confusion_matrix(t, p, c).T,
        "fails for true 0 predicted as 1, twice (rows are the true classes): got",
    ),
    (
        ch06.check_early_stopping,
        _early_stopping,
        _early_stopping_without_reset,
        "fails for a new best after a short plateau (reset the count): got 6.0000",
    ),
    (
        ch06.check_inverted_dropout,
        _dropout,
        lambda x, keep, p, training: x * keep if training else x,
        "fails for p = 0.5 in training: got",
    ),
    (
        ch06.check_inverted_dropout,
        _dropout,
        lambda x, keep, p, training: x * keep / (1 - p),
        "fails for evaluation mode (input unchanged): got",
    ),
    (
        ch06.check_l2_penalty,
        _l2_penalty,
        lambda parameters, wd: wd * sum((p**2).sum() for p in parameters),
        "fails for one tensor: got",
    ),
]
IDS = [f"{checker.__module__.rsplit('.', 1)[-1]}.{checker.__name__}" for checker, *_ in CASES]


@pytest.mark.parametrize(("checker", "correct", "mistake", "fragment"), CASES, ids=IDS)
def test_correct_function_passes(checker, correct, mistake, fragment):
    report = checker(correct)
    assert report.passed, str(report)
    assert str(report) == f"All {report.n_checks} checks passed."
    assert report.n_checks >= 5


@pytest.mark.parametrize(("checker", "correct", "mistake", "fragment"), CASES, ids=IDS)
def test_typical_mistake_fails_with_a_clear_report(checker, correct, mistake, fragment):
    report = checker(mistake)
    assert not report.passed
    assert 1 <= len(report.failures) < report.n_checks or checker is ch05.check_train_step
    assert any(f.startswith(fragment) for f in report.failures), str(report)
    assert str(report).startswith(f"{len(report.failures)} of {report.n_checks} checks failed:")
    assert all(len(line) <= 79 for line in str(report).splitlines())


@pytest.mark.parametrize("checker", sorted({c[0] for c in CASES}, key=lambda c: c.__name__))
def test_stub_reports_not_implemented(checker):
    report = checker(_stub)
    assert not report.passed
    assert str(report).startswith("Not implemented yet: ")


def test_a_step_that_returns_nothing_is_reported():
    def no_return(model, optimizer, images, target):
        _train_step(model, optimizer, images, target)

    report = ch05.check_train_step(no_return)
    assert not report.passed
    assert "returned None instead of the batch's loss" in report.failures[0]


def test_early_stopping_rule_is_fits_rule():
    """The checker's reference makes the same decision as cecode.training.fit."""
    from cecode import training
    from cecode.models import MLP

    g = torch.Generator().manual_seed(0)
    images, labels = torch.randn(64, 1, 28, 28, generator=g), torch.randint(0, 10, (64,))
    val = (torch.randn(32, 1, 28, 28, generator=g), torch.randint(0, 10, (32,), generator=g))
    training.seed_everything(0)
    history = training.fit(
        MLP(hidden=8),
        (images, labels),
        val,
        epochs=12,
        early_stopping_patience=2,
        lr=0.05,
        progress=False,
    )
    full = _early_stopping(history.val_loss, 2)
    assert (history.epochs, history.best_epoch) == full
    assert ch06.check_early_stopping(_early_stopping).passed


def test_checkers_do_not_share_names_with_other_chapters():
    names = {m.__name__: set(m.__all__) for m in (ch04, ch05, ch06)}
    assert not names["cecode.exercises.ch05"] & names["cecode.exercises.ch06"]
    assert not names["cecode.exercises.ch04"] & (
        names["cecode.exercises.ch05"] | names["cecode.exercises.ch06"]
    )
