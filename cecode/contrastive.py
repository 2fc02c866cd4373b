r"""Contrastive losses as cross-entropy: InfoNCE and the symmetric loss of CLIP.

A batch holds :math:`N` pairs of embeddings :math:`(a_n, b_n)` that belong together (two views
of the same image, an image and its caption). With unit vectors :math:`\hat a = a / \lVert a
\rVert` and a temperature :math:`T` (or a logit scale :math:`s = 1 / T`), the
:math:`N \times N` similarity matrix

.. math::

    Z_{nm} = \frac{\hat a_n \cdot \hat b_m}{T}

is a matrix of logits: row :math:`n` scores the :math:`N` candidates :math:`b_m` for
:math:`a_n`, and the right one is :math:`m = n`. **InfoNCE** (van den Oord et al., 2018) is the
cross-entropy of these rows with the targets ``arange(N)``,

.. math::

    L_{\mathrm{InfoNCE}} = \frac{1}{N} \sum_{n} \Big( -Z_{nn} + \log \sum_{m} e^{Z_{nm}} \Big)
    = \mathtt{cross\_entropy}(Z, \mathtt{arange}(N)),

and the loss of **CLIP** (Radford et al., 2021) is the mean of the cross-entropy over the rows
(each :math:`a_n` picks its :math:`b`) and over the columns (each :math:`b_m` picks its
:math:`a`), with a learnable scale :math:`s = e^{\theta}` that CLIP clamps at 100. A model
that cannot tell the candidates apart has :math:`Z_{nm}` constant in :math:`m` and loss
:math:`\log N`: the batch size sets the starting point of the loss.

Bad arguments raise :class:`TypeError` or :class:`ValueError` naming the argument.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode import _validate as v

__all__ = [
    "CLIP_INIT_LOGIT_SCALE",
    "CLIP_MAX_LOGIT_SCALE",
    "clip_loss",
    "info_nce",
    "similarity_logits",
]

CLIP_MAX_LOGIT_SCALE = 100.0
"""The largest logit scale :math:`s = 1 / T` CLIP allows (its parameter is clamped at log 100)."""

CLIP_INIT_LOGIT_SCALE = math.log(1 / 0.07)
"""CLIP's initial ``logit_scale`` :math:`\\theta = \\log(1 / 0.07)`, the log of the scale (T = 0.07)."""


def _check_pair(a_name: str, a: object, b_name: str, b: object) -> None:
    for name, t in ((a_name, a), (b_name, b)):
        v.check_floating(name, t)
        assert isinstance(t, Tensor)
        if t.dim() != 2 or t.shape[0] == 0 or t.shape[1] == 0:
            raise ValueError(
                f"{name}: expected a non-empty (N, d) tensor of embeddings, "
                f"got shape {v.shape_str(t.shape)}"
            )
    assert isinstance(a, Tensor) and isinstance(b, Tensor)
    if a.shape != b.shape:
        raise ValueError(
            f"{b_name}: expected the shape of {a_name} {v.shape_str(a.shape)} (one partner per "
            f"row), got shape {v.shape_str(b.shape)}"
        )


def similarity_logits(a: Tensor, b: Tensor, scale: float | Tensor = 1.0) -> Tensor:
    r"""Return the :math:`N \times N` logits :math:`Z_{nm} = s \, \hat a_n \cdot \hat b_m`.

    Parameters
    ----------
    a, b : Tensor
        Embeddings of shape ``(N, d)``, floating point; each row is normalized to unit length
        (cosine similarity).
    scale : float or Tensor, default 1.0
        The logit scale :math:`s = 1 / T > 0`; a 0-dimensional tensor keeps its gradient.

    Returns
    -------
    Tensor
        Shape ``(N, N)``: row :math:`n` holds the logits of the candidates :math:`b_m` for
        :math:`a_n`; the diagonal holds the positive pairs.

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not a floating-point tensor, or ``scale`` not a number or tensor.
    ValueError
        If the shapes are not equal ``(N, d)`` with ``N, d >= 1``, or ``scale <= 0``.
    """
    _check_pair("a", a, "b", b)
    _check_scale("scale", scale)
    return scale * (F.normalize(a, dim=1) @ F.normalize(b, dim=1).T)


def _check_scale(name: str, scale: object) -> None:
    if isinstance(scale, Tensor):
        v.check_floating(name, scale)
        if scale.numel() != 1:
            raise ValueError(
                f"{name}: expected a single number, got shape {v.shape_str(scale.shape)}"
            )
        value = float(scale.detach())
        if not value > 0:
            raise ValueError(f"{name}: expected a value > 0, got {value}")
        return
    v.check_real(name, scale, 0.0, low_open=True)


