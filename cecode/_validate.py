"""Argument checks shared by the ``cecode`` modules.

Every check raises an error whose message names the argument, what was expected and what was
given, for example::

    ValueError: target: expected class indices in [0, 10) or ignore_index=-100, got 12 at position 3

Conventions: a value of the wrong *kind* (not a tensor, an integer tensor where floats are needed,
a string where an integer is needed) raises :class:`TypeError`; a value of the right kind but the
wrong *shape or value* (out of range, wrong length, empty) raises :class:`ValueError`.

Every public function and class of every ``cecode`` module checks its arguments with these
helpers (``tests/unit/test_public_api_validation.py`` feeds each one a wrong-typed and an
out-of-range argument), so there is one message style everywhere: what was expected and what
was given, never a bare rule. The helpers never modify their arguments. Most return nothing; :func:`check_dim` returns the
normalized (non-negative) dimension, :func:`check_path` a :class:`pathlib.Path` and
:func:`check_labeled_data` the pair. The checks stay cheap: no Python loop over elements and at
most one device synchronization (an ``aminmax``) for class targets.

A module that needs a check of its own appends it at the end, under a comment
``# --- used by <module>``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

__all__ = [
    "REDUCTIONS",
    "check_binary_target",
    "check_bool",
    "check_broadcasts_to",
    "check_callable",
    "check_class_targets",
    "check_dim",
    "check_floating",
    "check_int",
    "check_labeled_data",
    "check_module",
    "check_optional_str",
    "check_path",
    "check_positive_int",
    "check_real",
    "check_label_smoothing",
    "check_nonempty",
    "check_probability_targets",
    "check_reduction",
    "check_tensor",
    "check_weight",
    "class_dim_of",
    "shape_str",
]

REDUCTIONS = ("none", "mean", "sum")
"""The values accepted for ``reduction``, as in :mod:`torch.nn.functional`."""

_INDEX_DTYPES = (torch.int64, torch.uint8)


def shape_str(shape: Sequence[int]) -> str:
    """Format a shape like a Python tuple: ``(4, 10)``, ``(4,)`` or ``()``.

    Parameters
    ----------
    shape : tuple of int
        A ``torch.Size`` or any sequence of integers.

    Returns
    -------
    str
        The shape written as a tuple, without the ``torch.Size`` wrapper.
    """
    return str(tuple(int(s) for s in shape))


def check_tensor(name: str, value: object) -> None:
    """Check that ``value`` is a :class:`torch.Tensor`.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        The value to check.

    Raises
    ------
    TypeError
        If ``value`` is not a tensor, e.g. ``input: expected a torch.Tensor, got list``.
    """
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")


def check_floating(name: str, t: Tensor) -> None:
    """Check that ``t`` is a tensor with a floating-point dtype (float16, bfloat16, float32, float64).

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    t : Tensor
        The tensor to check.

    Raises
    ------
    TypeError
        If ``t`` is not a tensor or its dtype is not floating point, e.g.
        ``input: expected a floating-point tensor, got dtype torch.int64``.
    """
    check_tensor(name, t)
    if not t.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {t.dtype}")


def check_nonempty(name: str, t: Tensor) -> None:
    """Check that ``t`` has at least one element.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    t : Tensor
        The tensor to check.

    Raises
    ------
    ValueError
        If ``t.numel() == 0``, e.g. ``input: expected a non-empty tensor, got shape (0, 10)``.
    """
    if t.numel() == 0:
        raise ValueError(f"{name}: expected a non-empty tensor, got shape {shape_str(t.shape)}")


def check_int(name: str, value: object) -> None:
    """Check that ``value`` is a Python integer (``bool`` is rejected).

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        The value to check.

    Raises
    ------
    TypeError
        If ``value`` is not an ``int``, e.g. ``dim: expected an int, got float``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")


