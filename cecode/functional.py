r"""Softmax, log-softmax, log-sum-exp, negative log-likelihood and cross-entropy from scratch.

The functions have the names, signatures and semantics of their :mod:`torch.nn.functional`
(and :func:`torch.logsumexp`) counterparts, but are written with basic tensor operations only
(``amax``, ``exp``, ``log``, ``sum``, ``gather``, ...), so that every step can be read.

- :func:`logsumexp`, :func:`softmax`, :func:`log_softmax` use the max-shift trick
  :math:`\operatorname{logsumexp}(x) = m + \log \sum_j e^{x_j - m}` with :math:`m = \max_j x_j`,
  so they are stable for logits of any magnitude.
- :func:`cross_entropy` runs its forward and its backward in a custom
  :class:`torch.autograd.Function` whose backward is the analytic gradient
  :math:`\partial \ell / \partial x = w \odot (\operatorname{softmax}(x) - q)`, softmax minus the
  target distribution :math:`q`, scaled by the weights and the reduction.
- :func:`naive_softmax` and :func:`naive_cross_entropy` are the textbook formulas without the
  max shift; they overflow for large logits, which is what the book uses them to show.

Bad arguments raise :class:`TypeError` or :class:`ValueError` with a message naming the argument
(the checks live in ``cecode._validate``).
"""

from __future__ import annotations

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
# log-sum-exp, softmax, log-softmax
# --------------------------------------------------------------------------------------------


def _check_input(input: object) -> None:
    v.check_floating("input", input)
    v.check_nonempty("input", input)  # type: ignore[arg-type]


def _shift(input: Tensor, dims: int | tuple[int, ...]) -> Tensor:
    """The max over ``dims`` (kept), detached, with non-finite values replaced by 0.

    Subtracting it leaves the maths unchanged (it cancels) but keeps ``exp`` from overflowing.
    It is detached because the gradient through the shift is exactly zero.
    """
    m = input.detach().amax(dim=dims, keepdim=True)
    return torch.where(torch.isfinite(m), m, torch.zeros_like(m))


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
        If ``input`` is empty or ``dim`` is out of range.
    """
    _check_input(input)
    dims = _check_dims(dim, input.dim())
    m = _shift(input, dims)
    out = (input - m).exp().sum(dim=dims, keepdim=True).log() + m
    return out if keepdim else out.squeeze(dims)


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
        If ``input`` is empty or ``dim`` is out of range.
    """
    _check_input(input)
    d = v.check_dim("dim", dim, input.dim())
    input = _cast(input, dtype)
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
        If ``input`` is empty or ``dim`` is out of range.
    """
    _check_input(input)
    d = v.check_dim("dim", dim, input.dim())
    input = _cast(input, dtype)
    shifted = input - _shift(input, d)
    return shifted - shifted.exp().sum(dim=d, keepdim=True).log()


# --------------------------------------------------------------------------------------------
# Naive versions (deliberately unstable)
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
        If ``input`` is empty or ``dim`` is out of range.
    """
    _check_input(input)
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
    v.check_class_targets(target, input, ignore_index=-100)
    v.check_reduction(reduction)
    if (target == -100).any():
        raise ValueError("target: naive_cross_entropy does not support ignore_index, got -100")
    cdim = v.class_dim_of(input)
    probs = naive_softmax(input, dim=cdim)
    loss = -probs.gather(cdim, target.long().unsqueeze(cdim)).squeeze(cdim).log()
    return _reduce(loss, reduction)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# --------------------------------------------------------------------------------------------
# Negative log-likelihood
# --------------------------------------------------------------------------------------------


def _check_loss_args(input: object, weight: object, reduction: object) -> int:
    """Common checks of nll_loss and cross_entropy; returns the class dimension."""
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
    v.check_class_targets(target, input, ignore_index)
    valid = target != ignore_index
    safe = target.long().masked_fill(~valid, 0)
    picked = input.gather(cdim, safe.unsqueeze(cdim)).squeeze(cdim)
    w = valid.to(input.dtype) if weight is None else weight[safe] * valid
    loss = torch.where(valid, -picked * w, torch.zeros((), dtype=input.dtype))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


# --------------------------------------------------------------------------------------------
# Cross-entropy: forward and analytic backward in autograd Functions
# --------------------------------------------------------------------------------------------


