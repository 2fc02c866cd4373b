"""cecode.training: reproducible fits that learn, early stopping, learning-rate schedules."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cecode import data, evaluation, training
from cecode.models import MLP


@pytest.fixture(scope="module")
def subset():
    """2,000 real training images and 1,000 validation images."""
    images, labels = data.load_mnist_tensors(train=True)
    return (images[:2000], labels[:2000]), (images[50_000:51_000], labels[50_000:51_000])


def _model(seed=0, **kwargs):
    torch.manual_seed(seed)
    return MLP(**kwargs)


def test_same_seed_same_history(subset):
    train, val = subset
    h1 = training.fit(
        _model(), train, val, epochs=2, progress=False, seed=3, augment=data.random_shift
    )
    h2 = training.fit(
        _model(), train, val, epochs=2, progress=False, seed=3, augment=data.random_shift
    )
    assert h1 == h2
    h3 = training.fit(_model(), train, val, epochs=2, progress=False, seed=4)
    assert h3.train_loss != h1.train_loss


def test_short_fit_learns(subset):
    train, val = subset
    model = _model()
    loss0, acc0 = evaluation.evaluate(model, val)
    assert abs(loss0 - torch.log(torch.tensor(10.0)).item()) < 0.15  # untrained: about log 10
    history = training.fit(model, train, val, epochs=3, progress=False)
    assert history.epochs == 3 and len(history.val_acc) == 3
    assert history.train_acc[-1] > history.train_acc[0]
    assert history.val_acc[-1] > 0.85 > acc0
    assert history.val_loss[-1] < history.val_loss[0] < loss0
    assert (history.val_loss[-1], history.val_acc[-1]) == evaluation.evaluate(model, val)


def test_training_metrics_come_from_the_training_pass(subset):
    train, _ = subset
    history = training.fit(_model(), train, epochs=1, batch_size=2000, progress=False)
    # one full batch: the recorded metrics are those of the initial weights
    loss, acc = evaluation.evaluate(_model(), train)
    assert history.train_loss[0] == pytest.approx(loss, abs=1e-5)
    assert history.train_acc[0] == acc
    assert history.val_loss == [] and history.best_epoch == 1


def test_early_stopping_restores_best_weights(subset):
    (x, y), val = subset
    train = (x[:200], y[:200])  # tiny set: validation loss soon rises
    model = _model(hidden=256)
    history = training.fit(model, train, val, epochs=40, early_stopping_patience=3, progress=False)
    assert history.stopped_early
    best = history.best_epoch
    assert best < history.epochs and history.epochs == best + 3
    assert history.val_loss[best - 1] == min(history.val_loss)
    assert evaluation.evaluate(model, val)[0] == pytest.approx(history.val_loss[best - 1], abs=1e-6)


def test_custom_loss_fn_and_weight_decay(subset):
    train, val = subset
    calls = []

    def loss_fn(logits, target):
        calls.append(logits.shape)
        return F.nll_loss(F.log_softmax(logits, dim=1), target)

    h_custom = training.fit(_model(), train, val, epochs=1, loss_fn=loss_fn, progress=False)
    h_default = training.fit(_model(), train, val, epochs=1, progress=False)
    assert calls[0] == (64, 10) and len(calls) > 30
    assert h_custom.train_loss[0] == pytest.approx(h_default.train_loss[0], abs=1e-4)
    h_decay = training.fit(_model(), train, val, epochs=1, weight_decay=0.1, progress=False)
    assert h_decay.train_loss != h_default.train_loss


def test_seed_everything_repeats_random_draws():
    training.seed_everything(5)
    a = torch.rand(3)
    training.seed_everything(5)
    assert torch.equal(a, torch.rand(3))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, "epochs: expected an int >= 1, got 0"),
        ({"epochs": 1, "batch_size": 0}, ValueError, "batch_size: expected an int >= 1, got 0"),
        ({"epochs": 1, "early_stopping_patience": 2}, ValueError, "expected validation data"),
        ({"epochs": "3"}, TypeError, "epochs: expected an int >= 1, got str"),
        ({"epochs": 1, "lr": -1.0}, ValueError, "lr: expected a float > 0, got -1.0"),
        ({"epochs": 1, "progress": "no"}, TypeError, "progress: expected a bool, got str"),
        ({"epochs": 1, "loss_fn": "ce"}, TypeError, "loss_fn: expected a callable or None"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, error, match):
    x, y = torch.zeros(4, 784), torch.zeros(4, dtype=torch.long)
    with pytest.raises(error, match=match):
        training.fit(MLP(), (x, y), **{"progress": False, **kwargs})


def test_fit_rejects_mismatched_data():
    with pytest.raises(
        ValueError,
        match="train: expected images and labels of the same non-zero length, got 4 and 3",
    ):
        training.fit(MLP(), (torch.zeros(4, 784), torch.zeros(3, dtype=torch.long)), epochs=1)


def test_lr_schedule_scales_the_learning_rate(subset):
    train, _ = subset
    model = _model()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = training.make_adam(model.parameters(), lr=1e-3)
    training.fit(
        model, train, epochs=2, optimizer=optimizer, lr_schedule=lambda e: 0.0, progress=False
    )
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert optimizer.param_groups[0]["lr"] == 1e-3  # restored afterwards
    seen = []
    training.fit(
        model,
        train,
        epochs=3,
        optimizer=optimizer,
        progress=False,
        lr_schedule=lambda e: seen.append(e) or 1.0,
    )
    assert seen == [0, 1, 2]


@pytest.mark.parametrize("enabled_before", [False, True])
def test_fit_restores_the_flush_denormal_setting(subset, enabled_before):
    train, _ = subset
    denormal = torch.tensor([1e-40])  # float32 denormal: flushed to 0 only while the setting is on
    torch.set_flush_denormal(enabled_before)
    try:
        training.fit(_model(), (train[0][:128], train[1][:128]), epochs=1, progress=False)
        assert ((denormal * 1.0).item() == 0.0) == enabled_before
    finally:
        torch.set_flush_denormal(False)


def test_flush_denormals_flushes_inside_the_block_only():
    denormal = torch.tensor([1e-40])
    with training.flush_denormals():
        assert (denormal * 1.0).item() == 0.0
    assert (denormal * 1.0).item() > 0.0