def check_positive_int(name: str, value: object, minimum: int = 1) -> None:
    """Check that ``value`` is an ``int`` (not ``bool``) of at least ``minimum``.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        The value to check.
    minimum : int, default 1
        The smallest allowed value (0 for a non-negative count).

    Raises
    ------
    TypeError
        If ``value`` is not an ``int``, e.g. ``epochs: expected an int >= 1, got str``.
    ValueError
        If it is smaller than ``minimum``, e.g. ``epochs: expected an int >= 1, got 0``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an int >= {minimum}, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value}")


def check_real(
    name: str,
    value: object,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Check that ``value`` is a real number (``int`` or ``float``, not ``bool``) in a range.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        The value to check.
    low, high : float
        The allowed range; infinite bounds are no bound.
    low_open, high_open : bool, default False
        Exclude ``low`` (``high``) itself, e.g. ``low=0, low_open=True`` for a positive value.

    Raises
    ------
    TypeError
        If ``value`` is not a real number, e.g. ``lr: expected a float > 0, got str``.
    ValueError
        If it is NaN or out of range, e.g. ``dropout: expected a float in [0, 1), got 1.0``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{name}: expected {_range(low, high, low_open, high_open)}, got {type(value).__name__}"
        )
    above = low < value if low_open else low <= value
    below = value < high if high_open else value <= high
    if not (above and below):  # also catches NaN
        raise ValueError(f"{name}: expected {_range(low, high, low_open, high_open)}, got {value}")


def _range(low: float, high: float, low_open: bool, high_open: bool) -> str:
    if low == -math.inf and high == math.inf:
        return "a float"
    if high == math.inf:
        return f"a float {'>' if low_open else '>='} {low:g}"
    if low == -math.inf:
        return f"a float {'<' if high_open else '<='} {high:g}"
    return f"a float in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_bool(name: str, value: object) -> None:
    """Check that ``value`` is a ``bool``.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        The value to check.

    Raises
    ------
    TypeError
        If it is not a ``bool``, e.g. ``progress: expected a bool, got str``.
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name}: expected a bool, got {type(value).__name__}")


def check_optional_str(name: str, value: object) -> None:
    """Check that ``value`` is a ``str`` or ``None`` (titles, labels).

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        The value to check.

    Raises
    ------
    TypeError
        Otherwise, e.g. ``title: expected a str or None, got int``.
    """
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name}: expected a str or None, got {type(value).__name__}")


def check_callable(name: str, value: object, optional: bool = False) -> None:
    """Check that ``value`` is callable (or ``None`` when ``optional``).

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        The value to check.
    optional : bool, default False
        Accept ``None``.

    Raises
    ------
    TypeError
        Otherwise, e.g. ``loss_fn: expected a callable, got str``.
    """
    if optional and value is None:
        return
    if not callable(value):
        what = "a callable or None" if optional else "a callable"
        raise TypeError(f"{name}: expected {what}, got {type(value).__name__}")


def check_module(name: str, value: object) -> None:
    """Check that ``value`` is a :class:`torch.nn.Module`.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        The value to check.

    Raises
    ------
    TypeError
        Otherwise, e.g. ``model: expected a torch.nn.Module, got str``.
    """
    if not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name}: expected a torch.nn.Module, got {type(value).__name__}")


def check_path(name: str, value: object) -> Path:
    """Check that ``value`` is a path (``str`` or ``os.PathLike``) and return it as a ``Path``.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        The value to check.

    Returns
    -------
    pathlib.Path
        ``Path(value)``.

    Raises
    ------
    TypeError
        Otherwise, e.g. ``root: expected a str or os.PathLike path, got int``.
    ValueError
        For an empty string.
    """
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name}: expected a str or os.PathLike path, got {type(value).__name__}")
    if isinstance(value, str) and not value:
        raise ValueError(f"{name}: expected a non-empty path, got ''")
    return Path(value)


def check_labeled_data(name: str, data: object) -> tuple[Tensor, Tensor]:
    """Check a pair ``(inputs, labels)`` of tensors with the same non-zero length.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    data : tuple of Tensor
        ``(inputs (N, ...), labels (N,))``.

    Returns
    -------
    tuple of Tensor
        ``(inputs, labels)``.

    Raises
    ------
    TypeError
        If ``data`` is not a pair of tensors, e.g.
        ``train: expected a pair (images, labels) of tensors, got str``.
    ValueError
        If the lengths differ or are 0, e.g.
        ``train: expected images and labels of the same non-zero length, got 5 and 4``.
    """
    if not (isinstance(data, Sequence) and not isinstance(data, str) and len(data) == 2):
        raise TypeError(
            f"{name}: expected a pair (images, labels) of tensors, got {type(data).__name__}"
        )
    x, y = data
    if not (isinstance(x, Tensor) and isinstance(y, Tensor)):
        raise TypeError(
            f"{name}: expected a pair (images, labels) of tensors, got "
            f"({type(x).__name__}, {type(y).__name__})"
        )
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"{name}: expected images and labels of the same non-zero length, got {len(x)} "
            f"and {len(y)}"
        )
    return x, y


