"""Checkers for the exercises of Chapter 13 (cross-entropy in language models)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode.exercises._checking import Case, CheckReport, randint, randn, run_cases

__all__ = [
    "check_trigram_cross_entropy",
    "check_packed_targets",
    "check_cross_entropy_with_z_loss",
    "check_sliced_cross_entropy",
]


def _trigram(train: Tensor, val: Tensor, vocab_size: int, alpha: float) -> Tensor:
    counts = torch.zeros(vocab_size, vocab_size, vocab_size, dtype=torch.float64)
    ones = torch.ones(len(train) - 2, dtype=torch.float64)
    counts.index_put_((train[:-2], train[1:-1], train[2:]), ones, accumulate=True)
    probs = (counts + alpha) / (counts + alpha).sum(dim=2, keepdim=True)
    return -probs[val[:-2], val[1:-1], val[2:]].log().mean()


def check_trigram_cross_entropy(
    fn: Callable[[Tensor, Tensor, int, float], Tensor],
) -> CheckReport:
    r"""Check ``fn(train, val, vocab_size, alpha)``: a trigram model's validation cross-entropy.

    The model counts the triples ``(train[i], train[i + 1], train[i + 2])`` into a ``(V, V, V)``
    table :math:`c`, adds ``alpha`` to every cell and predicts
    :math:`p(k \mid i, j) = (c_{ijk} + \alpha) / \sum_m (c_{ijm} + \alpha)`; the result is the
    mean of :math:`-\log p(\text{val}[i + 2] \mid \text{val}[i], \text{val}[i + 1])` over the
    ``len(val) - 2`` triples of the validation ids, in nats.

    Parameters
    ----------
    fn : callable
        ``fn(train (L,) int64, val (M,) int64, vocab_size: int, alpha: float) -> Tensor ()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("V=4, alpha=1", randint(4, 300, seed=130), randint(4, 50, seed=131), 4, 1.0),
        ("V=3, alpha=0.1", randint(3, 100, seed=132), randint(3, 30, seed=133), 3, 0.1),
        (
            "a context never seen in training",
            torch.tensor([0, 1, 0, 1, 0]),
            torch.tensor([1, 1, 0]),
            2,
            0.5,
        ),
        ("V=6, alpha=0.01", randint(6, 500, seed=134), randint(6, 80, seed=135), 6, 0.01),
        (
            "a class never seen at all",
            torch.tensor([0, 1, 2, 0, 1, 2]),
            torch.tensor([0, 1, 3, 0]),
            4,
            1.0,
        ),
    ]
    cases = [Case(n, (t, v, c, a), _trigram(t, v, c, a)) for n, t, v, c, a in specs]
    return run_cases("trigram cross-entropy", fn, cases)


def _packed_targets(tokens: Tensor, doc_ids: Tensor) -> Tensor:
    same_doc = doc_ids[1:] == doc_ids[:-1]
    return tokens[1:].masked_fill(~same_doc, -100)


