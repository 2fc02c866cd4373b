r"""Cross-entropy at scale: a linear layer plus cross-entropy that never holds all the logits.

A language model ends with a linear "head" that turns each token's hidden state
:math:`h_i \in \mathbb{R}^D` into logits over a vocabulary of :math:`V` tokens,
:math:`z_i = W h_i` with :math:`W \in \mathbb{R}^{V \times D}`, followed by cross-entropy.
Written naively, ``F.cross_entropy(hidden @ weight.T, target)`` materializes the
``(N, V)`` logits, keeps a same-sized log-softmax for the backward pass and allocates
``(N, V)`` gradients again: for 4096 tokens and a 128k vocabulary that is 2 GiB per copy in
float32.

:func:`chunked_linear_cross_entropy` computes the same loss and the same gradients one block of
tokens at a time. For a block of rows the logits are computed, turned in place into
probabilities, and, because the gradient of cross-entropy is known in closed form,

.. math::
    \frac{\partial \ell_i}{\partial z_i} = c_i\,(\operatorname{softmax}(z_i) - e_{y_i}),
    \qquad
    \frac{\partial L}{\partial h_i} = W^\top \frac{\partial \ell_i}{\partial z_i},
    \qquad
    \frac{\partial L}{\partial W} = \sum_i \frac{\partial \ell_i}{\partial z_i}\, h_i^\top,

(with :math:`c_i = 1/\#\text{counted tokens}` for ``"mean"``, 1 for ``"sum"`` and 0 for ignored
tokens), the gradients of that block are accumulated right away, in the forward pass. Only one
``(chunk_size, V)`` buffer exists at any time. The backward pass multiplies the stored gradients
by the incoming scalar gradient (and hands them over unchanged when it is 1, as after
``loss.backward()``). This costs the same three matrix products as the naive version
(logits, gradient of the hidden states, gradient of the weight) and no recomputation. The same
idea is behind Cut Cross-Entropy (Wijmans et al., 2025) and Liger Kernel's fused linear
cross-entropy (Hsu et al., 2024).

With ``reduction="none"`` the per-token weights of the backward pass are only known in the
backward pass, so there the forward only computes the losses and the backward recomputes the
logits block by block (one extra matrix product).

:func:`cecode.allocations.largest_tensor_created` measures, deterministically, the largest tensor
any PyTorch operation creates while a function runs: the size that decides whether the logits are
ever materialized.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from cecode import _validate as v
from cecode.functional import _reduce, _reduce_backward, _shift

__all__ = [
    "chunked_linear_cross_entropy",
    "default_chunk_size",
    "logits_bytes",
    "naive_linear_cross_entropy",
]

CHUNK_ELEMENTS = 2**25
"""Elements of the ``(chunk_size, V)`` buffer the default chunk size aims at (128 MiB in float32)."""


def default_chunk_size(num_tokens: int, vocab_size: int) -> int:
    """Return the default number of tokens per chunk: about ``2**25`` logits per chunk, at most ``num_tokens``.

    Parameters
    ----------
    num_tokens : int
        Number of tokens ``N``.
    vocab_size : int
        Vocabulary size ``V``.

    Returns
    -------
    int
        ``max(1, min(num_tokens, 2**25 // vocab_size))``, e.g. 256 for ``V = 131072``.
    """
    v.check_positive_int("num_tokens", num_tokens)
    v.check_positive_int("vocab_size", vocab_size)
    return max(1, min(num_tokens, CHUNK_ELEMENTS // max(vocab_size, 1)))


def logits_bytes(num_tokens: int, vocab_size: int, dtype: torch.dtype = torch.float32) -> int:
    """Bytes of a materialized ``(num_tokens, vocab_size)`` logits tensor of ``dtype``.

    Parameters
    ----------
    num_tokens, vocab_size : int
        The shape of the logits.
    dtype : torch.dtype, default torch.float32
        Their element type (4 bytes for float32, 2 for bfloat16).

    Returns
    -------
    int
        ``num_tokens * vocab_size * element size``.
    """
    v.check_positive_int("num_tokens", num_tokens, minimum=0)
    v.check_positive_int("vocab_size", vocab_size, minimum=0)
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype: expected a torch.dtype, got {type(dtype).__name__}")
    return num_tokens * vocab_size * torch.empty((), dtype=dtype).element_size()


def naive_linear_cross_entropy(
    hidden: Tensor,
    weight: Tensor,
    target: Tensor,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Compute the reference ``F.cross_entropy(hidden @ weight.T, target)`` (materializes ``(N, V)``).

    Parameters
    ----------
    hidden : Tensor
        Hidden states, shape ``(N, D)``.
    weight : Tensor
        Output-layer weight, shape ``(V, D)``.
    target : Tensor
        Token indices, shape ``(N,)``, int64.
    ignore_index : int, default -100
        Target value that does not count.
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`torch.nn.functional.cross_entropy`.

    Returns
    -------
    Tensor
        The loss (scalar, or ``(N,)`` for ``"none"``).
    """
    _check_args(hidden, weight, target, ignore_index, reduction, None)
    logits = hidden @ weight.T
    return torch.nn.functional.cross_entropy(
        logits, target, ignore_index=ignore_index, reduction=reduction
    )


def _check_args(
    hidden: object,
    weight: object,
    target: object,
    ignore_index: object,
    reduction: object,
    chunk_size: object,
) -> None:
    v.check_floating("hidden", hidden)
    v.check_floating("weight", weight)
    assert isinstance(hidden, Tensor) and isinstance(weight, Tensor)
    if hidden.dim() != 2:
        raise ValueError(
            f"hidden: expected a 2-D tensor of shape (N, D) (one row per token), "
            f"got shape {v.shape_str(hidden.shape)}"
        )
    if weight.dim() != 2:
        raise ValueError(
            f"weight: expected a 2-D tensor of shape (V, D) (one row per vocabulary entry), "
            f"got shape {v.shape_str(weight.shape)}"
        )
    if weight.shape[1] != hidden.shape[1]:
        raise ValueError(
            f"weight: expected shape (V, {hidden.shape[1]}) to match hidden's D={hidden.shape[1]}, "
            f"got shape {v.shape_str(weight.shape)}"
        )
    if weight.shape[0] == 0:
        raise ValueError("weight: expected at least one vocabulary row, got shape (0, D)")
    if weight.dtype != hidden.dtype:
        raise TypeError(
            f"weight: expected dtype {hidden.dtype} (hidden's dtype), got dtype {weight.dtype}"
        )
    if weight.device != hidden.device:
        raise ValueError(
            f"weight: expected a tensor on {hidden.device} (hidden's device), got {weight.device}"
        )
    v.check_int("ignore_index", ignore_index)
    # Class-index targets of shape (N,) for "logits" of shape (N, V).
    logits_shape = torch.empty((hidden.shape[0], weight.shape[0]), device="meta")
    v.check_class_targets(target, logits_shape, ignore_index)
    v.check_reduction(reduction)
    if chunk_size is not None:
        v.check_positive_int("chunk_size", chunk_size)


def _block_probs(
    h: Tensor, weight: Tensor, buf: Tensor, safe: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Logits ``h @ weight.T`` written into ``buf``, then turned in place into softmax probabilities.

    Returns ``(probs, lse, picked)``: ``probs`` is ``buf`` (rows of ``h``), ``lse`` the per-row
    log-sum-exp and ``picked`` the logit of the target token ``z_y`` (before the in-place softmax).
    """
    torch.mm(h, weight.T, out=buf)
    picked = buf.gather(1, safe.unsqueeze(1)).squeeze(1)
    m = _shift(buf, 1)  # (rows, 1), the same max shift as cecode.functional
    buf.sub_(m).exp_()
    s = buf.sum(dim=1, keepdim=True)
    buf.div_(s)
    return buf, (m + s.log()).squeeze(1), picked


def _block_grads(
    probs: Tensor,
    safe: Tensor,
    coef: Tensor,
    h: Tensor,
    weight: Tensor,
    grad_h: Tensor | None,
    grad_w: Tensor | None,
) -> None:
    """Turn ``probs`` into ``coef * (probs - onehot)`` in place; write/accumulate the gradients."""
    probs.scatter_add_(1, safe.unsqueeze(1), torch.full_like(probs[:, :1], -1.0))
    probs.mul_(coef.unsqueeze(1))
    if grad_h is not None:
        torch.mm(probs, weight, out=grad_h)
    if grad_w is not None:
        grad_w.addmm_(probs.T, h)


class _ChunkedLinearCrossEntropy(torch.autograd.Function):
    """Forward: loss and (for "mean"/"sum") both gradients, chunk by chunk. Backward: scale them."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        hidden: Tensor,
        weight: Tensor,
        target: Tensor,
        ignore_index: int,
        reduction: str,
        chunk_size: int,
        need_h: bool,
        need_w: bool,
    ) -> Tensor:
        n = hidden.shape[0]
        valid = target != ignore_index
        safe = target.masked_fill(~valid, 0)
        count = valid.sum()  # what "mean" divides by
        precompute = reduction != "none" and (need_h or need_w)
        one = torch.ones((), dtype=hidden.dtype, device=hidden.device)
        # d(reduced loss) / d(loss_i), 0 for ignored tokens (also when none counts: 1/0 is masked)
        coef_all = _reduce_backward(one, reduction, count, valid.shape).masked_fill(~valid, 0.0)

        grad_h = torch.empty_like(hidden) if precompute and need_h else None
        grad_w = torch.zeros_like(weight) if precompute and need_w else None
        losses = hidden.new_empty(n)
        buf = hidden.new_empty((min(chunk_size, n), weight.shape[0]))
        for start in range(0, n, chunk_size):
            end = min(start + chunk_size, n)
            h = hidden[start:end]
            rows = slice(start, end)
            probs, lse, picked = _block_probs(h, weight, buf[: end - start], safe[rows])
            losses[rows] = (lse - picked).masked_fill(~valid[rows], 0.0)  # -log p_y
            if precompute:
                _block_grads(
                    probs,
                    safe[rows],
                    coef_all[rows],
                    h,
                    weight,
                    None if grad_h is None else grad_h[rows],
                    grad_w,
                )

        ctx.reduction = reduction
        ctx.chunk_size = chunk_size
        ctx.precompute = precompute
        ctx.need = (need_h, need_w)
        ctx.mark_non_differentiable(target)
        if precompute:
            ctx.save_for_backward(grad_h, grad_w)
        elif need_h or need_w:
            ctx.save_for_backward(hidden, weight, safe, valid)
        return _reduce(losses, reduction, count)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_output: Tensor):  # type: ignore[override]
        need_h, need_w = ctx.need
        if ctx.precompute:
            grad_h, grad_w = ctx.saved_tensors
            if not bool(grad_output == 1):  # loss.backward() passes 1: hand the buffers over as is
                grad_h = None if grad_h is None else grad_h * grad_output
                grad_w = None if grad_w is None else grad_w * grad_output
            return grad_h, grad_w, None, None, None, None, None, None
        hidden, weight, safe, valid = ctx.saved_tensors
        n, cs = hidden.shape[0], ctx.chunk_size
        coef_all = _reduce_backward(grad_output, "none", None, valid.shape).masked_fill(~valid, 0.0)
        grad_h = torch.empty_like(hidden) if need_h else None
        grad_w = torch.zeros_like(weight) if need_w else None
        buf = hidden.new_empty((min(cs, n), weight.shape[0]))
        for start in range(0, n, cs):
            end = min(start + cs, n)
            h = hidden[start:end]
            probs, _, _ = _block_probs(h, weight, buf[: end - start], safe[start:end])
            _block_grads(
                probs,
                safe[start:end],
                coef_all[start:end],
                h,
                weight,
                None if grad_h is None else grad_h[start:end],
                grad_w,
            )
        return grad_h, grad_w, None, None, None, None, None, None


def chunked_linear_cross_entropy(
    hidden: Tensor,
    weight: Tensor,
    target: Tensor,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    chunk_size: int | None = None,
) -> Tensor:
    r"""Cross-entropy of the logits ``hidden @ weight.T`` without materializing them.

    Equal (up to floating-point rounding) to
    ``F.cross_entropy(hidden @ weight.T, target, ignore_index=ignore_index, reduction=reduction)``
    in value and in the gradients with respect to ``hidden`` and ``weight``, but the largest
    temporary is one ``(chunk_size, V)`` block instead of the full ``(N, V)`` logits (three
    of them with the backward pass).

    For ``"mean"`` and ``"sum"`` the gradients are computed in the forward pass, block by
    block, as :math:`c_i(\operatorname{softmax}(z_i) - e_{y_i})` times ``weight`` (for
    ``hidden``) and times ``hidden`` (for ``weight``), and stored until ``backward``; so the
    forward pass takes about as long as forward plus backward of the naive version, and the
    backward pass is almost free. They are only computed when ``hidden`` or ``weight`` requires
    a gradient and gradients are enabled. The backward pass cannot be differentiated again
    (no double backward).

    Parameters
    ----------
    hidden : Tensor
        Hidden states, shape ``(N, D)``, floating point.
    weight : Tensor
        Output-layer weight, shape ``(V, D)``, same dtype and device as ``hidden``.
    target : Tensor
        Token indices in ``[0, V)`` or ``ignore_index``, shape ``(N,)``, int64.
    ignore_index : int, default -100
        Tokens with this target add nothing to the loss, its gradients or the ``"mean"`` count.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"``: sum over counted tokens divided by their number (NaN if none counts, as in
        PyTorch); ``"sum"``; ``"none"``: per-token losses, 0 for ignored tokens.
    chunk_size : int, optional
        Tokens per block; default :func:`default_chunk_size` (about ``2**25`` logits per block).

    Returns
    -------
    Tensor
        The loss: a scalar, or shape ``(N,)`` for ``reduction="none"``.

    Raises
    ------
    TypeError
        If ``hidden``/``weight`` are not floating-point tensors of the same dtype, or ``target``
        is not an int64 tensor, or ``chunk_size``/``ignore_index`` are not ints.
    ValueError
        If the shapes do not fit (``hidden (N, D)``, ``weight (V, D)``, ``target (N,)``), a
        target is out of range, ``reduction`` is unknown or ``chunk_size < 1``.
    """
    _check_args(hidden, weight, target, ignore_index, reduction, chunk_size)
    v.check_nonempty("hidden", hidden)
    if chunk_size is None:
        chunk_size = default_chunk_size(hidden.shape[0], weight.shape[0])
    grad_on = torch.is_grad_enabled()
    need_h = grad_on and hidden.requires_grad
    need_w = grad_on and weight.requires_grad
    return _ChunkedLinearCrossEntropy.apply(
        hidden, weight, target, ignore_index, reduction, chunk_size, need_h, need_w
    )
