r"""Two stability terms of large-model training: the z-loss and logit soft-capping.

**z-loss** (PaLM, Chowdhery et al., 2022). The softmax does not change when the same constant is
added to all logits of a row, so nothing in the cross-entropy stops the log-partition function

.. math::
    \log Z = \operatorname{logsumexp}(z) = \log \sum_j e^{z_j}

from drifting. The z-loss adds :math:`\alpha (\log Z)^2` per token (:math:`\alpha = 10^{-4}` in
PaLM), which pulls :math:`\log Z` towards 0; its minimum over the shift is reached at
:math:`\log Z = 0` without changing any probability.

**Soft-capping** (Gemma 2, Gemma Team, 2024). :math:`c \tanh(z / c)` is close to :math:`z`
for :math:`|z| \ll c` and never leaves :math:`[-c, c]`; Gemma 2 caps its final logits at
:math:`c = 30`. The derivative :math:`1 - \tanh^2(z / c)` goes to 0 for :math:`|z| \gg c`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from cecode import _validate as v

__all__ = ["log_partition", "z_loss", "soft_cap"]


def _check_logits(logits: object) -> None:
    v.check_floating("logits", logits)
    assert isinstance(logits, Tensor)
    if logits.dim() != 2:
        raise ValueError(f"logits: expected shape (N, V), got shape {v.shape_str(logits.shape)}")
    v.check_nonempty("logits", logits)


def log_partition(logits: Tensor) -> Tensor:
    r"""Return the log-partition function :math:`\log Z = \operatorname{logsumexp}(z)` of each row.

    Parameters
    ----------
    logits : Tensor
        Shape ``(N, V)``.

    Returns
    -------
    Tensor
        Shape ``(N,)``: ``torch.logsumexp(logits, dim=1)``.
    """
    _check_logits(logits)
    return torch.logsumexp(logits, dim=1)


def z_loss(
    logits: Tensor,
    target: Tensor | None = None,
    *,
    coefficient: float = 1e-4,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    r"""Return the z-loss :math:`\alpha (\log Z_n)^2` of each row, reduced like a cross-entropy.

    Parameters
    ----------
    logits : Tensor
        Shape ``(N, V)``.
    target : Tensor, optional
        Class indices ``(N,)``; rows whose target is ``ignore_index`` do not count (as in the
        cross-entropy it is added to). ``None``: every row counts.
    coefficient : float, default 1e-4
        :math:`\alpha \ge 0` (PaLM's value is the default).
    ignore_index : int, default -100
        The target value of rows that do not count.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` divides by the number of counted rows, as ``F.cross_entropy`` does.

    Returns
    -------
    Tensor
        Shape ``()`` (``"mean"``, ``"sum"``) or ``(N,)`` (``"none"``, 0 at ignored rows).
        Add it to the cross-entropy: ``F.cross_entropy(logits, target) + z_loss(logits, target)``.
    """
    _check_logits(logits)
    v.check_real("coefficient", coefficient, 0.0)
    v.check_int("ignore_index", ignore_index)
    v.check_reduction(reduction)
    per_row = coefficient * torch.logsumexp(logits, dim=1).square()
    if target is None:
        counted = torch.ones(logits.shape[0], dtype=torch.bool, device=logits.device)
    else:
        v.check_class_targets(target, logits, ignore_index)
        counted = target != ignore_index
    per_row = torch.where(counted, per_row, torch.zeros_like(per_row))
    if reduction == "none":
        return per_row
    if reduction == "sum":
        return per_row.sum()
    return per_row.sum() / counted.sum()


def soft_cap(logits: Tensor, cap: float) -> Tensor:
    r"""Logit soft-capping :math:`c \tanh(z / c)`: no result is larger than ``cap`` in magnitude.

    Parameters
    ----------
    logits : Tensor
        Any shape, floating point.
    cap : float
        :math:`c > 0` (Gemma 2 uses 30 for its final logits).

    Returns
    -------
    Tensor
        Same shape and dtype, in ``[-cap, cap]`` (in floating point ``tanh`` rounds to
        :math:`\pm 1` for large arguments, so the bound itself can be reached); differentiable,
        with derivative :math:`1 - \tanh^2(z / c)`.
    """
    v.check_floating("logits", logits)
    v.check_real("cap", cap, 0.0, low_open=True)
    return cap * torch.tanh(logits / cap)
