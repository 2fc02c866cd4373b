"""Plots shared by the chapters: training curves, confusion matrices, digits, reliability diagrams."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from torch import Tensor

from cecode import _validate as v
from cecode.calibration import ReliabilityDiagram

__all__ = [
    "plot_history",
    "plot_histories",
    "plot_confusion_matrix",
    "plot_digits",
    "plot_reliability_diagram",
]


_METRICS = ("train_loss", "train_acc", "val_loss", "val_acc")


def _epochs(values: Sequence[float]) -> list[int]:
    return list(range(1, len(values) + 1))


def _check_history(name: str, history: object) -> None:
    """Check for a non-empty :class:`cecode.training.History` (or anything with its metric lists)."""
    if not all(isinstance(getattr(history, m, None), list) for m in _METRICS):
        raise TypeError(
            f"{name}: expected a cecode.training.History (with {', '.join(_METRICS)} lists), "
            f"got {type(history).__name__}"
        )
    if not history.train_loss:  # type: ignore[attr-defined]
        raise ValueError(f"{name}: expected a history of at least one epoch, got 0 epochs")


def _check_ax(name: str, ax: object) -> None:
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"{name}: expected a matplotlib Axes or None, got {type(ax).__name__}")


def plot_history(history, axes=None, title: str | None = None, mark_best: bool = True):
    """Loss and accuracy per epoch, training vs validation, side by side.

    Parameters
    ----------
    history : cecode.training.History
        As returned by :func:`cecode.training.fit`.
    axes : sequence of matplotlib.axes.Axes, optional
        Where to draw (loss, accuracy); default: a new ``(10, 3.5)`` figure.
    title : str, optional
        Figure title.
    mark_best : bool
        Draw a dotted vertical line at ``history.best_epoch``.

    Returns
    -------
    numpy.ndarray of Axes
        The two axes.
    """
    _check_history("history", history)
    if axes is not None:
        if len(axes) != 2:
            raise ValueError(f"axes: expected two Axes (loss, accuracy), got {len(axes)}")
        for ax in axes:
            _check_ax("axes", ax)
    v.check_optional_str("title", title)
    v.check_bool("mark_best", mark_best)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    else:
        fig = axes[0].figure
    panels = (("loss", "train_loss", "val_loss"), ("accuracy", "train_acc", "val_acc"))
    for ax, (label, train_key, val_key) in zip(axes, panels, strict=True):
        train_values = getattr(history, train_key)
        ax.plot(_epochs(train_values), train_values, "o-", label="training", ms=3)
        val_values = getattr(history, val_key)
        if val_values:
            ax.plot(_epochs(val_values), val_values, "s-", label="validation", ms=3)
        if mark_best and history.best_epoch is not None:
            ax.axvline(history.best_epoch, color="grey", ls=":", lw=1, label="best epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes


def plot_histories(
    histories: Mapping[str, object],
    metric: str = "val_acc",
    ax=None,
    ylabel: str | None = None,
    legend: bool = True,
):
    """One metric of several runs on one axis (e.g. validation accuracy of each remedy).

    Parameters
    ----------
    histories : mapping of str to cecode.training.History
        Run name -> history.
    metric : str
        ``"train_loss"``, ``"train_acc"``, ``"val_loss"`` or ``"val_acc"``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new ``(7, 4)`` figure.
    ylabel : str, optional
        Label of the y axis (default: ``metric``).
    legend : bool
        Draw a legend on the axes (turn off to draw one legend for several axes).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(histories, Mapping):
        raise TypeError(
            f"histories: expected a dict of name -> History, got {type(histories).__name__}"
        )
    if not histories:
        raise ValueError("histories: expected at least one run, got an empty mapping")
    for name, history in histories.items():
        _check_history(f"histories[{name!r}]", history)
    if not isinstance(metric, str):
        raise TypeError(
            f"metric: expected one of {', '.join(_METRICS)}, got {type(metric).__name__}"
        )
    if metric not in _METRICS:
        raise ValueError(f"metric: expected one of {', '.join(_METRICS)}, got {metric!r}")
    _check_ax("ax", ax)
    v.check_optional_str("ylabel", ylabel)
    v.check_bool("legend", legend)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for name, history in histories.items():
        values = getattr(history, metric)
        (line,) = ax.plot(_epochs(values), values, label=name)
        ax.plot(len(values), values[-1], "o", color=line.get_color(), ms=4)  # where the run ended
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or metric)
    ax.grid(alpha=0.3)
    if legend:
        ax.legend()
    return ax


