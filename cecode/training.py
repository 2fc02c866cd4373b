"""Training: ``fit``, seeding, Adam and denormal flushing (evaluation is :mod:`cecode.evaluation`).

The training loop in :func:`fit` is the one every PyTorch tutorial shows::

    for xb, yb in batches:
        logits = model(xb)                   # raw scores, no softmax
        loss = F.cross_entropy(logits, yb)   # log_softmax + NLL in one stable step
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

made fast for data that fits in memory: the whole training set is one tensor and each batch
is an ``index_select`` of a pre-drawn permutation (no per-image Python work), Adam uses its
fused (or ``foreach``) implementation, denormal floats are flushed to zero (Adam's second
moment decays into the denormal range and makes later epochs slower), and the training accuracy
comes from the logits of the forward pass already done.
"""

from __future__ import annotations

import contextlib
import copy
import os
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cecode import _validate as v
from cecode.evaluation import evaluate

__all__ = [
    "History",
    "seed_everything",
    "make_adam",
    "flush_denormals",
    "fit",
]


@dataclass
class History:
    """Per-epoch metrics recorded by :func:`fit`.

    Attributes
    ----------
    train_loss, train_acc : list of float
        Mean loss and accuracy over the training batches of each epoch (measured during the
        epoch, while the weights change, with dropout and augmentation active).
    val_loss, val_acc : list of float
        Loss and accuracy on the validation data after each epoch (empty without validation data).
    best_epoch : int or None
        1-based epoch with the lowest validation loss (training loss without validation data).
    stopped_early : bool
        Whether early stopping ended training before ``epochs``.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        """Number of epochs run."""
        return len(self.train_loss)

    def rounded(self, digits: int = 3) -> dict[str, list[float]]:
        """Return the four metric lists rounded to ``digits`` decimals (for deterministic printing)."""
        return {
            name: [round(v, digits) for v in getattr(self, name)]
            for name in ("train_loss", "train_acc", "val_loss", "val_acc")
        }


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy (if installed) and PyTorch's global generator.

    Parameters
    ----------
    seed : int
        The seed.
    """
    v.check_int("seed", seed)
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)  # noqa: NPY002 - seeds the legacy global generator
    except ImportError:  # pragma: no cover - numpy is a dependency of torchvision
        pass
    torch.manual_seed(seed)


def make_adam(params, lr: float = 1e-3, weight_decay: float = 0.0) -> torch.optim.Adam:
    """Adam with its fastest CPU implementation: ``fused=True`` if this torch has it, else ``foreach``.

    Parameters
    ----------
    params : iterable
        Parameters (tensors) or parameter groups (dicts), as for ``torch.optim.Adam``.
    lr : float
        Learning rate.
    weight_decay : float
        L2 penalty coefficient added to the gradient (Adam's ``weight_decay``).

    Returns
    -------
    torch.optim.Adam
    """
    if isinstance(params, (Tensor, str)) or not hasattr(params, "__iter__"):
        raise TypeError(
            "params: expected an iterable of tensors or parameter groups, got "
            f"{type(params).__name__}"
        )
    v.check_real("lr", lr, 0.0, low_open=True)
    v.check_real("weight_decay", weight_decay, 0.0)
    params = list(params)
    if not params:
        raise ValueError("params: expected at least one parameter, got an empty iterable")
    try:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, foreach=True)


def _flush_denormal_enabled() -> bool:
    """Whether the CPU currently flushes denormal floats to zero (there is no getter in torch)."""
    smallest_denormal_product = torch.tensor([1e-40]) * 1.0
    return bool(smallest_denormal_product.item() == 0.0)


@contextlib.contextmanager
def flush_denormals():
    """Flush denormal floats to zero inside the block, then restore the previous setting.

    Denormals (float32 magnitudes below about 1.2e-38) are slow on CPUs, and Adam's second-moment
    state decays into them during training. ``torch.set_flush_denormal`` is process-wide, so
    setting it and leaving it would change the numbers of everything that runs afterwards.
    """
    was_enabled = _flush_denormal_enabled()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was_enabled)


def _progress(iterable, enabled: bool, total: int):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc="epochs", unit="epoch", leave=True)


def _close(bar) -> None:
    """Close a progress bar (also after an early stop) and flush it before anything else prints."""
    close = getattr(bar, "close", None)
    if close is not None:
        close()
        sys.stderr.flush()


