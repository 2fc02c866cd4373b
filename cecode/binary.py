r"""Losses on sigmoid outputs: binary cross-entropy from logits and the focal loss.

A binary (or multi-label) classifier outputs one logit :math:`z` per label, and
:math:`p = \sigma(z) = 1 / (1 + e^{-z})` is the probability that the label is on. The sigmoid is
the two-class softmax, :math:`\sigma(z) = \operatorname{softmax}([z, 0])_0`. With a target
:math:`t \in [0, 1]` (0 or 1, or a soft value in between), the binary cross-entropy is

.. math::
    \ell(z, t) = -\big[t \log \sigma(z) + (1 - t) \log (1 - \sigma(z))\big]
               = (1 - t)\, z - \log \sigma(z),

using :math:`\log(1 - \sigma(z)) = \log \sigma(z) - z`. The log-sigmoid is computed stably as
:math:`\log \sigma(z) = -\operatorname{softplus}(-z) = \min(z, 0) - \log(1 + e^{-|z|})`, so no
probability is ever formed and nothing overflows or rounds to :math:`\log 0`.

- :func:`binary_cross_entropy_with_logits` mirrors
  :func:`torch.nn.functional.binary_cross_entropy_with_logits` (``weight`` per element,
  ``pos_weight`` per label, every reduction);
- :func:`sigmoid_focal_loss` mirrors :func:`torchvision.ops.sigmoid_focal_loss`, the focal loss
  of Lin et al. (2017), which multiplies each element's cross-entropy by
  :math:`(1 - p_t)^\gamma`, :math:`p_t` being the probability given to the target, so that
  easy, well-classified elements contribute little.
"""

from __future__ import annotations

import warnings

import torch.nn.functional as F
from torch import Tensor

from cecode import _validate as v

__all__ = ["binary_cross_entropy_with_logits", "sigmoid_focal_loss"]


def _legacy_reduction(size_average: object, reduce: object, reduction: str) -> str:
    """PyTorch's mapping of the deprecated ``size_average``/``reduce`` to ``reduction``."""
    for name, value in (("size_average", size_average), ("reduce", reduce)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{name}: expected True, False or None, got {type(value).__name__}")
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    legacy = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(
        f"size_average and reduce are deprecated (as in PyTorch): use reduction='{legacy}'",
        UserWarning,
        stacklevel=3,
    )
    return legacy


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    r"""Binary cross-entropy between sigmoid probabilities of ``input`` and ``target``.

    Per element, with :math:`w` = ``weight`` and :math:`w_+` = ``pos_weight`` broadcast to the
    input's shape (both 1 when not given):

    .. math::
        \ell &= w \big[(1 - t)\, z - (1 + (w_+ - 1)\, t) \log \sigma(z)\big] \\
             &= -w \big[w_+\, t \log \sigma(z) + (1 - t) \log(1 - \sigma(z))\big].

    A ``pos_weight`` of :math:`k` counts each positive target as :math:`k` copies of it.

    Parameters
    ----------
    input : Tensor
        Logits :math:`z`, any shape, floating point.
    target : Tensor
        Targets :math:`t` in ``[0, 1]``, floating point, the shape of ``input`` (soft
        targets are allowed; the values are not checked, as in PyTorch).
    weight : Tensor, optional
        Weight per element, broadcast to the input's shape (e.g. ``(N, 1)`` per sample).
    size_average, reduce : bool, optional
        Deprecated, as in PyTorch: if either is given it overrides ``reduction`` (with a
        warning): ``reduce=False`` gives ``"none"``, else ``size_average=False`` gives
        ``"sum"``, else ``"mean"``.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` averages over all elements (``weight`` does not change the divisor),
        ``"sum"`` adds them, ``"none"`` returns the loss per element.
    pos_weight : Tensor, optional
        Weight of the positive term, broadcast to the input's shape along its last dimensions:
        typically ``(C,)``, one weight per label of a ``(N, C)`` input.

    Returns
    -------
    Tensor
        Shape ``()`` for ``"mean"``/``"sum"``, the input's shape for ``"none"``.

    Raises
    ------
    TypeError
        If ``input``, ``target``, ``weight`` or ``pos_weight`` is not a floating-point tensor.
    ValueError
        If ``target`` has another shape than ``input``, ``weight`` or ``pos_weight`` does not
        broadcast to the input's shape, or ``reduction`` is unknown.
    """
    v.check_floating("input", input)
    v.check_binary_target(target, input)
    v.check_broadcasts_to("weight", weight, input.shape)
    v.check_broadcasts_to("pos_weight", pos_weight, input.shape, " (e.g. one weight per label)")
    v.check_reduction(reduction)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    log_sigmoid = F.logsigmoid(input)  # = -softplus(-z), computed stably
    if pos_weight is not None:
        log_sigmoid = log_sigmoid * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sigmoid
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _check_alpha(alpha: object) -> None:
    expected = "a float in [0, 1], or -1 for no weighting"
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise TypeError(f"alpha: expected {expected}, got {type(alpha).__name__}")
    if not (0.0 <= alpha <= 1.0 or alpha == -1):
        raise ValueError(f"alpha: expected {expected}, got {alpha}")


def sigmoid_focal_loss(
    inputs: Tensor,
    targets: Tensor,
    alpha: float = 0.25,
    gamma: float = 2,
    reduction: str = "none",
) -> Tensor:
    r"""Compute the focal loss of Lin et al. (2017), as :func:`torchvision.ops.sigmoid_focal_loss`.

    With :math:`p = \sigma(z)`, :math:`p_t = p\,t + (1 - p)(1 - t)` (the probability of the
    target) and :math:`\alpha_t = \alpha\, t + (1 - \alpha)(1 - t)`, per element

    .. math::
        \ell = \alpha_t\, (1 - p_t)^\gamma\, \operatorname{BCE}(z, t).

    :math:`\gamma = 0` and ``alpha=-1`` give the plain binary cross-entropy. Note the default
    :math:`\alpha = 0.25` weights the *positives* less than the negatives.

    Parameters
    ----------
    inputs : Tensor
        Logits, any shape, floating point.
    targets : Tensor
        Targets in ``[0, 1]``, floating point, the shape of ``inputs``.
    alpha : float, default 0.25
        Weight of the positive term in ``[0, 1]`` (negatives get ``1 - alpha``), or ``-1``
        for no weighting.
    gamma : float, default 2
        Focusing exponent, ``gamma >= 0``.
    reduction : {"none", "mean", "sum"}, default "none"
        As in torchvision (note the default ``"none"``).

    Returns
    -------
    Tensor
        The input's shape for ``"none"``, else shape ``()``.

    Raises
    ------
    TypeError
        If ``inputs`` or ``targets`` is not a floating-point tensor, or ``alpha``/``gamma``
        is not a number.
    ValueError
        If the shapes differ, ``gamma < 0``, ``alpha`` is outside ``[0, 1]`` and not ``-1``,
        or ``reduction`` is unknown.
    """
    v.check_floating("inputs", inputs)
    v.check_binary_target(targets, inputs, "targets", "inputs")
    _check_alpha(alpha)
    v.check_real("gamma", gamma, 0.0)
    v.check_reduction(reduction)
    p = inputs.sigmoid()
    ce = binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction)
