"""The machinery every chapter's checkers share: named cases, comparison, a report.

A checker builds a list of :class:`Case` (the arguments passed to the reader's function and the
expected result, computed by PyTorch) and calls :func:`run_cases`, which runs the reader's
function on each case and returns a :class:`CheckReport`. A function that still raises
:class:`NotImplementedError` gives ``"Not implemented yet: ..."`` and ``report.passed == False``
(no exception), so a chapter's exercise cell runs before the reader has written anything.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode._validate import shape_str

__all__ = ["CheckReport", "Case", "run_cases"]

_WIDTH = 79  # printed reports fit the book's 80-column outputs


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
            return textwrap.fill(
                f"Not implemented yet: your {self.name} function raises NotImplementedError. "
                "Replace the `raise NotImplementedError` with your code and run the check again.",
                width=_WIDTH,
            )
        if not self.failures:
            return f"All {self.n_checks} checks passed."
        lines = "\n".join(
            textwrap.fill(f"- {f}", width=_WIDTH, subsequent_indent="  ") for f in self.failures
        )
        return f"{len(self.failures)} of {self.n_checks} checks failed:\n{lines}"

    __repr__ = __str__


@dataclass(frozen=True)
class Case:
    """One named case: the arguments passed to the reader's function and the expected result."""

    name: str
    args: tuple
    expected: Tensor


class _NotImplemented(Exception):
    pass


def _fmt(x: float) -> str:
    """Format a number rounded to 4 decimals (``nan``, ``inf`` as such)."""
    return f"{x:.4f}"


def _compare(case: Case, got: object) -> str | None:
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


def _call(fn: Callable, case: Case) -> object:
    args = tuple(a.clone() if isinstance(a, Tensor) else a for a in case.args)
    try:
        return fn(*args)
    except NotImplementedError as e:
        raise _NotImplemented from e


def run_cases(name: str, fn: Callable, cases: Sequence[Case]) -> CheckReport:
    """Run the reader's ``fn`` on every case and compare each result with the expected one.

    Parameters
    ----------
    name : str
        What is checked, used in the report ("your <name> function ...").
    fn : callable
        The reader's function; it is called as ``fn(*case.args)`` on copies of the arguments.
    cases : sequence of Case
        The named cases and their expected results.

    Returns
    -------
    CheckReport
        ``not_implemented`` if ``fn`` raised :class:`NotImplementedError`; one line per failed
        case otherwise (a wrong shape, a wrong value, or an error ``fn`` raised).

    Raises
    ------
    TypeError
        If ``fn`` is not callable.
    """
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


def randn(*shape: int, seed: int, dtype: torch.dtype = torch.float32) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)


def randint(high: int, *shape: int, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, high, shape, generator=g)


def big_logits() -> Tensor:
    """Logits of magnitude 1000 (float32): exp overflows to inf, or underflows to 0."""
    return torch.tensor(
        [
            [1000.0, 1000.0, -1000.0, 0.0],
            [1000.0, 999.0, 998.0, 0.0],
            [-1000.0, -1000.0, -1000.0, -999.0],
        ]
    )


def logit_inputs() -> list[tuple[str, Tensor, int]]:
    """(name, logits, dim) for the softmax-like checkers."""
    return [
        ("small random logits", randn(4, 10, seed=0), -1),
        ("logits shifted by +50", randn(4, 10, seed=1) + 50.0, -1),
        ("logits of magnitude 1000", big_logits(), -1),
        ("dim=0 (columns sum to 1)", randn(5, 3, seed=2), 0),
        ("a 3-D tensor with dim=1", randn(2, 3, 4, seed=3), 1),
        ("a single row (1-D) with dim=0", randn(7, seed=4), 0),
        ("float64 logits", randn(3, 6, seed=5, dtype=torch.float64), -1),
    ]


def classification_inputs() -> list[tuple[str, Tensor, Tensor]]:
    """(name, logits (N, C), target (N,)) for the loss checkers."""
    big = big_logits()
    return [
        ("small random logits", randn(4, 10, seed=10), randint(10, 4, seed=11)),
        ("logits shifted by +50", randn(4, 10, seed=12) + 50.0, randint(10, 4, seed=13)),
        ("logits of magnitude 1000", big, torch.tensor([0, 1, 3])),
        ("a batch of one sample", randn(1, 5, seed=14), torch.tensor([2])),
        ("two classes", randn(6, 2, seed=15), torch.tensor([0, 1, 1, 0, 1, 0])),
        (
            "confident, correct predictions",
            20.0 * F.one_hot(torch.arange(4), 4).float(),
            torch.arange(4),
        ),
        ("float64 logits", randn(5, 7, seed=16, dtype=torch.float64), randint(7, 5, seed=17)),
    ]
