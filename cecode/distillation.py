r"""Knowledge distillation (Hinton et al., 2015): a student learns from a teacher's soft targets.

The teacher's logits :math:`v` and the student's logits :math:`z` are both softened with a
temperature :math:`T`, :math:`t^{(T)} = \operatorname{softmax}(v / T)` and
:math:`p^{(T)} = \operatorname{softmax}(z / T)`, and the student is trained on

.. math::

    L = \alpha \, T^2 \, \mathrm{KL}\big(t^{(T)} \,\Vert\, p^{(T)}\big)
        + (1 - \alpha) \, \mathrm{CE}(z, y).

The gradient of the soft term with respect to :math:`z` is
:math:`(p^{(T)} - t^{(T)}) / T`, which for large :math:`T` is about
:math:`(z - v) / (C T^2)` (for logits of zero mean): the factor :math:`T^2` keeps the soft
term's share of the gradient the same whatever temperature is chosen.

Bad arguments raise :class:`TypeError` or :class:`ValueError` naming the argument.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from cecode import _validate as v

__all__ = ["distillation_loss", "soft_targets"]


def _check_logits(name: str, logits: object) -> None:
    v.check_floating(name, logits)
    assert isinstance(logits, Tensor)
    if logits.dim() != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(
            f"{name}: expected a non-empty (N, C) tensor of logits, "
            f"got shape {v.shape_str(logits.shape)}"
        )


def soft_targets(teacher_logits: Tensor, temperature: float = 1.0) -> Tensor:
    r"""Return the teacher's softened probabilities :math:`\operatorname{softmax}(v / T)`.

    Parameters
    ----------
    teacher_logits : Tensor
        Shape ``(N, C)``, floating point.
    temperature : float, default 1.0
        :math:`T > 0`; larger values flatten the distribution and show which wrong classes the
        teacher finds more likely ("dark knowledge").

    Returns
    -------
    Tensor
        Shape ``(N, C)``, each row a probability distribution.

    Raises
    ------
    TypeError
        If ``teacher_logits`` is not a floating-point tensor or ``temperature`` not a number.
    ValueError
        If ``teacher_logits`` is not a non-empty ``(N, C)`` tensor or ``temperature <= 0``.
    """
    _check_logits("teacher_logits", teacher_logits)
    v.check_real("temperature", temperature, 0.0, low_open=True)
    return (teacher_logits / temperature).softmax(dim=1)


def distillation_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    target: Tensor,
    temperature: float = 4.0,
    alpha: float = 0.9,
) -> Tensor:
    r"""Return Hinton's distillation loss :math:`\alpha T^2 \mathrm{KL} + (1 - \alpha) \mathrm{CE}`.

    .. math::

        L = {}& \alpha \, T^2 \, \frac{1}{N} \sum_{n} \mathrm{KL}\big(
            \operatorname{softmax}(v_n / T) \,\Vert\, \operatorname{softmax}(z_n / T)\big) \\
            &{}+ (1 - \alpha) \, \frac{1}{N} \sum_n -\log \operatorname{softmax}(z_n)_{y_n}.

    The KL term is ``F.kl_div`` with the student's log-probabilities as ``input``, the
    teacher's as target (``log_target=True``) and ``reduction="batchmean"``. The teacher's
    logits are detached: no gradient flows into the teacher.

    Parameters
    ----------
    student_logits : Tensor
        :math:`z`, shape ``(N, C)``, floating point.
    teacher_logits : Tensor
        :math:`v`, shape ``(N, C)``, floating point.
    target : Tensor
        Class indices :math:`y`, shape ``(N,)``, int64, in ``[0, C)``.
    temperature : float, default 4.0
        :math:`T > 0`, applied to both teacher and student in the soft term only.
    alpha : float, default 0.9
        :math:`\alpha \in [0, 1]`, the weight of the soft term (0: plain cross-entropy).

    Returns
    -------
    Tensor
        Shape ``()``.

    Raises
    ------
    TypeError
        If the logits are not floating-point tensors, ``target`` is not an integer tensor, or
        ``temperature``/``alpha`` are not numbers.
    ValueError
        If the shapes do not match, a class index is out of range, ``temperature <= 0`` or
        ``alpha`` is outside ``[0, 1]``.
    """
    _check_logits("student_logits", student_logits)
    _check_logits("teacher_logits", teacher_logits)
    if teacher_logits.shape != student_logits.shape:
        raise ValueError(
            f"teacher_logits: expected the student's shape "
            f"{v.shape_str(student_logits.shape)}, got shape {v.shape_str(teacher_logits.shape)}"
        )
    v.check_class_targets(target, student_logits)
    v.check_real("temperature", temperature, 0.0, low_open=True)
    v.check_real("alpha", alpha, 0.0, 1.0)
    t = temperature
    soft = F.kl_div(
        F.log_softmax(student_logits / t, dim=1),
        F.log_softmax(teacher_logits.detach() / t, dim=1),
        reduction="batchmean",
        log_target=True,
    )
    hard = F.cross_entropy(student_logits, target)
    return alpha * t**2 * soft + (1 - alpha) * hard
