r"""Calibration of a classifier's probabilities: reliability diagrams, ECE, temperature scaling.

A classifier is *calibrated* when, among the examples to which it gives confidence
:math:`\hat p = \max_c \operatorname{softmax}(z)_c \approx 0.8`, about 80 % are classified
correctly. The tools here follow Guo et al. (2017):

- :func:`reliability_diagram` sorts the examples into ``n_bins`` equal-width confidence bins
  :math:`B_b = (\frac{b}{M}, \frac{b+1}{M}]`, :math:`b = 0, \dots, M-1`, and returns each bin's
  mean confidence, accuracy and number of examples;
- :func:`expected_calibration_error` (ECE, Naeini et al., 2015) is the gap between accuracy and
  confidence averaged over the bins, weighted by the number of examples in each bin:

  .. math::
      \operatorname{ECE} = \sum_{b=0}^{M-1} \frac{|B_b|}{N}\,
          \big|\operatorname{acc}(B_b) - \operatorname{conf}(B_b)\big| ;

- :func:`fit_temperature` finds the temperature :math:`T > 0` that minimizes the cross-entropy
  (negative log-likelihood) of ``softmax(logits / T)`` on held-out data. Dividing all logits by
  the same :math:`T` never changes the predicted class, only the confidence.

The functions take probabilities ``(N, C)`` (for ECE and the diagram) and logits ``(N, C)`` (for
the temperature), with integer class labels ``(N,)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode import _validate as v

__all__ = [
    "ReliabilityDiagram",
    "expected_calibration_error",
    "fit_temperature",
    "reliability_diagram",
]


@dataclass(frozen=True)
class ReliabilityDiagram:
    """Per-bin statistics of a reliability diagram (``M = n_bins`` equal-width bins on [0, 1]).

    Attributes
    ----------
    edges : Tensor
        Bin edges, shape ``(M + 1,)``: ``0, 1/M, ..., 1``. Bin ``b`` holds the confidences in
        ``(edges[b], edges[b + 1]]``.
    confidence : Tensor
        Mean confidence (maximum probability) of the examples in each bin, shape ``(M,)``,
        float64; NaN for an empty bin.
    accuracy : Tensor
        Fraction of correctly classified examples in each bin, shape ``(M,)``, float64; NaN for
        an empty bin.
    count : Tensor
        Number of examples in each bin, shape ``(M,)``, int64.
    """

    edges: Tensor
    confidence: Tensor
    accuracy: Tensor
    count: Tensor

    @property
    def ece(self) -> float:
        """Expected calibration error, ``sum_b count_b / N * |accuracy_b - confidence_b|``."""
        n = int(self.count.sum())
        used = self.count > 0
        gaps = (self.accuracy[used] - self.confidence[used]).abs()
        return float((self.count[used].double() / n * gaps).sum())


def _check_n_bins(n_bins: object) -> None:
    v.check_int("n_bins", n_bins)
    if n_bins < 1:  # type: ignore[operator]
        raise ValueError(f"n_bins: expected an int >= 1, got {n_bins}")


def _check_scores_and_labels(name: str, scores: object, labels: object) -> None:
    """``scores`` (N, C) floating and non-empty; ``labels`` (N,) int64 in [0, C)."""
    v.check_floating(name, scores)
    assert isinstance(scores, Tensor)
    if scores.dim() != 2:
        raise ValueError(
            f"{name}: expected a 2-D tensor of shape (N, C), got shape {v.shape_str(scores.shape)}"
        )
    v.check_nonempty(name, scores)
    v.check_tensor("labels", labels)
    assert isinstance(labels, Tensor)
    if labels.dtype != torch.int64:
        raise TypeError(
            f"labels: expected class indices of dtype torch.int64, got dtype {labels.dtype}"
        )
    if tuple(labels.shape) != (scores.shape[0],):
        raise ValueError(
            f"labels: expected shape ({scores.shape[0]},) (one label per row of {name}), "
            f"got shape {v.shape_str(labels.shape)}"
        )
    bad = (labels < 0) | (labels >= scores.shape[1])
    if bool(bad.any()):
        i = int(bad.nonzero()[0, 0])
        raise ValueError(
            f"labels: expected class indices in [0, {scores.shape[1]}), got {int(labels[i])} "
            f"at position {i}"
        )


def _check_probs(probs: Tensor) -> None:
    if bool((probs < 0).any()) or bool((probs > 1).any()) or bool(probs.isnan().any()):
        raise ValueError(
            "probs: expected probabilities in [0, 1] (did you pass logits? use "
            "probs = logits.softmax(dim=1))"
        )
    sums = probs.sum(dim=1, dtype=torch.float64)
    worst = int((sums - 1).abs().argmax())
    if abs(float(sums[worst]) - 1.0) > 1e-3:
        raise ValueError(
            f"probs: expected rows that sum to 1, got a row summing to {float(sums[worst]):.4f} "
            f"at position {worst} (did you pass logits? use probs = logits.softmax(dim=1))"
        )


def reliability_diagram(probs: Tensor, labels: Tensor, n_bins: int = 15) -> ReliabilityDiagram:
    """Per-bin confidence, accuracy and count of the predictions ``probs.argmax(1)``.

    Parameters
    ----------
    probs : Tensor
        Predicted class probabilities, shape ``(N, C)``, rows summing to 1 (e.g.
        ``logits.softmax(dim=1)``).
    labels : Tensor
        True classes, shape ``(N,)``, int64 in ``[0, C)``.
    n_bins : int, default 15
        Number ``M`` of equal-width confidence bins on ``[0, 1]``.

    Returns
    -------
    ReliabilityDiagram
        Edges, per-bin mean confidence, accuracy and count; its ``ece`` property is
        :func:`expected_calibration_error`.

    Raises
    ------
    TypeError
        If ``probs`` is not floating point or ``labels`` not int64.
    ValueError
        If the shapes do not match, a label is out of range, ``probs`` are not probabilities,
        or ``n_bins < 1``.
    """
    _check_scores_and_labels("probs", probs, labels)
    _check_probs(probs)
    _check_n_bins(n_bins)
    probs = probs.detach().double()
    confidence, prediction = probs.max(dim=1)
    correct = (prediction == labels).double()
    # Bin b holds confidences in (b/M, (b+1)/M]; ceil(conf * M) - 1, with 0 put into bin 0.
    index = (torch.ceil(confidence * n_bins).long() - 1).clamp(0, n_bins - 1)
    count = torch.bincount(index, minlength=n_bins)
    conf_sum = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, index, confidence)
    acc_sum = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, index, correct)
    return ReliabilityDiagram(
        edges=torch.linspace(0, 1, n_bins + 1, dtype=torch.float64),
        confidence=conf_sum / count,  # 0 / 0 = NaN for empty bins
        accuracy=acc_sum / count,
        count=count,
    )


def expected_calibration_error(probs: Tensor, labels: Tensor, n_bins: int = 15) -> float:
    r"""Compute the expected calibration error of ``probs`` with ``n_bins`` equal-width confidence bins.

    .. math::
        \operatorname{ECE} = \sum_{b} \frac{|B_b|}{N}
            \big|\operatorname{acc}(B_b) - \operatorname{conf}(B_b)\big|,

    where bin :math:`B_b` holds the examples whose confidence :math:`\max_c p_c` lies in
    :math:`(\frac{b}{M}, \frac{b+1}{M}]`. It is 0 for a perfectly calibrated classifier (up to the
    sampling noise of finitely many examples) and at most 1.

    Parameters
    ----------
    probs : Tensor
        Predicted class probabilities, shape ``(N, C)`` (not logits).
    labels : Tensor
        True classes, shape ``(N,)``, int64.
    n_bins : int, default 15
        Number ``M`` of bins (15 as in Guo et al., 2017).

    Returns
    -------
    float
        The ECE, in ``[0, 1]``.

    Raises
    ------
    TypeError, ValueError
        As :func:`reliability_diagram`.
    """
    return reliability_diagram(probs, labels, n_bins).ece


def fit_temperature(logits: Tensor, labels: Tensor, max_iter: int = 100) -> float:
    r"""Find the temperature :math:`T` that minimizes the cross-entropy of ``softmax(logits / T)``.

    Minimizes :math:`\frac{1}{N}\sum_i -\log \operatorname{softmax}(z_i / T)_{y_i}` over
    :math:`\log T` (so that :math:`T` stays positive) with L-BFGS and a strong-Wolfe line search,
    in float64, starting from :math:`T = 1`. The result is deterministic. Fit it on held-out
    (validation) data, never on the test set, and never on the training data, on which the model
    is overconfident by construction.

    Parameters
    ----------
    logits : Tensor
        Logits, shape ``(N, C)`` (not probabilities).
    labels : Tensor
        True classes, shape ``(N,)``, int64.
    max_iter : int, default 100
        Maximum number of L-BFGS iterations.

    Returns
    -------
    float
        The fitted temperature :math:`T > 0`; :math:`T > 1` softens overconfident logits.

    Raises
    ------
    TypeError, ValueError
        For a bad ``logits``/``labels`` (shapes, dtypes, range) or ``max_iter < 1``.
    """
    _check_scores_and_labels("logits", logits, labels)
    v.check_int("max_iter", max_iter)
    if max_iter < 1:
        raise ValueError(f"max_iter: expected an int >= 1, got {max_iter}")
    z = logits.detach().double()
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [log_t],
        lr=1.0,
        max_iter=max_iter,
        tolerance_grad=1e-10,
        tolerance_change=1e-12,
        line_search_fn="strong_wolfe",
    )

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(z / log_t.exp(), labels)
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return float(log_t.detach().exp())
