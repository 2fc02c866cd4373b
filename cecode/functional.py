r"""Softmax, log-softmax, log-sum-exp, negative log-likelihood and cross-entropy from scratch.

The functions have the names, signatures and semantics of their :mod:`torch.nn.functional`
(and :func:`torch.logsumexp`) counterparts, but are written with basic tensor operations only
(``amax``, ``exp``, ``log``, ``sum``, ``gather``, ...), so that every step can be read. The file
reads from top to bottom, each layer built on the one before:

1. the shared pieces: one max shift (``_shift``), one reduction (``_reduce``, with its
   derivative ``_reduce_backward``), and the handling of class-index targets;
2. :func:`logsumexp`, :func:`softmax`, :func:`log_softmax`, which use the max-shift trick
   :math:`\operatorname{logsumexp}(x) = m + \log \sum_j e^{x_j - m}` with :math:`m = \max_j x_j`,
   so they are stable for logits of any magnitude;
3. :func:`nll_loss`, which picks the log-probability of each target class;
4. :func:`cross_entropy`, which is ``nll_loss(log_softmax(x))`` written as one custom
   :class:`torch.autograd.Function` per kind of target, whose backward is the analytic gradient
   :math:`\partial \ell / \partial x = w \odot (\operatorname{softmax}(x) - q)`, softmax minus the
   target distribution :math:`q`, scaled by the weights and the reduction;
5. :func:`naive_softmax` and :func:`naive_cross_entropy`, the textbook formulas without the
   max shift; they overflow for large logits, which is what the book uses them to show.

Bad arguments raise :class:`TypeError` or :class:`ValueError` with a message naming the argument
(the checks live in ``cecode._validate``). The checks are cheap (no Python loop over elements,
one ``aminmax`` for class targets). In the common case of :func:`cross_entropy` (2-D logits on the
CPU, 1-D int64 targets, no weights, no smoothing) they need no tensor operation at all: the
target range is checked by ``gather`` itself, and the full checks only run if it raises. At small
sizes the cost is then the operations of the loss itself, about ten in the forward and three in
the backward, each costing a microsecond or so of dispatch (``benchmarks/bench_cross_entropy.py``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from cecode import _validate as v

__all__ = [
    "cross_entropy",
    "log_softmax",
    "logsumexp",
    "naive_cross_entropy",
    "naive_softmax",
    "nll_loss",
    "softmax",
]


# --------------------------------------------------------------------------------------------
# 1. Shared pieces: checks, the max shift, the reduction, class-index targets
# --------------------------------------------------------------------------------------------


def _check_input(input: object, allow_empty: bool = False) -> None:
    v.check_floating("input", input)
    if not allow_empty:
        v.check_nonempty("input", input)  # type: ignore[arg-type]


def _check_dims(dim: object, ndim: int) -> int | tuple[int, ...]:
    if isinstance(dim, (tuple, list)):
        dims = tuple(v.check_dim("dim", d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise ValueError(f"dim: expected distinct dimensions, got {tuple(dim)}")
        return dims
    return v.check_dim("dim", dim, ndim)


def _cast(input: Tensor, dtype: torch.dtype | None) -> Tensor:
    if dtype is None:
        return input
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype: expected a floating-point torch.dtype or None, got {dtype!r}")
    return input.to(dtype)


def _shift(input: Tensor, dims: int | tuple[int, ...]) -> Tensor:
    """Return the max over ``dims`` (kept, size 1), detached, with non-finite values replaced by 0.

    Subtracting it leaves the maths unchanged (it cancels) but keeps ``exp`` from overflowing.
    It is detached because the gradient through the shift is exactly zero. A row whose maximum
    is infinite (or NaN) is not shifted, so that ``inf - inf`` does not turn it into NaN.
    """
    m = input.amax(dims, True)  # (positional arguments: parsed faster, this runs on every call)
    if m.requires_grad:  # (inside an autograd Function's forward nothing is tracked)
        m = m.detach()
    return m.nan_to_num_(0.0, 0.0, 0.0)  # nan, +inf and -inf -> 0


def _reduce(loss: Tensor, reduction: str, denom: Tensor | float | None = None) -> Tensor:
    """Reduce per-sample losses with ``reduction``.

    ``"none"`` keeps them, ``"sum"`` adds them, ``"mean"`` divides their sum by ``denom``
    (default: the number of losses).
    """
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if denom is None else loss.sum() / denom


def _reduce_backward(
    grad_output: Tensor, reduction: str, denom: Tensor | float | None, shape: torch.Size
) -> Tensor:
    """Differentiate :func:`_reduce`: d(reduced loss)/d(per-sample loss) times ``grad_output``.

    The result has the per-sample losses' ``shape`` (a broadcast view for ``"mean"``/``"sum"``).
    """
    if reduction == "none":
        return grad_output
    if reduction == "mean":
        grad_output = grad_output / (math.prod(shape) if denom is None else denom)
    return grad_output.expand(shape)


def _class_targets(
    target: Tensor, ignore_index: int, any_ignored: bool
) -> tuple[Tensor, Tensor | None]:
    """Split class targets into ``(safe, valid)``.

    ``safe`` holds the targets as int64 with ignored ones replaced by class 0, ``valid`` the mask
    of the targets that count (``None`` when none is ignored).
    """
    if target.dtype != torch.int64:
        target = target.long()
    if not any_ignored:
        return target, None
    valid = target != ignore_index
    return target.masked_fill(~valid, 0), valid


def _target_weights(weight: Tensor | None, safe: Tensor, valid: Tensor | None) -> Tensor | None:
    """:math:`w_{y_n}` per sample, 0 for ignored targets (``None`` without class weights)."""
    if weight is None:
        return None
    wy = weight[safe]
    return wy if valid is None else wy * valid


def _mean_denominator(wy: Tensor | None, valid: Tensor | None) -> Tensor | None:
    """Return what ``"mean"`` divides by: the summed weights of the counted targets.

    Without weights it is their number; ``None`` means every sample counts once.
    """
    if wy is not None:
        return wy.sum()
    return None if valid is None else valid.sum()


def _kept(input: Tensor, dims: int | tuple[int, ...]) -> tuple[int, ...]:
    """Return ``input``'s shape with the reduced ``dims`` set to 1."""
    reduced = {dims} if isinstance(dims, int) else set(dims)
    return tuple(1 if i in reduced else s for i, s in enumerate(input.shape))