def check_dim(name: str, dim: object, ndim: int) -> int:
    """Check a dimension index against a tensor with ``ndim`` dimensions and normalize it.

    As in PyTorch, a 0-dimensional tensor accepts ``dim`` in ``{-1, 0}``.

    Parameters
    ----------
    name : str
        The argument's name, used in the message (usually ``"dim"``).
    dim : int
        The dimension; negative values count from the end.
    ndim : int
        The number of dimensions of the tensor.

    Returns
    -------
    int
        ``dim`` as a non-negative index in ``[0, max(ndim, 1))``.

    Raises
    ------
    TypeError
        If ``dim`` is not an ``int``.
    ValueError
        If ``dim`` is out of range, e.g.
        ``dim: expected an int in [-2, 1] for a 2-dimensional input, got 2``.
    """
    check_int(name, dim)
    n = max(ndim, 1)
    if not -n <= dim < n:  # type: ignore[operator]
        raise ValueError(
            f"{name}: expected an int in [{-n}, {n - 1}] for a {ndim}-dimensional input, got {dim}"
        )
    return dim % n  # type: ignore[operator]


def check_reduction(reduction: object) -> None:
    """Check ``reduction`` is one of ``"none"``, ``"mean"``, ``"sum"``.

    Parameters
    ----------
    reduction : str
        The value to check.

    Raises
    ------
    TypeError
        If it is not a string, e.g. ``reduction: expected one of 'none', 'mean', 'sum', got NoneType``.
    ValueError
        For another string, e.g. ``reduction: expected one of 'none', 'mean', 'sum', got 'avg'``.
    """
    if reduction in REDUCTIONS:  # the common case first: one tuple lookup
        return
    if not isinstance(reduction, str):
        raise TypeError(
            f"reduction: expected one of 'none', 'mean', 'sum', got {type(reduction).__name__}"
        )
    raise ValueError(f"reduction: expected one of 'none', 'mean', 'sum', got {reduction!r}")


