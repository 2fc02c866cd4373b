r"""Information measures of categorical distributions: entropy and the KL divergence.

For a target distribution :math:`t` and the model's :math:`p = \operatorname{softmax}(z)` over
:math:`C` classes (natural logarithms, so the unit is the nat, and :math:`0 \log 0 = 0`):

.. math::

    H(t) &= -\sum_j t_j \log t_j, \qquad
    H(t, p) = -\sum_j t_j \log p_j, \\
    \mathrm{KL}(t \,\Vert\, p) &= \sum_j t_j \log \frac{t_j}{p_j} = H(t, p) - H(t) .

- :func:`entropy` computes :math:`H(\operatorname{softmax}(z))` from logits, stably: through
  log-softmax, never :math:`\log` of a probability that underflowed to zero.
- :func:`kl_div` has the name, signature and semantics of :func:`torch.nn.functional.kl_div`,
  including its two traps: ``input`` holds *log*-probabilities of the model (:math:`\log p`),
  ``target`` the target's probabilities (:math:`t`), so ``kl_div(log_p, t)`` is
  :math:`\mathrm{KL}(t \,\Vert\, p)`, the arguments in the opposite order of the notation; and
  ``reduction="mean"`` divides by every element, :math:`N \cdot C`, so it is :math:`C` times
  smaller than the mean KL divergence, which ``reduction="batchmean"`` gives.

The cross-entropy :math:`H(t, p)` itself is ``F.cross_entropy(logits, t)`` (probability targets)
or :func:`cecode.functional.cross_entropy`. Bad arguments raise :class:`TypeError` or
:class:`ValueError` with a message naming the argument (checks in ``cecode._validate``).
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from cecode import _validate as v

__all__ = ["KL_REDUCTIONS", "entropy", "kl_div"]

KL_REDUCTIONS = ("none", "batchmean", "sum", "mean")
"""The values :func:`kl_div` accepts for ``reduction``, as :func:`torch.nn.functional.kl_div`."""


def entropy(logits: Tensor, dim: int = -1) -> Tensor:
    r"""Compute the entropy :math:`H(p)` of :math:`p = \operatorname{softmax}(z)` from the logits.

    .. math::

        H(p) = -\sum_j p_j \log p_j
             = \operatorname{logsumexp}(z) - \sum_j p_j z_j , \qquad p = \operatorname{softmax}(z),

    in nats (divide by :math:`\log 2` for bits). It is computed as :math:`-\sum_j p_j \log p_j`
    with :math:`\log p` from :func:`torch.log_softmax`, so it is finite and accurate for logits
    of any magnitude (a naive ``-(p * p.log()).sum()`` gives ``nan`` as soon as some
    :math:`p_j` underflows to 0). A logit of :math:`-\infty` is a class of probability 0 and
    contributes :math:`0 \log 0 = 0`, in the value and in the gradient.

    Parameters
    ----------
    logits : Tensor
        Floating-point logits of any shape, e.g. ``(N, C)``; the classes lie along ``dim``.
        Each slice along ``dim`` needs at least one finite logit (all :math:`-\infty` gives nan).
    dim : int, default -1
        The class dimension.

    Returns
    -------
    Tensor
        The entropies, the shape of ``logits`` without ``dim`` (e.g. ``(N,)``), each in
        :math:`[0, \log C]`; same dtype as ``logits``.

    Raises
    ------
    TypeError
        If ``logits`` is not a floating-point tensor or ``dim`` not an int.
    ValueError
        If ``dim`` is out of range or the class dimension is empty (size 0).

    Examples
    --------
    >>> entropy(torch.zeros(2, 4))  # uniform over 4 classes: log 4
    tensor([1.3863, 1.3863])
    """
    v.check_floating("logits", logits)
    d = v.check_dim("dim", dim, logits.dim())
    if logits.dim() > 0 and logits.shape[d] == 0:
        raise ValueError(
            f"logits: expected at least one class along dim {dim}, "
            f"got shape {v.shape_str(logits.shape)}"
        )
    log_probs = torch.log_softmax(logits, dim=d)
    probs = log_probs.exp()
    # 0 log 0 = 0; the where also keeps a nan out of the gradient (0 * -inf) for -inf logits
    safe_log_probs = torch.where(probs > 0, log_probs, torch.zeros_like(log_probs))
    return 0.0 - (probs * safe_log_probs).sum(dim=d)  # 0.0 - x: a certain class gives 0, not -0


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: None = None,
    reduce: None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    r"""PyTorch's ``F.kl_div``: the pointwise KL divergence terms :math:`t \log(t / p)`, reduced.

    With ``input`` :math:`= \log p` (log-probabilities of the model) and ``target``
    :math:`= t` (probabilities), the pointwise terms are

    .. math::

        \ell_{n,j} = t_{n,j} \left(\log t_{n,j} - \log p_{n,j}\right)

    with :math:`0 \log 0 = 0`, computed as ``xlogy(t, t) - t * input``; with
    ``log_target=True`` the target is given as :math:`\log t` and the terms are
    :math:`e^{\log t} (\log t - \log p)`. Summing over the classes gives
    :math:`\mathrm{KL}(t \,\Vert\, p)`: note that the model comes first in the call and second
    in the notation.

    Parameters
    ----------
    input : Tensor
        Log-probabilities :math:`\log p`, any shape, e.g. ``(N, C)``, floating point. Passing
        probabilities instead is a silent error (the result is not a KL divergence).
    target : Tensor
        Probabilities :math:`t` (or :math:`\log t` with ``log_target=True``), floating point, a
        shape that broadcasts with ``input``'s. Where ``t = 0`` a term is 0 (unless ``input``
        is :math:`-\infty` there: ``0 * inf`` is nan, as in PyTorch).
    size_average, reduce : None
        PyTorch's deprecated arguments; only ``None`` is accepted here (use ``reduction``).
    reduction : {"mean", "batchmean", "sum", "none"}, default "mean"
        ``"none"``: the terms, the broadcast shape of ``input`` and ``target``. ``"sum"``: their
        sum. ``"batchmean"``: the sum divided by ``input.shape[0]`` (:math:`N`), the mean KL
        divergence per sample, the mathematically meaningful one (a 0-dimensional ``input``
        is not divided). ``"mean"``: the sum divided by the number of terms, :math:`N \cdot C`
        for ``(N, C)``, so :math:`C` times smaller than ``"batchmean"``; like PyTorch, it
        warns (``UserWarning``).
    log_target : bool, default False
        Whether ``target`` holds log-probabilities.

    Returns
    -------
    Tensor
        The reduced loss, shape ``()``, or the terms for ``reduction="none"``; the dtype is
        the promotion of ``input``'s and ``target``'s.

    Raises
    ------
    TypeError
        If ``input`` or ``target`` is not a floating-point tensor, or ``log_target`` not a bool.
    ValueError
        If the shapes do not broadcast, ``reduction`` is not one of the four, or
        ``size_average``/``reduce`` is not None.
    """
    v.check_floating("input", input)
    v.check_floating("target", target)
    for name, legacy in (("size_average", size_average), ("reduce", reduce)):
        if legacy is not None:
            raise ValueError(
                f"{name}: expected None (the legacy argument is not supported; use "
                f"reduction='sum', 'batchmean', 'mean' or 'none'), got {legacy!r}"
            )
    v.check_kl_reduction(reduction)
    if not isinstance(log_target, bool):
        raise TypeError(f"log_target: expected a bool, got {type(log_target).__name__}")
    v.check_broadcastable("target", target, "input", input)
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction='mean' divides the sum by the number of elements (N * C), which "
            "is C times smaller than the KL divergence; reduction='batchmean' gives the mean "
            "KL divergence per sample",
            UserWarning,
            stacklevel=2,
        )
    if log_target:
        terms = target.exp() * (target - input)
    else:
        terms = torch.xlogy(target, target) - target * input
    if reduction == "none":
        return terms
    if reduction == "mean":
        return terms.mean()
    total = terms.sum()
    if reduction == "batchmean" and input.dim() != 0:
        return total / input.shape[0]
    return total