def _class_view(t: Tensor, ndim: int) -> Tensor:
    """View a ``(C,)`` tensor so that it broadcasts along dim 1 of an ``ndim``-D tensor."""
    return t.view((1, -1) + (1,) * (ndim - 2))


# --------------------------------------------------------------------------------------------
# 2. log-sum-exp, softmax, log-softmax
# --------------------------------------------------------------------------------------------


def logsumexp(input: Tensor, dim: int | tuple[int, ...], keepdim: bool = False) -> Tensor:
    r"""Log of the sum of exponentials over ``dim``, computed stably.

    .. math:: \operatorname{logsumexp}(x) = m + \log \sum_j e^{x_j - m}, \qquad m = \max_j x_j.

    Same semantics as :func:`torch.logsumexp`.

    Parameters
    ----------
    input : Tensor
        Floating-point tensor of any shape.
    dim : int or tuple of int
        The dimension(s) to reduce.
    keepdim : bool, optional
        Keep the reduced dimension(s) with size 1 (default ``False``).

    Returns
    -------
    Tensor
        ``input``'s shape without ``dim`` (or with size 1 there if ``keepdim``).

    Raises
    ------
    TypeError
        If ``input`` is not a floating-point tensor or ``dim`` is not an int (or tuple of ints).
    ValueError
        If ``dim`` is out of range. (An empty ``input`` gives what ``torch.logsumexp`` gives:
        ``-inf`` over an empty dimension, otherwise an empty tensor.)
    """
    _check_input(input, allow_empty=True)
    dims = _check_dims(dim, input.dim())
    v.check_bool("keepdim", keepdim)
    if input.numel() == 0:  # as in torch: -inf over an empty dimension, else an empty result
        out = input.new_full(_kept(input, dims), -math.inf)
    else:
        m = _shift(input, dims)
        out = (input - m).exp().sum(dim=dims, keepdim=True).log() + m
    return out if keepdim else out.squeeze(dims)


