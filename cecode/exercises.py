"""Checkers for the exercises at the end of each chapter.

Each ``check_*`` function takes *your* function, runs it on a handful of named, deterministic
cases (small random logits, a shifted batch, logits of magnitude 1000 in float32, another ``dim``,
float64, ...) and compares the result with PyTorch's. It returns a :class:`CheckReport` whose
text says what failed, for example::

    >>> report = check_softmax(my_softmax)
    >>> print(report)
    1 of 7 checks failed:
    - fails for logits of magnitude 1000: got nan, expected 0.5000 at index (0, 0)

A function that still raises :class:`NotImplementedError` gives ``"Not implemented yet: ..."``
and ``report.passed == False`` (no exception), so a chapter's exercise cell runs before you
have written anything.

The expected signatures:

- :func:`check_softmax`: ``fn(x, dim) -> Tensor`` (shape of ``x``)
- :func:`check_log_softmax`: ``fn(x, dim) -> Tensor`` (shape of ``x``)
- :func:`check_logsumexp`: ``fn(x, dim) -> Tensor`` (``dim`` reduced)
- :func:`check_cross_entropy`: ``fn(logits (N, C), target (N,)) -> scalar`` mean loss
- :func:`check_cross_entropy_grad`: ``fn(logits (N, C), target (N,)) -> (N, C)`` gradient of the mean loss
- :func:`check_nll_loss`: ``fn(log_probs (N, C), target (N,)) -> scalar`` mean loss
- :func:`check_smoothed_targets`: ``fn(target (N,), num_classes, label_smoothing) -> (N, C)``
- :func:`check_weighted_cross_entropy`: ``fn(logits (N, C), target (N,), weight (C,)) -> scalar``
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode._validate import shape_str

__all__ = [
    "CheckReport",
    "check_cross_entropy",
    "check_cross_entropy_grad",
    "check_log_softmax",
    "check_logsumexp",
    "check_nll_loss",
    "check_smoothed_targets",
    "check_softmax",
    "check_weighted_cross_entropy",
]


@dataclass
class CheckReport:
    """The result of a checker.

    Attributes
    ----------
    name : str
        What was checked, e.g. ``"softmax"``.
    n_checks : int
        How many cases were run.
    failures : list of str
        One line per failed case (empty if all passed).
    not_implemented : bool
        True if the function raised :class:`NotImplementedError`.
    """

    name: str
    n_checks: int
    failures: list[str] = field(default_factory=list)
    not_implemented: bool = False

    @property
    def passed(self) -> bool:
        """True if every case passed."""
        return not self.failures and not self.not_implemented

    def __str__(self) -> str:
        if self.not_implemented:
            return (
                f"Not implemented yet: your {self.name} function raises NotImplementedError. "
                "Replace the `raise NotImplementedError` with your code and run the check again."
            )
        if not self.failures:
            return f"All {self.n_checks} checks passed."
        lines = "\n".join(f"- {f}" for f in self.failures)
        return f"{len(self.failures)} of {self.n_checks} checks failed:\n{lines}"

    __repr__ = __str__


@dataclass(frozen=True)
class _Case:
    """One named case: the arguments passed to the reader's function and the expected result."""

    name: str
    args: tuple
    expected: Tensor


class _NotImplemented(Exception):
    pass


def _fmt(x: float) -> str:
    """A number rounded to 4 decimals (``nan``, ``inf`` as such)."""
    return f"{x:.4f}"


def _compare(case: _Case, got: object) -> str | None:
    """None if ``got`` matches ``case.expected``, else a one-line description of the problem."""
    expected = case.expected
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        got = torch.tensor(float(got))
    if not isinstance(got, Tensor):
        return f"for {case.name}: expected a torch.Tensor, got {type(got).__name__}"
    if tuple(got.shape) != tuple(expected.shape):
        return (
            f"wrong shape for {case.name}: got {shape_str(got.shape)}, "
            f"expected {shape_str(expected.shape)}"
        )
    got64 = got.detach().to(torch.float64)
    exp64 = expected.to(torch.float64)
    if expected.dtype == torch.float64:
        rtol, atol = 1e-6, 1e-8
    else:
        rtol, atol = 1e-4, 1e-5
    close = torch.isclose(got64, exp64, rtol=rtol, atol=atol)
    if bool(close.all()):
        return None
    idx = tuple(int(i) for i in (~close).nonzero()[0])
    where = "" if not idx else f" at index {idx[0] if len(idx) == 1 else idx}"
    return (
        f"fails for {case.name}: got {_fmt(float(got64[idx]))}, "
        f"expected {_fmt(float(exp64[idx]))}{where}"
    )