def check_label_smoothing(label_smoothing: object) -> None:
    """Check ``label_smoothing`` is a real number in ``[0, 1]``.

    PyTorch silently treats negative values as 0; here they are an error.

    Parameters
    ----------
    label_smoothing : float
        The value to check.

    Raises
    ------
    TypeError
        If it is not a real number.
    ValueError
        If it is outside ``[0, 1]``, e.g. ``label_smoothing: expected a float in [0, 1], got 1.5``.
    """
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)):
        raise TypeError(
            f"label_smoothing: expected a float in [0, 1], got {type(label_smoothing).__name__}"
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing: expected a float in [0, 1], got {label_smoothing}")


def class_dim_of(input: Tensor) -> int:
    """Return the class dimension of a loss input: 0 for an unbatched ``(C,)`` input, else 1.

    Parameters
    ----------
    input : Tensor
        Logits or log-probabilities of shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``.

    Returns
    -------
    int
        The index of the class dimension.

    Raises
    ------
    ValueError
        If ``input`` is 0-dimensional.
    """
    if input.dim() == 0:
        raise ValueError(
            "input: expected shape (C,), (N, C) or (N, C, d1, ..., dK), got a 0-dimensional tensor"
        )
    return 0 if input.dim() == 1 else 1


def _position(flat_index: int, shape: Sequence[int]) -> str:
    """Format the position of a flat index in ``shape``: ``3`` for 1-D, ``(1, 2)`` for N-D."""
    if len(shape) == 0:
        return "()"
    coords = []
    for size in reversed(shape):
        coords.append(flat_index % size)
        flat_index //= size
    coords.reverse()
    return str(coords[0]) if len(coords) == 1 else str(tuple(coords))


def check_class_targets(target: object, input: Tensor, ignore_index: int = -100) -> bool:
    """Check class-index targets against a loss ``input`` of shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``.

    ``target`` is expected to be an integer tensor (int64, or uint8 as PyTorch also accepts) with the shape
    of ``input`` without its class dimension: ``()``, ``(N,)`` or ``(N, d1, ..., dK)``. Each value
    is expected to be a class index in ``[0, C)`` or equal to ``ignore_index``.

    Parameters
    ----------
    target : Tensor
        The class indices.
    input : Tensor
        The logits or log-probabilities the targets belong to.
    ignore_index : int, default -100
        A target value that is skipped (allowed even though it is not a class).

    Returns
    -------
    bool
        True if some target equals ``ignore_index`` (callers can skip masking otherwise).

    Raises
    ------
    TypeError
        If ``target`` is not a tensor, or is floating point or another integer dtype, e.g.
        ``target: expected class indices of dtype torch.int64, got dtype torch.float32 (...)``.
    ValueError
        If the shape is wrong, or a value is out of range, e.g.
        ``target: expected class indices in [0, 10) or ignore_index=-100, got 12 at position 3``.
    """
    check_tensor("target", target)
    assert isinstance(target, Tensor)
    check_int("ignore_index", ignore_index)
    cdim = class_dim_of(input)
    num_classes = input.shape[cdim]
    expected = tuple(s for i, s in enumerate(input.shape) if i != cdim)
    if target.dtype not in _INDEX_DTYPES:
        hint = (
            " (class indices are integers; for class probabilities pass a float tensor of"
            f" the input's shape {shape_str(input.shape)})"
            if target.is_floating_point()
            else ""
        )
        raise TypeError(
            f"target: expected class indices of dtype torch.int64, got dtype {target.dtype}{hint}"
        )
    if tuple(target.shape) != expected:
        raise ValueError(
            f"target: expected class indices of shape {shape_str(expected)} (the input shape "
            f"{shape_str(input.shape)} without the class dimension {cdim}), "
            f"got shape {shape_str(target.shape)}"
        )
    lo, hi = (int(m) for m in torch.aminmax(target))
    if lo >= 0 and hi < num_classes and not 0 <= ignore_index < num_classes:
        return False  # fast path: all in range, none can be ignored
    ignored = target == ignore_index
    bad = ((target < 0) | (target >= num_classes)) & ~ignored
    if bool(bad.any()):
        flat = int(bad.reshape(-1).nonzero()[0, 0])
        value = int(target.reshape(-1)[flat])
        raise ValueError(
            f"target: expected class indices in [0, {num_classes}) or ignore_index={ignore_index}, "
            f"got {value} at position {_position(flat, target.shape)}"
        )
    return bool(ignored.any())


def check_probability_targets(target: object, input: Tensor, ignore_index: int = -100) -> None:
    """Check class-probability ("soft") targets against a loss ``input``.

    ``target`` is expected to be a floating-point tensor of exactly the shape of ``input`` (one
    distribution over the classes per sample). The values are not checked: as in PyTorch, any
    non-negative weights (even ones that do not sum to 1) are accepted. As in PyTorch,
    ``ignore_index`` does not apply to probability targets and has to stay negative (the default -100).

    Parameters
    ----------
    target : Tensor
        The target distributions, shape of ``input``.
    input : Tensor
        The logits.
    ignore_index : int, default -100
        Expected negative (the default -100).

    Raises
    ------
    TypeError
        If ``target`` is not a floating-point tensor.
    ValueError
        If the shapes differ, or ``ignore_index`` is non-negative.
    """
    check_tensor("target", target)
    assert isinstance(target, Tensor)
    if not target.is_floating_point():
        raise TypeError(
            f"target: expected class probabilities as a floating-point tensor, got dtype {target.dtype}"
        )
    if target.shape != input.shape:
        raise ValueError(
            f"target: expected class probabilities of the input's shape {shape_str(input.shape)}, "
            f"got shape {shape_str(target.shape)}"
        )
    check_int("ignore_index", ignore_index)
    if ignore_index >= 0:
        raise ValueError(
            "ignore_index: not applicable to class-probability targets (expected a negative value, "
            f"e.g. the default -100), got {ignore_index}"
        )


def check_weight(weight: object, num_classes: int, dtype: torch.dtype | None = None) -> None:
    """Check a per-class ``weight``: a 1-D floating tensor of length ``num_classes``.

    Parameters
    ----------
    weight : Tensor or None
        The class weights; ``None`` passes.
    num_classes : int
        The number of classes ``C``.
    dtype : torch.dtype, optional
        If given, the dtype ``weight`` must have (the input's dtype).

    Raises
    ------
    TypeError
        If ``weight`` is not a floating-point tensor or has another dtype than ``dtype``.
    ValueError
        If it is not 1-D or its length is not ``num_classes``, e.g.
        ``weight: expected a 1-D tensor of length 10 (one weight per class), got shape (3,)``.
    """
    if weight is None:
        return
    check_floating("weight", weight)
    assert isinstance(weight, Tensor)
    if weight.dim() != 1 or weight.shape[0] != num_classes:
        raise ValueError(
            f"weight: expected a 1-D tensor of length {num_classes} (one weight per class), "
            f"got shape {shape_str(weight.shape)}"
        )
    if dtype is not None and weight.dtype != dtype:
        raise TypeError(
            f"weight: expected dtype {dtype} (the input's dtype), got dtype {weight.dtype}"
        )


# --- used by cecode.information


def check_kl_reduction(reduction: object) -> None:
    """Check ``reduction`` is one of ``"none"``, ``"batchmean"``, ``"sum"``, ``"mean"`` (``kl_div``).

    Parameters
    ----------
    reduction : str
        The value to check.

    Raises
    ------
    ValueError
        Otherwise, e.g.
        ``reduction: expected one of 'none', 'batchmean', 'sum', 'mean', got 'avg'``.
    """
    if not isinstance(reduction, str) or reduction not in ("none", "batchmean", "sum", "mean"):
        raise ValueError(
            f"reduction: expected one of 'none', 'batchmean', 'sum', 'mean', got {reduction!r}"
        )


def check_broadcastable(name: str, t: Tensor, other_name: str, other: Tensor) -> None:
    """Check that tensor ``t`` broadcasts with tensor ``other`` (PyTorch's broadcasting rules).

    Parameters
    ----------
    name, other_name : str
        The arguments' names, used in the message.
    t, other : Tensor
        The tensors.

    Raises
    ------
    ValueError
        If the shapes do not broadcast, e.g.
        ``target: expected a shape that broadcasts with input's (3, 4), got (2, 4)``.
    """
    try:
        torch.broadcast_shapes(t.shape, other.shape)
    except RuntimeError:
        raise ValueError(
            f"{name}: expected a shape that broadcasts with {other_name}'s "
            f"{shape_str(other.shape)}, got {shape_str(t.shape)}"
        ) from None


# --- used by cecode.binary


def check_binary_target(
    target: object, input: Tensor, name: str = "target", input_name: str = "input"
) -> None:
    """Check a binary-loss ``target``: a floating tensor of exactly the shape of ``input``.

    Targets of :func:`torch.nn.functional.binary_cross_entropy_with_logits` are probabilities
    of the positive class (0 or 1, or soft values in between), one per element of ``input``.

    Parameters
    ----------
    target : Tensor
        The targets.
    input : Tensor
        The logits they belong to.
    name, input_name : str
        The arguments' names, used in the message (torchvision says ``targets``, ``inputs``).

    Raises
    ------
    TypeError
        If ``target`` is not a floating-point tensor, e.g.
        ``target: expected a floating-point tensor (use target.float()), got dtype torch.int64``.
    ValueError
        If the shapes differ, e.g.
        ``target: expected the input's shape (4, 3), got shape (4,)``.
    """
    check_tensor(name, target)
    assert isinstance(target, Tensor)
    if not target.is_floating_point():
        raise TypeError(
            f"{name}: expected a floating-point tensor (use {name}.float()), "
            f"got dtype {target.dtype}"
        )
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: expected the {input_name}'s shape {shape_str(input.shape)}, "
            f"got shape {shape_str(target.shape)}"
        )


def check_broadcasts_to(name: str, t: object, shape: Sequence[int], hint: str = "") -> None:
    """Check that ``t`` is a floating tensor that broadcasts to ``shape`` without enlarging it.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    t : Tensor or None
        The tensor (``None`` passes).
    shape : tuple of int
        The shape it is multiplied into (the input's).
    hint : str, optional
        Appended to the expected shape in the message, e.g. ``" (one weight per class)"``.

    Raises
    ------
    TypeError
        If ``t`` is not a floating-point tensor.
    ValueError
        If ``torch.broadcast_shapes(t.shape, shape) != shape``, e.g.
        ``pos_weight: expected a shape that broadcasts to (4, 3), got shape (5,)``.
    """
    if t is None:
        return
    check_floating(name, t)
    assert isinstance(t, Tensor)
    try:
        ok = tuple(torch.broadcast_shapes(t.shape, tuple(shape))) == tuple(shape)
    except RuntimeError:
        ok = False
    if not ok:
        raise ValueError(
            f"{name}: expected a shape that broadcasts to {shape_str(shape)}{hint}, "
            f"got shape {shape_str(t.shape)}"
        )