def softmax(input: Tensor, dim: int, dtype: torch.dtype | None = None) -> Tensor:
    r"""Softmax over ``dim``, computed stably.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j.

    Same semantics as :func:`torch.nn.functional.softmax` (``dim`` is required).

    Parameters
    ----------
    input : Tensor
        Floating-point tensor of any shape (the logits).
    dim : int
        The dimension that sums to 1.
    dtype : torch.dtype, optional
        Cast ``input`` to this dtype first.

    Returns
    -------
    Tensor
        Probabilities, same shape as ``input``.

    Raises
    ------
    TypeError
        If ``input`` is not a floating-point tensor.
    ValueError
        If ``dim`` is out of range. (An empty ``input``, an empty batch, gives an empty result.)
    """
    _check_input(input, allow_empty=True)
    d = v.check_dim("dim", dim, input.dim())
    input = _cast(input, dtype)
    if input.numel() == 0:  # an empty batch is valid, as in PyTorch
        return input.clone()
    e = (input - _shift(input, d)).exp()
    return e / e.sum(dim=d, keepdim=True)


def log_softmax(input: Tensor, dim: int, dtype: torch.dtype | None = None) -> Tensor:
    r"""Log of the softmax over ``dim``, computed stably.

    .. math:: \log \operatorname{softmax}(x)_i = (x_i - m) - \log \sum_j e^{x_j - m}.

    Same semantics as :func:`torch.nn.functional.log_softmax` (``dim`` is required).

    Parameters
    ----------
    input : Tensor
        Floating-point tensor of any shape (the logits).
    dim : int
        The class dimension.
    dtype : torch.dtype, optional
        Cast ``input`` to this dtype first.

    Returns
    -------
    Tensor
        Log-probabilities, same shape as ``input``.

    Raises
    ------
    TypeError
        If ``input`` is not a floating-point tensor.
    ValueError
        If ``dim`` is out of range. (An empty ``input``, an empty batch, gives an empty result.)
    """
    _check_input(input, allow_empty=True)
    d = v.check_dim("dim", dim, input.dim())
    input = _cast(input, dtype)
    if input.numel() == 0:  # an empty batch is valid, as in PyTorch
        return input.clone()
    shifted = input - _shift(input, d)
    return shifted - logsumexp(shifted, d, keepdim=True)  # log p = x - logsumexp(x)


# --------------------------------------------------------------------------------------------
# 3. Negative log-likelihood
# --------------------------------------------------------------------------------------------