def _class_view(t: Tensor, ndim: int) -> Tensor:
    """View a ``(C,)`` tensor so that it broadcasts along dim 1 of an ``ndim``-D tensor."""
    return t.view((1, -1) + (1,) * (ndim - 2))


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


def _grad_coef(
    grad_output: Tensor, reduction: str, shape: torch.Size, denom: Tensor | float | None
) -> Tensor:
    """The per-sample factor d(reduced loss)/d(per-sample loss) times the incoming gradient."""
    if reduction == "none":
        return grad_output
    if reduction == "sum":
        return grad_output.expand(shape)
    return (grad_output / denom).expand(shape)


class _CrossEntropyIndex(torch.autograd.Function):
    r"""Cross-entropy with class-index targets; input ``(N, C, ...)``, target ``(N, ...)``.

    Per sample, with :math:`p = \operatorname{softmax}(x)`, smoothing :math:`\varepsilon` and
    :math:`W = \sum_c w_c`,

    .. math::
        \ell = (1 - \varepsilon)\, w_y (-\log p_y) + \frac{\varepsilon}{C} \sum_c w_c (-\log p_c),
        \qquad
        \frac{\partial \ell}{\partial x} = \Big((1-\varepsilon) w_y + \frac{\varepsilon}{C} W\Big) p
            - (1-\varepsilon) w_y e_y - \frac{\varepsilon}{C} w.

    Without weights this is :math:`p - q` with the smoothed one-hot target :math:`q`.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx,
        input: Tensor,
        target: Tensor,
        weight: Tensor | None,
        ignore_index: int,
        reduction: str,
        label_smoothing: float,
        any_ignored: bool,
    ) -> Tensor:
        num_classes = input.shape[1]
        eps = float(label_smoothing)
        target = target.long()
        valid = (target != ignore_index) if any_ignored else None
        safe = target if valid is None else target.masked_fill(~valid, 0)
        safe = safe.unsqueeze(1)  # (N, 1, ...)

        # One buffer: shifted logits, then (in place) their exponentials.
        buf = input - input.amax(dim=1, keepdim=True)
        picked = buf.gather(1, safe).squeeze(1)  # x_y - m
        if eps > 0.0:
            if weight is None:
                smooth = buf.sum(dim=1)  # sum_c (x_c - m)
            elif buf.dim() == 2:
                smooth = torch.mv(buf, weight)  # sum_c w_c (x_c - m)
            else:
                smooth = (buf * _class_view(weight, buf.dim())).sum(dim=1)
        buf.exp_()
        sumexp = buf.sum(dim=1)
        lse = sumexp.log()  # log sum_c exp(x_c - m)

        loss = lse.sub_(picked) if eps == 0.0 else lse - picked  # -log p_y
        wy = None if weight is None else weight[safe.squeeze(1)]
        if wy is not None:
            loss = loss.mul_(wy)
        if eps > 0.0:
            total_w = num_classes if weight is None else weight.sum()
            loss = (1.0 - eps) * loss + (eps / num_classes) * (total_w * lse - smooth)
        if valid is not None:  # valid: True where the target counts (None: nothing ignored)
            loss = loss.masked_fill_(~valid, 0.0)

        if reduction == "mean":
            if wy is not None:
                denom = wy.sum() if valid is None else (wy * valid).sum()
            elif valid is not None:
                denom = valid.sum().to(input.dtype)
            else:
                denom = float(loss.numel())
            out = loss.sum() / denom
        else:
            denom = None
            out = loss.sum() if reduction == "sum" else loss

        denom_t = denom if isinstance(denom, Tensor) else None
        ctx.denom = denom if denom_t is None else None
        ctx.save_for_backward(buf, sumexp, safe, weight, wy, valid, denom_t)
        ctx.eps = eps
        ctx.reduction = reduction
        return out

    @staticmethod
    def backward(ctx, grad_output: Tensor):  # type: ignore[override]
        _no_double_backward()
        buf, sumexp, safe, weight, wy, valid, denom = ctx.saved_tensors
        eps = ctx.eps
        num_classes = buf.shape[1]
        denom = ctx.denom if denom is None else denom
        coef = _grad_coef(grad_output, ctx.reduction, sumexp.shape, denom)
        if valid is not None:  # no gradient from ignored targets (even when the mean is nan)
            coef = coef.masked_fill(~valid, 0.0)
        if wy is None:
            scale = coef
            hit = (eps - 1.0) * coef
        else:
            scale = coef * ((1.0 - eps) * wy + (eps / num_classes) * weight.sum())
            hit = (eps - 1.0) * coef * wy
        grad = buf * (scale / sumexp).unsqueeze(1)  # scale * softmax
        grad.scatter_add_(1, safe, hit.unsqueeze(1))  # - (1 - eps) w_y at the target
        if eps > 0.0:
            if weight is None:
                grad.sub_((eps / num_classes) * coef.unsqueeze(1))
            elif grad.dim() == 2:
                grad.addr_(coef, weight, alpha=-eps / num_classes)
            else:
                grad.sub_((eps / num_classes) * coef.unsqueeze(1) * _class_view(weight, grad.dim()))
        return grad, None, None, None, None, None, None


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
        label_smoothing: float,
    ) -> Tensor:
        num_classes = input.shape[1]
        eps = float(label_smoothing)
        q = target * (1.0 - eps) + eps / num_classes if eps > 0.0 else target
        wq = q if weight is None else q * _class_view(weight, input.dim())

        m = input.amax(dim=1, keepdim=True)
        buf = input - m
        dot = (wq * buf).sum(dim=1)  # sum_c w_c q_c (x_c - m)
        mass = wq.sum(dim=1)  # sum_c w_c q_c
        buf.exp_()
        sumexp = buf.sum(dim=1)
        lse = sumexp.log()
        loss = mass * lse - dot

        n_samples = loss.numel()
        if reduction == "mean":
            out = loss.sum() / n_samples
        else:
            out = loss.sum() if reduction == "sum" else loss

        ctx.save_for_backward(input, buf, sumexp, m, lse, q, wq, mass, weight)
        ctx.eps = eps
        ctx.reduction = reduction
        ctx.n_samples = n_samples
        return out

    @staticmethod
    def backward(ctx, grad_output: Tensor):  # type: ignore[override]
        _no_double_backward()
        input, buf, sumexp, m, lse, q, wq, mass, weight = ctx.saved_tensors
        denom = float(ctx.n_samples)
        coef = _grad_coef(grad_output, ctx.reduction, mass.shape, denom)
        grad_input = grad_target = grad_weight = None
        c = coef.unsqueeze(1)
        if ctx.needs_input_grad[0]:
            grad_input = buf * (coef * mass / sumexp).unsqueeze(1)
            grad_input.sub_(c * wq)
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            logp = (input - m) - lse.unsqueeze(1)  # shift first: exact for huge logits
            if ctx.needs_input_grad[1]:
                grad_target = -(1.0 - ctx.eps) * c * logp
                if weight is not None:
                    grad_target = grad_target * _class_view(weight, input.dim())
            if ctx.needs_input_grad[2]:
                per = -(c * q * logp)
                grad_weight = per.transpose(0, 1).reshape(input.shape[1], -1).sum(dim=1)
        return grad_input, grad_target, grad_weight, None, None


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
    cdim = _check_loss_args(input, weight, reduction)
    v.check_label_smoothing(label_smoothing)
    v.check_tensor("target", target)
    # As in PyTorch, a target of the input's shape holds class probabilities; a floating-point
    # target with as many dimensions as the input is also taken as (mis-shaped) probabilities.
    probs = target.shape == input.shape or (
        target.is_floating_point() and target.dim() == input.dim()
    )
    if probs:
        v.check_probability_targets(target, input, ignore_index)
    else:
        any_ignored = v.check_class_targets(target, input, ignore_index)
    unbatched = cdim == 0
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    if probs:
        dtype = torch.promote_types(input.dtype, target.dtype)
        input, target = input.to(dtype), target.to(dtype)
        if weight is not None:
            weight = weight.to(dtype)
        out = _CrossEntropyProb.apply(input, target, weight, reduction, float(label_smoothing))
    else:
        if weight is not None and weight.requires_grad and torch.is_grad_enabled():
            raise RuntimeError(
                "weight: cross_entropy with class-index targets is not differentiable with "
                "respect to weight (as in torch.nn.functional.cross_entropy); pass weight.detach()"
            )
        out = _CrossEntropyIndex.apply(
            input, target, weight, ignore_index, reduction, float(label_smoothing), any_ignored
        )
    if unbatched and reduction == "none":
        out = out.squeeze(0)
    return out