def _call(fn: Callable, case: _Case) -> object:
    args = tuple(a.clone() if isinstance(a, Tensor) else a for a in case.args)
    try:
        return fn(*args)
    except NotImplementedError as e:
        raise _NotImplemented from e


def _run(name: str, fn: Callable, cases: Sequence[_Case]) -> CheckReport:
    if not callable(fn):
        raise TypeError(f"fn: expected your function (a callable), got {type(fn).__name__}")
    failures = []
    for case in cases:
        try:
            got = _call(fn, case)
        except _NotImplemented:
            return CheckReport(name, len(cases), [], not_implemented=True)
        except Exception as e:  # noqa: BLE001 -- report any error of the reader's function
            failures.append(f"for {case.name}: your function raised {type(e).__name__}: {e}")
            continue
        problem = _compare(case, got)
        if problem is not None:
            failures.append(problem)
    return CheckReport(name, len(cases), failures)


# --------------------------------------------------------------------------------------------
# Inputs shared by the checkers (deterministic)
# --------------------------------------------------------------------------------------------


def _randn(*shape: int, seed: int, dtype: torch.dtype = torch.float32) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)


def _randint(high: int, *shape: int, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, high, shape, generator=g)


def _big_logits() -> Tensor:
    """Logits of magnitude 1000 (float32): exp overflows to inf, or underflows to 0."""
    return torch.tensor(
        [
            [1000.0, 1000.0, -1000.0, 0.0],
            [1000.0, 999.0, 998.0, 0.0],
            [-1000.0, -1000.0, -1000.0, -999.0],
        ]
    )


def _logit_inputs() -> list[tuple[str, Tensor, int]]:
    """(name, logits, dim) for the softmax-like checkers."""
    return [
        ("small random logits", _randn(4, 10, seed=0), -1),
        ("logits shifted by +50", _randn(4, 10, seed=1) + 50.0, -1),
        ("logits of magnitude 1000", _big_logits(), -1),
        ("dim=0 (columns sum to 1)", _randn(5, 3, seed=2), 0),
        ("a 3-D tensor with dim=1", _randn(2, 3, 4, seed=3), 1),
        ("a single row (1-D) with dim=0", _randn(7, seed=4), 0),
        ("float64 logits", _randn(3, 6, seed=5, dtype=torch.float64), -1),
    ]


def _classification_inputs() -> list[tuple[str, Tensor, Tensor]]:
    """(name, logits (N, C), target (N,)) for the loss checkers."""
    big = _big_logits()
    return [
        ("small random logits", _randn(4, 10, seed=10), _randint(10, 4, seed=11)),
        ("logits shifted by +50", _randn(4, 10, seed=12) + 50.0, _randint(10, 4, seed=13)),
        ("logits of magnitude 1000", big, torch.tensor([0, 1, 3])),
        ("a batch of one sample", _randn(1, 5, seed=14), torch.tensor([2])),
        ("two classes", _randn(6, 2, seed=15), torch.tensor([0, 1, 1, 0, 1, 0])),
        (
            "confident, correct predictions",
            20.0 * F.one_hot(torch.arange(4), 4).float(),
            torch.arange(4),
        ),
        ("float64 logits", _randn(5, 7, seed=16, dtype=torch.float64), _randint(7, 5, seed=17)),
    ]


# --------------------------------------------------------------------------------------------
# Checkers
# --------------------------------------------------------------------------------------------


def check_softmax(fn: Callable[[Tensor, int], Tensor]) -> CheckReport:
    """Check ``fn(x, dim)`` against :func:`torch.softmax` (same shape as ``x``).

    Parameters
    ----------
    fn : callable
        Your softmax, ``fn(x: Tensor, dim: int) -> Tensor``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [_Case(n, (x, d), torch.softmax(x, d)) for n, x, d in _logit_inputs()]
    return _run("softmax", fn, cases)


def check_log_softmax(fn: Callable[[Tensor, int], Tensor]) -> CheckReport:
    """Check ``fn(x, dim)`` against :func:`torch.log_softmax` (same shape as ``x``).

    Parameters
    ----------
    fn : callable
        Your log-softmax, ``fn(x: Tensor, dim: int) -> Tensor``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [_Case(n, (x, d), torch.log_softmax(x, d)) for n, x, d in _logit_inputs()]
    return _run("log_softmax", fn, cases)