def _check_loss_args(input: object, weight: object, reduction: object) -> int:
    """Check the arguments nll_loss and cross_entropy share; return the class dimension."""
    _check_input(input)
    assert isinstance(input, Tensor)
    cdim = v.class_dim_of(input)
    v.check_weight(weight, input.shape[cdim], dtype=input.dtype)
    v.check_reduction(reduction)
    return cdim


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    r"""Negative log-likelihood of the target classes, given log-probabilities.

    .. math:: \ell_n = -w_{y_n} \, x_{n, y_n}, \qquad
        \text{mean} = \frac{\sum_n \ell_n}{\sum_{n:\, y_n \ne \text{ignore}} w_{y_n}}.

    Same semantics as :func:`torch.nn.functional.nll_loss`: ignored targets contribute 0 and are
    left out of the mean's denominator; if every target is ignored the mean is ``nan`` (0/0).
    Unlike PyTorch, gradients also flow to ``weight`` if it requires them.

    Parameters
    ----------
    input : Tensor
        Log-probabilities of shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``.
    target : Tensor
        Class indices (int64), shape ``()``, ``(N,)`` or ``(N, d1, ..., dK)``.
    weight : Tensor, optional
        Per-class weights of shape ``(C,)``.
    ignore_index : int, default -100
        Target value that is skipped.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-sample losses (target's shape).

    Returns
    -------
    Tensor
        Scalar, or the target's shape for ``reduction="none"``.

    Raises
    ------
    TypeError
        If an argument has the wrong type or dtype.
    ValueError
        If a shape, a target value, ``weight`` or ``reduction`` is invalid.
    """
    cdim = _check_loss_args(input, weight, reduction)
    any_ignored = v.check_class_targets(target, input, ignore_index)
    safe, valid = _class_targets(target, ignore_index, any_ignored)
    loss = -input.gather(cdim, safe.unsqueeze(cdim)).squeeze(cdim)  # -log p_y
    wy = _target_weights(weight, safe, valid)
    if wy is not None:
        loss = loss * wy
    if valid is not None:
        loss = loss.masked_fill(~valid, 0.0)
    return _reduce(loss, reduction, _mean_denominator(wy, valid))


# --------------------------------------------------------------------------------------------
# 4. Cross-entropy: forward and analytic backward in autograd Functions
# --------------------------------------------------------------------------------------------


def _no_double_backward() -> None:
    """Raise if the backward is being recorded for a second derivative (``create_graph=True``).

    The analytic backward is computed without autograd, so a second derivative through it would
    silently be missing; better to say so.
    """
    if torch.is_grad_enabled():
        raise RuntimeError(
            "cross_entropy: double backward (create_graph=True) is not supported: the backward "
            "is an analytic formula in a custom autograd Function that is differentiable once. "
            "For higher derivatives use nll_loss(log_softmax(input, 1), target), which is "
            "composed of differentiable operations."
        )


def _weighted_class_sum(buf: Tensor, weight: Tensor | None) -> Tensor:
    r"""Sum :math:`\sum_c w_c\, b_c` over the class dimension 1, kept (:math:`w_c = 1` without weights)."""
    if weight is None:
        return buf.sum(dim=1, keepdim=True)
    if buf.dim() == 2:
        return torch.mv(buf, weight).unsqueeze(1)
    return (buf * _class_view(weight, buf.dim())).sum(dim=1, keepdim=True)


_NONES = (None,) * 6  # no gradient for target, weight, ignore_index, reduction, eps, any_ignored