def info_nce(
    query: Tensor, key: Tensor, temperature: float | Tensor = 0.1, reduction: str = "mean"
) -> Tensor:
    r"""Return the InfoNCE loss: the cross-entropy of the similarity rows with targets ``arange(N)``.

    .. math::

        \ell_n = -Z_{nn} + \log \sum_{m=1}^{N} e^{Z_{nm}}, \qquad
        Z_{nm} = \frac{\hat q_n \cdot \hat k_m}{T},

    where :math:`\hat q_n`, :math:`\hat k_m` are the rows normalized to unit length. Each query
    :math:`q_n` is classified among the :math:`N` keys of the batch; its own key
    :math:`k_n` is the right class, the other :math:`N - 1` keys are the negatives.

    Parameters
    ----------
    query, key : Tensor
        Embeddings of shape ``(N, d)``, floating point; row :math:`n` of both is a positive pair.
    temperature : float or Tensor, default 0.1
        :math:`T > 0`; a 0-dimensional tensor keeps its gradient (a learnable temperature).
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`torch.nn.functional.cross_entropy`: ``"none"`` gives the ``(N,)`` losses.

    Returns
    -------
    Tensor
        Shape ``()``, or ``(N,)`` for ``reduction="none"``.

    Raises
    ------
    TypeError
        If ``query`` or ``key`` is not a floating-point tensor, or ``temperature`` not a number.
    ValueError
        If the shapes differ or are not ``(N, d)``, ``temperature <= 0``, or ``reduction`` is
        not one of the three.

    Examples
    --------
    >>> q = torch.eye(3)
    >>> round(info_nce(q, q, temperature=1.0).item(), 4)  # -1 + log(e + 2)
    0.5514
    """
    _check_pair("query", query, "key", key)
    _check_scale("temperature", temperature)
    v.check_reduction(reduction)
    logits = similarity_logits(query, key, 1.0) / temperature
    target = torch.arange(len(query), device=query.device)
    return F.cross_entropy(logits, target, reduction=reduction)


def clip_loss(
    image_features: Tensor,
    text_features: Tensor,
    logit_scale: float | Tensor = CLIP_INIT_LOGIT_SCALE,
    max_scale: float = CLIP_MAX_LOGIT_SCALE,
) -> Tensor:
    r"""Return CLIP's symmetric loss: the mean of the cross-entropies over rows and over columns.

    .. math::

        Z &= s \, \hat A \hat B^\top, \qquad s = \min(e^{\theta}, s_{\max}), \\
        L &= \tfrac12 \Big(\mathtt{cross\_entropy}(Z, \mathtt{arange}(N)) \\
          &\qquad + \mathtt{cross\_entropy}(Z^\top, \mathtt{arange}(N))\Big).

    The rows classify each image among the :math:`N` texts of the batch, the columns each
    text among the images. :math:`\theta` is the *log* of the scale, CLIP's learnable
    ``logit_scale``, initialized at :math:`\log(1 / 0.07)`. CLIP clamps the parameter itself at
    :math:`\log 100` after each step (do that too: the clamp here only caps the value used,
    and gives :math:`\theta` no gradient while it is above the cap).

    Parameters
    ----------
    image_features, text_features : Tensor
        Embeddings of shape ``(N, d)``, floating point; row :math:`n` of both is a pair. They
        are normalized to unit length here.
    logit_scale : float or Tensor, optional
        :math:`\theta`, the log of the scale, by default :math:`\log(1 / 0.07)`; a 0-dimensional
        tensor (an ``nn.Parameter``) keeps its gradient.
    max_scale : float, default 100.0
        :math:`s_{\max} > 0`, the cap on :math:`e^{\theta}`.

    Returns
    -------
    Tensor
        Shape ``()``.

    Raises
    ------
    TypeError
        If the features are not floating-point tensors, ``logit_scale`` is not a number or a
        floating tensor, or ``max_scale`` not a number.
    ValueError
        If the shapes differ or are not ``(N, d)``, ``logit_scale`` has more than one element
        or is not finite, or ``max_scale <= 0``.
    """
    _check_pair("image_features", image_features, "text_features", text_features)
    v.check_real("max_scale", max_scale, 0.0, low_open=True)
    if isinstance(logit_scale, Tensor):
        v.check_floating("logit_scale", logit_scale)
        if logit_scale.numel() != 1 or not bool(torch.isfinite(logit_scale.detach()).all()):
            raise ValueError(
                f"logit_scale: expected one finite number, got shape "
                f"{v.shape_str(logit_scale.shape)}"
            )
        scale = logit_scale.reshape(()).exp().clamp(max=max_scale)
    else:
        v.check_real("logit_scale", logit_scale, -math.inf, math.inf, low_open=True, high_open=True)
        scale = math.exp(min(logit_scale, math.log(max_scale)))
    logits = similarity_logits(image_features, text_features, 1.0) * scale
    target = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