def _show(bar, history: History) -> None:
    """Write the last epoch's metrics next to the progress bar (if there is one)."""
    if not hasattr(bar, "set_postfix_str"):
        return
    shown = f"loss {history.train_loss[-1]:.4f}, acc {history.train_acc[-1]:.4f}"
    if history.val_loss:
        shown += f", val loss {history.val_loss[-1]:.4f}, val acc {history.val_acc[-1]:.4f}"
    bar.set_postfix_str(shown, refresh=False)


def _check_fit_arguments(
    model,
    train,
    val,
    epochs,
    batch_size,
    lr,
    weight_decay,
    early_stopping_patience,
    seed,
    progress,
    optimizer,
    **hooks,
) -> tuple[Tensor, Tensor]:
    """Check :func:`fit`'s arguments (``hooks``: the optional callables); return ``train``."""
    patience = early_stopping_patience
    v.check_module("model", model)
    x, y = v.check_labeled_data("train", train)
    if val is not None:
        v.check_labeled_data("val", val)
    v.check_positive_int("epochs", epochs)
    v.check_positive_int("batch_size", batch_size)
    v.check_real("lr", lr, 0.0, low_open=True)
    v.check_real("weight_decay", weight_decay, 0.0)
    if patience is not None:
        v.check_positive_int("early_stopping_patience", patience)
        if val is None:
            raise ValueError(
                "early_stopping_patience: expected validation data with it, got val=None "
                "(pass val=(images, labels))"
            )
    v.check_int("seed", seed)
    v.check_bool("progress", progress)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer: expected a torch.optim.Optimizer or None, got {type(optimizer).__name__}"
        )
    for name, hook in hooks.items():
        v.check_callable(name, hook, optional=True)
    return x, y


def _batches(x: Tensor, y: Tensor, batch_size: int, generator: torch.Generator, buffers):
    """One epoch of shuffled ``(images, labels)`` batches; full batches reuse ``buffers``."""
    batch_buf, label_buf = buffers
    full = len(x) // batch_size
    order = torch.randperm(len(x), generator=generator)
    for i, idx in enumerate(order.split(batch_size)):
        if i < full:  # copy the batch into preallocated buffers
            yield (
                torch.index_select(x, 0, idx, out=batch_buf),
                torch.index_select(y, 0, idx, out=label_buf),
            )
        else:
            yield x.index_select(0, idx), y.index_select(0, idx)