class _CrossEntropyIndex(torch.autograd.Function):
    r"""Cross-entropy with class-index targets; input ``(N, C, ...)``, target ``(N, ...)``.

    Per sample, with :math:`p = \operatorname{softmax}(x)`, smoothing :math:`\varepsilon` and
    :math:`W = \sum_c w_c`,

    .. math::
        \ell = (1 - \varepsilon)\, w_y (-\log p_y) + \frac{\varepsilon}{C} \sum_c w_c (-\log p_c),
        \qquad
        \frac{\partial \ell}{\partial x} = \Big((1-\varepsilon) w_y + \frac{\varepsilon}{C} W\Big) p
            - (1-\varepsilon) w_y e_y - \frac{\varepsilon}{C} w.

    Without weights this is :math:`p - q` with the smoothed one-hot target :math:`q`. Per-sample
    tensors keep the class dimension with size 1, ``(N, 1, ...)``, so they broadcast. The common
    case, one-hot targets (no weights, no smoothing, nothing ignored), takes a short branch with
    the fewest operations: forward :math:`\log \sum_c e^{x_c - m} - (x_y - m)`, backward
    :math:`p - e_y` times the derivative of the reduction.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx,
        input: Tensor,
        target: Tensor,
        weight: Tensor | None,
        ignore_index: int,
        reduction: str,
        eps: float,
        any_ignored: bool,
    ) -> Tensor:
        ctx.eps, ctx.reduction = eps, reduction
        safe, valid = _class_targets(target.unsqueeze(1), ignore_index, any_ignored)
        picked = input.gather(1, safe)  # x_y, first: it raises for a target out of range
        m = _shift(input, 1)
        buf = input - m  # the one full-size buffer: x - m, later exp(x - m)
        picked.sub_(m)  # x_y - m
        if weight is None and eps == 0.0 and valid is None:  # one-hot targets: the common case
            buf.exp_()
            sumexp = buf.sum(dim=1, keepdim=True)
            loss = sumexp.log().sub_(picked)  # -log p_y = log sum_c exp(x_c - m) - (x_y - m)
            ctx.save_for_backward(buf, sumexp, safe)
            return _reduce(loss.squeeze(1) if reduction == "none" else loss, reduction)
        smooth = _weighted_class_sum(buf, weight) if eps > 0.0 else None
        buf.exp_()
        sumexp = buf.sum(dim=1, keepdim=True)
        lse = sumexp.log()  # log sum_c exp(x_c - m), so -log p_y = lse - (x_y - m)
        loss = lse - picked
        wy = _target_weights(weight, safe, valid)
        if wy is not None:
            loss.mul_(wy)
        if eps > 0.0:
            total_w = input.shape[1] if weight is None else weight.sum()
            loss = (1.0 - eps) * loss + (eps / input.shape[1]) * (total_w * lse - smooth)
        if valid is not None:
            loss.masked_fill_(~valid, 0.0)
        denom = _mean_denominator(wy, valid) if reduction == "mean" else None
        ctx.save_for_backward(buf, sumexp, safe, weight, wy, valid, denom)
        return _reduce(loss.squeeze(1) if reduction == "none" else loss, reduction, denom)

    @staticmethod
    def backward(ctx, grad_output: Tensor):  # type: ignore[override]
        _no_double_backward()
        saved = ctx.saved_tensors
        if len(saved) == 3:  # one-hot targets: (softmax - onehot) times d(reduction)
            buf, sumexp, safe = saved
            grad = buf / sumexp  # softmax
            grad.scatter_(1, safe, -1.0, reduce="add")  # softmax - onehot
            if ctx.reduction != "none" and grad_output.is_cpu:  # a number: one tensor op less
                coef = grad_output.item() / (sumexp.numel() if ctx.reduction == "mean" else 1)
            else:
                shape = sumexp.shape[:1] + sumexp.shape[2:]
                coef = _reduce_backward(grad_output, ctx.reduction, None, shape).unsqueeze(1)
            return (grad.mul_(coef),) + _NONES
        buf, sumexp, safe, weight, wy, valid, denom = saved
        eps, num_classes = ctx.eps, buf.shape[1]
        shape = sumexp.shape[:1] + sumexp.shape[2:]
        coef = _reduce_backward(grad_output, ctx.reduction, denom, shape).unsqueeze(1)
        if valid is not None:  # no gradient from ignored targets (even when the mean is nan)
            coef = coef.masked_fill(~valid, 0.0)
        if wy is None:
            scale, hit = coef, coef * (eps - 1.0)
        else:
            scale = coef * ((1.0 - eps) * wy + (eps / num_classes) * weight.sum())
            hit = (eps - 1.0) * coef * wy
        grad = buf * (scale / sumexp)  # scale * softmax
        grad.scatter_add_(1, safe, hit)  # - (1 - eps) w_y at the target
        if eps > 0.0:
            if weight is None:
                grad.sub_((eps / num_classes) * coef)
            elif grad.dim() == 2:
                grad.addr_(coef.squeeze(1), weight, alpha=-eps / num_classes)
            else:
                grad.sub_((eps / num_classes) * coef * _class_view(weight, grad.dim()))
        return (grad,) + _NONES


class _CrossEntropyProb(torch.autograd.Function):
    r"""Cross-entropy with class-probability targets; input and target ``(N, C, ...)``.

    With :math:`q = (1-\varepsilon)\, t + \varepsilon / C` and :math:`p = \operatorname{softmax}(x)`,
    :math:`\ell = -\sum_c w_c q_c \log p_c` and
    :math:`\partial \ell / \partial x = (\sum_c w_c q_c)\, p - w \odot q`.
    Gradients also flow to ``target`` and ``weight`` (as in PyTorch).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx,
        input: Tensor,
        target: Tensor,
        weight: Tensor | None,
        reduction: str,
        eps: float,
    ) -> Tensor:
        num_classes = input.shape[1]
        q = target * (1.0 - eps) + eps / num_classes if eps > 0.0 else target
        wq = q if weight is None else q * _class_view(weight, input.dim())
        m = _shift(input, 1)
        buf = input - m
        dot = (wq * buf).sum(dim=1, keepdim=True)  # sum_c w_c q_c (x_c - m)
        mass = wq.sum(dim=1, keepdim=True)  # sum_c w_c q_c
        buf.exp_()
        sumexp = buf.sum(dim=1, keepdim=True)
        lse = sumexp.log()
        loss = mass * lse - dot
        ctx.save_for_backward(input, buf, sumexp, m, lse, q, wq, mass, weight)
        ctx.eps, ctx.reduction = eps, reduction
        return _reduce(loss.squeeze(1) if reduction == "none" else loss, reduction)

    @staticmethod
    def backward(ctx, grad_output: Tensor):  # type: ignore[override]
        _no_double_backward()
        input, buf, sumexp, m, lse, q, wq, mass, weight = ctx.saved_tensors
        shape = mass.shape[:1] + mass.shape[2:]
        c = _reduce_backward(grad_output, ctx.reduction, None, shape).unsqueeze(1)
        grad_input = grad_target = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_input = buf * (c * mass / sumexp)
            grad_input.sub_(c * wq)
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            logp = (input - m) - lse  # shift first: exact for huge logits
            if ctx.needs_input_grad[1]:
                grad_target = -(1.0 - ctx.eps) * c * logp
                if weight is not None:
                    grad_target = grad_target * _class_view(weight, input.dim())
            if ctx.needs_input_grad[2]:
                per = -(c * q * logp)
                grad_weight = per.transpose(0, 1).reshape(input.shape[1], -1).sum(dim=1)
        return grad_input, grad_target, grad_weight, None, None