def check_packed_targets(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    r"""Check ``fn(tokens, doc_ids)``: next-token targets of packed documents.

    Several documents are packed one after the other into ``tokens (L,)``; ``doc_ids (L,)``
    says which document each token belongs to (non-decreasing). The targets ``(L - 1,)`` are
    the tokens shifted by one, ``target[t] = tokens[t + 1]``, except ``-100`` where
    ``tokens[t + 1]`` starts a new document: the last token of a document must not be asked
    to predict the first token of the next one.

    Parameters
    ----------
    fn : callable
        ``fn(tokens (L,) int64, doc_ids (L,) int64) -> (L - 1,) int64``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("two documents", randint(9, 8, seed=136), torch.tensor([0, 0, 0, 1, 1, 1, 1, 1])),
        ("one document", randint(9, 6, seed=137), torch.zeros(6, dtype=torch.int64)),
        ("a document of one token", randint(9, 6, seed=138), torch.tensor([0, 0, 1, 2, 2, 2])),
        ("every token its own document", randint(9, 5, seed=139), torch.arange(5)),
        ("document ids 3, 7, 8", randint(9, 7, seed=160), torch.tensor([3, 3, 7, 7, 7, 8, 8])),
    ]
    cases = [Case(n, (t, d), _packed_targets(t, d)) for n, t, d in specs]
    return run_cases("packed targets", fn, cases)


def _ce_z(logits: Tensor, target: Tensor, coefficient: float) -> Tensor:
    counted = target != -100
    log_z = torch.logsumexp(logits, dim=1)
    return F.cross_entropy(logits, target) + coefficient * log_z[counted].square().mean()


def check_cross_entropy_with_z_loss(fn: Callable[[Tensor, Tensor, float], Tensor]) -> CheckReport:
    r"""Check ``fn(logits, target, coefficient)``: the mean cross-entropy plus the mean z-loss.

    The expected result is :math:`\frac{1}{n} \sum_{i} [\ell_i + \alpha (\log Z_i)^2]` over
    the :math:`n` rows whose target is not ``-100``, with :math:`\log Z_i =
    \operatorname{logsumexp}(z_i)` and :math:`\alpha` = ``coefficient``.

    Parameters
    ----------
    fn : callable
        ``fn(logits (N, V), target (N,) int64, coefficient: float) -> Tensor ()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    ignored = randint(8, 6, seed=142)
    ignored[[1, 4]] = -100
    specs = [
        ("alpha=1e-4", randn(5, 8, seed=140), randint(8, 5, seed=141), 1e-4),
        ("alpha=0.1 with ignored rows (-100)", 3 * randn(6, 8, seed=143), ignored, 0.1),
        ("alpha=0 (plain cross-entropy)", randn(4, 5, seed=144), randint(5, 4, seed=145), 0.0),
        ("logits of magnitude 1000", 1000 * randn(3, 4, seed=146), randint(4, 3, seed=147), 1e-4),
        ("logits shifted by +20", randn(4, 6, seed=148) + 20, randint(6, 4, seed=149), 0.01),
    ]
    cases = [Case(n, (x, t, a), _ce_z(x, t, a)) for n, x, t, a in specs]
    return run_cases("cross-entropy with z-loss", fn, cases)


def check_sliced_cross_entropy(fn: Callable[[list[Tensor], Tensor], Tensor]) -> CheckReport:
    r"""Check ``fn(slices, target)``: per-row cross-entropy from vocabulary slices.

    ``slices`` is a list of logit tensors ``(N, V_r)``, the columns of the full logits
    ``torch.cat(slices, dim=1)`` in order; ``target (N,)`` holds global class indices. The
    expected result is ``F.cross_entropy(torch.cat(slices, 1), target, reduction="none")``,
    shape ``(N,)``. Compute it as the ranks do: per slice only a row maximum, a sum of
    exponentials and the target's logit where the slice holds it, then combine those.

    Parameters
    ----------
    fn : callable
        ``fn(slices: list of (N, V_r) tensors, target (N,) int64) -> (N,)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    big = 1000 * randn(4, 9, seed=150)
    specs = [
        ("two equal slices", randn(5, 10, seed=151), randint(10, 5, seed=152), [5, 5]),
        ("slices of 4 + 3 + 3", randn(6, 10, seed=153), randint(10, 6, seed=154), [4, 3, 3]),
        ("logits of magnitude 1000", big, randint(9, 4, seed=155), [2, 7]),
        ("one slice", randn(3, 6, seed=156), randint(6, 3, seed=157), [6]),
        ("a slice of width 1", randn(4, 5, seed=158), torch.tensor([0, 1, 4, 2]), [1, 2, 2]),
    ]
    cases = [
        Case(n, (list(x.split(w, dim=1)), t), F.cross_entropy(x, t, reduction="none"))
        for n, x, t, w in specs
    ]
    return run_cases("sliced cross-entropy", fn, cases)