def _train_epoch(model, batches, loss_fn, optimizer, augment) -> tuple[float, float]:
    """Run the loop of the module docstring over one epoch; return mean loss and accuracy.

    Both metrics come from the forward passes of the epoch (no extra pass over the data).
    """
    loss_sum = torch.zeros(())
    correct = torch.zeros((), dtype=torch.int64)
    n = 0
    for xb, yb in batches:
        if augment is not None:
            xb = augment(xb)
        logits = model(xb)
        loss = loss_fn(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            loss_sum += loss.detach() * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum()
        n += len(yb)
    return float(loss_sum) / n, int(correct) / n


@dataclass
class _EarlyStopping:
    """Track the best epoch's score (and weights, with a patience); say when to stop."""

    patience: int | None
    best_score: float = float("inf")
    best_epoch: int | None = None
    best_state: dict | None = None
    since_best: int = 0

    def should_stop(self, epoch: int, score: float, model: nn.Module) -> bool:
        """Record ``score`` of the 1-based ``epoch``; True once ``patience`` epochs did not improve."""
        if score < self.best_score:
            self.best_score, self.since_best, self.best_epoch = score, 0, epoch
            if self.patience is not None:
                self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.since_best += 1
        return self.patience is not None and self.since_best >= self.patience


@contextlib.contextmanager
def _lr_schedule(optimizer: torch.optim.Optimizer, schedule: Callable[[int], float] | None):
    """Yield ``set_epoch(epoch)`` that scales each group's initial rate; restore them at the end."""
    base_lrs = [group["lr"] for group in optimizer.param_groups]

    def set_epoch(epoch: int) -> None:
        if schedule is not None:
            factor = float(schedule(epoch))
            for group, base_lr in zip(optimizer.param_groups, base_lrs, strict=True):
                group["lr"] = base_lr * factor

    try:
        yield set_epoch
    finally:
        for group, base_lr in zip(optimizer.param_groups, base_lrs, strict=True):
            group["lr"] = base_lr


def fit(
    model: nn.Module,
    train: tuple[Tensor, Tensor],
    val: tuple[Tensor, Tensor] | None = None,
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
    augment: Callable[[Tensor], Tensor] | None = None,
    early_stopping_patience: int | None = None,
    seed: int = 0,
    progress: bool = True,
    optimizer: torch.optim.Optimizer | None = None,
    lr_schedule: Callable[[int], float] | None = None,
) -> History:
    """Train ``model`` with Adam on in-memory tensors; return the per-epoch :class:`History`.

    Each epoch draws a permutation of the training examples (seeded), and for each batch of
    ``batch_size`` examples does: forward, ``loss_fn(logits, labels)``, backward, optimizer step.
    After each epoch the model is evaluated on ``val`` (if given) with :func:`cecode.evaluation.evaluate`.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, ...)`` images to ``(B, C)`` raw logits; trained in place.
    train : tuple of Tensor
        ``(images (N, ...), labels (N,))``.
    val : tuple of Tensor, optional
        Validation ``(images, labels)``.
    epochs : int
        Maximum number of passes over ``train``.
    batch_size : int
        Examples per optimizer step.
    lr : float
        Adam's learning rate.
    weight_decay : float
        Adam's L2 penalty coefficient.
    loss_fn : callable, optional
        ``loss_fn(logits, labels) -> scalar mean loss``; default ``F.cross_entropy`` (on raw logits).
    augment : callable, optional
        Applied to each training batch of images, e.g. :func:`cecode.data.random_shift`.
    early_stopping_patience : int, optional
        Stop when the validation loss has not improved for this many epochs, then restore the
        weights of the best epoch. Requires ``val``.
    seed : int
        Seeds the shuffling and PyTorch's global generator (dropout, augmentation), so two calls
        with the same seed and the same initial model give identical histories.
    progress : bool
        Show a tqdm progress bar over the epochs.
    optimizer : torch.optim.Optimizer, optional
        Use this optimizer instead of a new Adam (``lr`` and ``weight_decay`` are then ignored).
    lr_schedule : callable, optional
        ``lr_schedule(epoch) -> factor`` for the 0-based epoch: each parameter group's learning
        rate during that epoch is its initial learning rate times the factor (like
        ``torch.optim.lr_scheduler.LambdaLR``). Default: constant.

    Returns
    -------
    History
        Per-epoch ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc`` and ``best_epoch``.

    Raises
    ------
    TypeError
        For an argument of the wrong type (e.g. ``epochs="3"``).
    ValueError
        For a non-positive ``epochs``/``batch_size``, mismatched data, or early stopping without ``val``.

    Notes
    -----
    The training loop runs inside :func:`flush_denormals`: floats smaller than about 1e-38 become
    zero there, which keeps Adam's decaying state from slowing the CPU down. The previous setting
    is restored when ``fit`` returns.
    The model is left in training mode; :func:`cecode.evaluation.evaluate` and :func:`cecode.evaluation.predict` switch to eval mode
    themselves.
    """
    x, y = _check_fit_arguments(**locals())  # every argument of fit, by name
    loss_fn = F.cross_entropy if loss_fn is None else loss_fn
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    if optimizer is None:
        optimizer = make_adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    buffers = (
        torch.empty((batch_size, *x.shape[1:]), dtype=x.dtype),
        torch.empty(batch_size, dtype=y.dtype),
    )
    history, stopper = History(), _EarlyStopping(early_stopping_patience)
    with flush_denormals(), _lr_schedule(optimizer, lr_schedule) as set_epoch:
        model.train()
        epoch_bar = _progress(range(1, epochs + 1), progress, epochs)
        for epoch in epoch_bar:
            set_epoch(epoch - 1)
            batches = _batches(x, y, batch_size, generator, buffers)
            train_loss, train_acc = _train_epoch(model, batches, loss_fn, optimizer, augment)
            history.train_loss.append(train_loss)
            history.train_acc.append(train_acc)
            if val is not None:
                val_loss, val_acc = evaluate(model, val, loss_fn)
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
                model.train()
            _show(epoch_bar, history)
            score = history.val_loss[-1] if val is not None else history.train_loss[-1]
            if stopper.should_stop(epoch, score, model):
                history.stopped_early = epoch < epochs
                break
        _close(epoch_bar)
    history.best_epoch = stopper.best_epoch
    if stopper.best_state is not None:
        model.load_state_dict(stopper.best_state)
    return history