def _is_probability_target(input: Tensor, target: Tensor) -> bool:
    """Tell whether ``target`` holds class probabilities, as PyTorch decides it.

    A target of the input's shape holds class probabilities; a floating-point target with as
    many dimensions as the input is also taken as (mis-shaped) probabilities.
    """
    return target.shape == input.shape or (
        target.is_floating_point() and target.dim() == input.dim()
    )


def _is_plain_call(
    input: object,
    target: object,
    weight: object,
    ignore_index: object,
    reduction: object,
    label_smoothing: object,
) -> bool:
    """Tell whether a call is the common case whose checks need no tensor operation.

    That is: 2-D floating-point logits on the CPU, 1-D int64 targets of the same length, no
    class weights, no smoothing, and an ``ignore_index`` that is no class, so that no target can
    be ignored. The one check left, every target in ``[0, C)``, is then made by ``gather`` in the
    forward, which raises for an index out of range; :func:`cross_entropy` catches that and runs
    the full checks, which name the argument and the bad value. (On a GPU an index out of range
    is a device-side assert, not an exception, so the fast path is for the CPU only.)
    """
    if not (
        weight is None
        and type(label_smoothing) in (float, int)
        and label_smoothing == 0
        and type(reduction) is str
        and reduction in v.REDUCTIONS
        and type(ignore_index) is int
        and isinstance(input, Tensor)
        and isinstance(target, Tensor)
        and input.ndim == 2
        and target.ndim == 1
    ):
        return False
    n, c = input.shape
    return (
        input.is_floating_point()
        and target.dtype is torch.int64
        and input.is_cpu
        and 0 < n == target.shape[0]
        and not -1 < ignore_index < c  # (also True for c = 0: gather raises)
    )


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    r"""Cross-entropy between logits and class-index or class-probability targets.

    Same signature and semantics as :func:`torch.nn.functional.cross_entropy`. With
    :math:`\log p = \operatorname{log\_softmax}(x)` over the class dimension, smoothing
    :math:`\varepsilon` and class weights :math:`w` (all 1 if not given):

    - class indices :math:`y`:
      :math:`\ell_n = (1-\varepsilon)\, w_{y_n} (-\log p_{n,y_n}) + \frac{\varepsilon}{C} \sum_c w_c (-\log p_{n,c})`;
      ignored targets give 0; the ``"mean"`` divides by :math:`\sum_{n \text{ not ignored}} w_{y_n}`
      (``nan`` if every target is ignored);
    - class probabilities :math:`t` (a float tensor shaped like ``input``):
      :math:`\ell_n = -\sum_c w_c q_{n,c} \log p_{n,c}` with
      :math:`q = (1-\varepsilon)\, t + \varepsilon / C`; the ``"mean"`` divides by the number of
      samples :math:`N d_1 \cdots d_K` (not by the weights); ``ignore_index`` does not apply.

    The forward and the backward run in a custom :class:`torch.autograd.Function`; the backward
    is the analytic gradient, softmax minus the target distribution, scaled by the weights and
    the reduction. It is differentiable once: backward with ``create_graph=True`` (needed for a
    second derivative, double backward) raises a ``RuntimeError``; use
    ``nll_loss(log_softmax(x, 1), y)`` if you need one. As in PyTorch,
    ``weight`` cannot require gradients with class-index targets.

    Parameters
    ----------
    input : Tensor
        Logits of shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``.
    target : Tensor
        Class indices (int64) of shape ``()``, ``(N,)`` or ``(N, d1, ..., dK)``, or class
        probabilities (floating point) of the shape of ``input``.
    weight : Tensor, optional
        Per-class weights of shape ``(C,)``, same dtype as ``input``.
    ignore_index : int, default -100
        Class-index target value that is skipped (class-index targets only).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-sample losses, shape ``()``, ``(N,)`` or ``(N, d1, ..., dK)``.
    label_smoothing : float, default 0.0
        :math:`\varepsilon \in [0, 1]`.

    Returns
    -------
    Tensor
        Scalar, or the per-sample losses for ``reduction="none"``.

    Raises
    ------
    TypeError
        If an argument has the wrong type or dtype (e.g. float class indices).
    ValueError
        If a shape, a target value, ``weight``, ``reduction`` or ``label_smoothing`` is invalid.
    RuntimeError
        On double backward, or if ``weight`` requires grad with class-index targets.
    """
    if _is_plain_call(input, target, weight, ignore_index, reduction, label_smoothing):
        try:
            return _CrossEntropyIndex.apply(input, target, None, -100, reduction, 0.0, False)
        except RuntimeError:  # from gather? Then a target is out of range (ValueError) or ignored
            if not v.check_class_targets(target, input, ignore_index):
                raise  # an error of another kind (e.g. out of memory)
        return _CrossEntropyIndex.apply(input, target, None, ignore_index, reduction, 0.0, True)
    cdim = _check_loss_args(input, weight, reduction)
    v.check_label_smoothing(label_smoothing)
    v.check_tensor("target", target)
    probs = _is_probability_target(input, target)
    if probs:
        v.check_probability_targets(target, input, ignore_index)
    else:
        any_ignored = v.check_class_targets(target, input, ignore_index)
    if cdim == 0:  # unbatched: one sample
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    eps = float(label_smoothing)
    if probs:
        dtype = torch.promote_types(input.dtype, target.dtype)
        input, target = input.to(dtype), target.to(dtype)
        weight = None if weight is None else weight.to(dtype)
        out = _CrossEntropyProb.apply(input, target, weight, reduction, eps)
    else:
        if weight is not None and weight.requires_grad and torch.is_grad_enabled():
            raise RuntimeError(
                "weight: cross_entropy with class-index targets is not differentiable with "
                "respect to weight (as in torch.nn.functional.cross_entropy); pass weight.detach()"
            )
        out = _CrossEntropyIndex.apply(
            input, target, weight, ignore_index, reduction, eps, any_ignored
        )
    return out.squeeze(0) if cdim == 0 and reduction == "none" else out