def plot_confusion_matrix(matrix: Tensor, ax=None, title: str | None = None, class_names=None):
    """Heat map of a confusion matrix with the counts written in each cell.

    Parameters
    ----------
    matrix : Tensor
        ``(C, C)`` counts, rows true classes, columns predicted classes
        (see :func:`cecode.evaluation.confusion_matrix`).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new ``(6, 5.5)`` figure.
    title : str, optional
        Axes title.
    class_names : sequence of str, optional
        Tick labels (default ``0 .. C-1``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    v.check_tensor("matrix", matrix)
    if matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1] or matrix.numel() == 0:
        raise ValueError(
            f"matrix: expected a square (C, C) tensor of counts, got shape "
            f"{v.shape_str(matrix.shape)}"
        )
    _check_ax("ax", ax)
    v.check_optional_str("title", title)
    c = matrix.shape[0]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5.5))
    # colour by log count so that the few errors off the diagonal are visible
    ax.imshow(torch.log1p(matrix.double()).numpy(), cmap="Blues")
    threshold = torch.log1p(matrix.double()).max().item() / 2
    for i in range(c):
        for j in range(c):
            value = int(matrix[i, j])
            colour = "white" if torch.log1p(torch.tensor(float(value))) > threshold else "black"
            ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color=colour)
    if class_names is not None and (
        isinstance(class_names, str) or not isinstance(class_names, Sequence)
    ):
        raise TypeError(f"class_names: expected a list of str, got {type(class_names).__name__}")
    if class_names is not None and len(class_names) != c:
        raise ValueError(f"class_names: expected {c} names, got {len(class_names)}")
    names = [str(k) for k in range(c)] if class_names is None else list(class_names)
    ax.set_xticks(range(c), names)
    ax.set_yticks(range(c), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        ax.set_title(title)
    return ax


def plot_digits(
    images: Tensor,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    normalized: bool = True,
    size: float = 1.4,
):
    r"""Draw a grid of digit images with an optional title under each.

    Parameters
    ----------
    images : Tensor
        ``(N, 1, 28, 28)`` or ``(N, 28, 28)``.
    titles : sequence of str, optional
        One short caption per image (e.g. ``"true 4\npred 9 (0.83)"``).
    ncols : int
        Images per row.
    normalized : bool
        The images are normalized with MNIST's mean and std (undo it for display).
    size : float
        Inches per image.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from cecode.data import denormalize

    v.check_floating("images", images)
    if images.shape[-2:] != (28, 28) or images.dim() not in (3, 4) or len(images) == 0:
        raise ValueError(
            f"images: expected shape (N, 1, 28, 28) or (N, 28, 28) with N >= 1, got "
            f"{v.shape_str(images.shape)}"
        )
    v.check_positive_int("ncols", ncols)
    v.check_bool("normalized", normalized)
    v.check_real("size", size, 0.0, low_open=True)
    images = images.detach().reshape(len(images), 28, 28)
    if normalized:
        images = denormalize(images)
    n = len(images)
    if titles is not None and (isinstance(titles, str) or not isinstance(titles, Sequence)):
        raise TypeError(f"titles: expected a list of str or None, got {type(titles).__name__}")
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles: expected one title per image ({n}), got {len(titles)}")
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * size, nrows * size * 1.35), squeeze=False
    )
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            ax.imshow(images[k].numpy(), cmap="gray_r", vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(titles[k], fontsize=8)
    fig.tight_layout()
    return fig


def plot_reliability_diagram(diagram: ReliabilityDiagram, ax=None, title: str | None = None):
    """Draw a reliability diagram: per-bin accuracy as bars against the diagonal.

    Each bar spans one confidence bin and its height is the bin's accuracy; the red part
    between the bar's top and the bin's mean confidence is the calibration gap (above the bar:
    overconfidence). Empty bins have no bar. The ECE is written in the corner.

    Parameters
    ----------
    diagram : cecode.calibration.ReliabilityDiagram
        From :func:`cecode.calibration.reliability_diagram`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 4 x 4 inch figure if omitted.
    title : str, optional
        The axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    if not isinstance(diagram, ReliabilityDiagram):
        raise TypeError(
            f"diagram: expected a cecode.calibration.ReliabilityDiagram, got {type(diagram).__name__}"
        )
    _check_ax("ax", ax)
    v.check_optional_str("title", title)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    used = diagram.count > 0
    left = diagram.edges[:-1][used].numpy()
    width = float(diagram.edges[1] - diagram.edges[0])
    acc = diagram.accuracy[used].numpy()
    conf = diagram.confidence[used].numpy()
    ax.bar(left, acc, width=width, align="edge", color="C0", edgecolor="white", label="accuracy")
    ax.bar(
        left,
        conf - acc,
        bottom=acc,
        width=width,
        align="edge",
        color="C3",
        alpha=0.35,
        edgecolor="C3",
        label="gap to confidence",
    )
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (max probability)")
    ax.set_ylabel("accuracy")
    ax.text(0.04, 0.92, f"ECE = {100 * diagram.ece:.2f} %", transform=ax.transAxes)
    ax.legend(loc="lower right", fontsize=8)
    if title:
        ax.set_title(title)
    return ax