def check_logsumexp(fn: Callable[[Tensor, int], Tensor]) -> CheckReport:
    """Check ``fn(x, dim)`` against :func:`torch.logsumexp` (``dim`` reduced, not kept).

    Parameters
    ----------
    fn : callable
        Your log-sum-exp, ``fn(x: Tensor, dim: int) -> Tensor``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [_Case(n, (x, d), torch.logsumexp(x, d)) for n, x, d in _logit_inputs()]
    return _run("logsumexp", fn, cases)


def check_cross_entropy(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(logits, target)`` against :func:`torch.nn.functional.cross_entropy` (mean, a scalar).

    Parameters
    ----------
    fn : callable
        Your cross-entropy, ``fn(logits (N, C), target (N,) int64) -> Tensor`` of shape ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [_Case(n, (x, t), F.cross_entropy(x, t)) for n, x, t in _classification_inputs()]
    return _run("cross_entropy", fn, cases)


def _ce_grad(x: Tensor, t: Tensor) -> Tensor:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(x, t), x)
    return grad


def check_cross_entropy_grad(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(logits, target)``, the gradient of the mean cross-entropy with respect to the logits.

    The expected result is ``(softmax(logits) - one_hot(target)) / N`` as computed by autograd
    through :func:`torch.nn.functional.cross_entropy`.

    Parameters
    ----------
    fn : callable
        Your gradient, ``fn(logits (N, C), target (N,)) -> Tensor`` of shape ``(N, C)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [_Case(n, (x, t), _ce_grad(x, t)) for n, x, t in _classification_inputs()]
    return _run("cross-entropy gradient", fn, cases)


def check_nll_loss(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(log_probs, target)`` against :func:`torch.nn.functional.nll_loss` (mean, a scalar).

    Parameters
    ----------
    fn : callable
        Your negative log-likelihood, ``fn(log_probs (N, C), target (N,)) -> Tensor`` of shape ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = []
    for name, x, t in _classification_inputs():
        log_probs = torch.log_softmax(x, dim=1)
        cases.append(
            _Case(f"log-probabilities of {name}", (log_probs, t), F.nll_loss(log_probs, t))
        )
    raw = _randn(3, 4, seed=20)
    t = torch.tensor([3, 0, 2])
    cases.append(
        _Case(
            "any input, not normalized (NLL just picks -input[n, y_n])",
            (raw, t),
            F.nll_loss(raw, t),
        )
    )
    return _run("nll_loss", fn, cases)


def _smoothed(target: Tensor, num_classes: int, eps: float) -> Tensor:
    return F.one_hot(target, num_classes).float() * (1.0 - eps) + eps / num_classes


def check_smoothed_targets(fn: Callable[[Tensor, int, float], Tensor]) -> CheckReport:
    """Check ``fn(target, num_classes, label_smoothing)``, the label-smoothed target distribution.

    The expected result is :math:`(1 - \\varepsilon)\\, \\text{one\\_hot}(y) + \\varepsilon / C`, the
    distribution that ``F.cross_entropy(..., label_smoothing=eps)`` uses.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(target (N,) int64, num_classes: int, label_smoothing: float) -> (N, C)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("label_smoothing=0.1, 10 classes", _randint(10, 5, seed=30), 10, 0.1),
        ("label_smoothing=0 (plain one-hot)", torch.tensor([2, 0, 1]), 3, 0.0),
        ("label_smoothing=1 (uniform)", torch.tensor([1, 3]), 4, 1.0),
        ("label_smoothing=0.2, two classes", torch.tensor([0, 1, 1]), 2, 0.2),
        ("a single target", torch.tensor([4]), 6, 0.3),
    ]
    cases = [_Case(n, (t, c, e), _smoothed(t, c, e)) for n, t, c, e in specs]
    return _run("smoothed-targets", fn, cases)


def check_weighted_cross_entropy(fn: Callable[[Tensor, Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(logits, target, weight)`` against ``F.cross_entropy(logits, target, weight=weight)``.

    Remember that the weighted mean divides by the sum of the weights of the targets,
    :math:`\\sum_n w_{y_n}`, not by ``N``.

    Parameters
    ----------
    fn : callable
        Your weighted cross-entropy, ``fn(logits (N, C), target (N,), weight (C,)) -> Tensor`` of
        shape ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = []
    for i, (name, x, t) in enumerate(_classification_inputs()):
        c = x.shape[1]
        w = (torch.arange(1, c + 1, dtype=x.dtype) / 2.0).roll(i)
        cases.append(_Case(name, (x, t, w), F.cross_entropy(x, t, weight=w)))
    x, t = _randn(4, 3, seed=40), torch.tensor([0, 1, 2, 1])
    for name, w in [
        ("equal weights (same as the plain mean)", torch.full((3,), 2.5)),
        ("a class with weight 0", torch.tensor([1.0, 0.0, 3.0])),
    ]:
        cases.append(_Case(name, (x, t, w), F.cross_entropy(x, t, weight=w)))
    return _run("weighted cross_entropy", fn, cases)