# --------------------------------------------------------------------------------------------
# 5. Naive versions (deliberately unstable)
# --------------------------------------------------------------------------------------------


def naive_softmax(input: Tensor, dim: int) -> Tensor:
    r"""Softmax straight from the formula :math:`e^{x_i} / \sum_j e^{x_j}`, without the max shift.

    **Unstable on purpose**, for the book to show what goes wrong: ``exp`` overflows to ``inf``
    for logits above about 88 in float32 (709 in float64), and ``inf / inf`` gives ``nan``.
    Very negative logits underflow to 0 and give ``0 / 0 = nan``. Use :func:`softmax` instead.

    Parameters
    ----------
    input : Tensor
        Floating-point logits of any shape.
    dim : int
        The dimension that sums to 1.

    Returns
    -------
    Tensor
        Same shape as ``input``; ``nan`` where the computation overflowed.

    Raises
    ------
    TypeError
        If ``input`` is not a floating-point tensor.
    ValueError
        If ``dim`` is out of range. (An empty ``input``, an empty batch, gives an empty result.)
    """
    _check_input(input, allow_empty=True)
    d = v.check_dim("dim", dim, input.dim())
    e = input.exp()
    return e / e.sum(dim=d, keepdim=True)


def naive_cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    r"""Cross-entropy as exp, normalize, log: :math:`-\log(e^{x_y} / \sum_j e^{x_j})`.

    **Unstable on purpose**, for the book to show what goes wrong: with large logits ``exp``
    overflows and the loss becomes ``nan`` (or ``inf`` when a probability underflows to 0 and
    its log is ``-inf``). Use :func:`cross_entropy` instead.

    Parameters
    ----------
    input : Tensor
        Logits of shape ``(N, C)`` or ``(C,)``.
    target : Tensor
        Class indices (int64) of shape ``(N,)`` or ``()``.
    reduction : {"mean", "sum", "none"}, default "mean"
        How to reduce the per-sample losses.

    Returns
    -------
    Tensor
        Scalar, or ``(N,)`` for ``reduction="none"``.

    Raises
    ------
    TypeError
        If ``input`` is not a floating-point tensor or ``target`` not an int64 tensor.
    ValueError
        If a shape or ``reduction`` is invalid or a target is out of range.
    """
    _check_input(input)
    if input.dim() > 2:
        raise ValueError(f"input: expected shape (N, C) or (C,), got {v.shape_str(input.shape)}")
    if v.check_class_targets(target, input, ignore_index=-100):
        raise ValueError("target: naive_cross_entropy does not support ignore_index, got -100")
    v.check_reduction(reduction)
    cdim = v.class_dim_of(input)
    probs = naive_softmax(input, dim=cdim)
    loss = -probs.gather(cdim, target.long().unsqueeze(cdim)).squeeze(cdim).log()
    return _reduce(loss, reduction)
