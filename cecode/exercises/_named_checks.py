"""Checkers whose cases are not "compare one tensor with PyTorch's" (chapters 7 to 9).

A named check is a function that runs the reader's function itself and returns ``None`` when
all is well, else one line saying what went wrong; :func:`run_checks` turns a list of them
into a :class:`~cecode.exercises._checking.CheckReport`, with the same handling of
``NotImplementedError`` and of errors as ``_checking.run_cases``. Each
check runs with a copy of the random state, so a checker leaves the reader's random numbers
alone (a ``Dropout`` in a checked model draws some).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from cecode.exercises._checking import CheckReport

__all__ = ["run_checks"]


def run_checks(
    name: str, fn: object, checks: Sequence[tuple[str, Callable[[Callable], str | None]]]
) -> CheckReport:
    """Run ``check(fn)`` for every ``(case name, check)``; collect what went wrong.

    Parameters
    ----------
    name : str
        What is checked, used in the report ("your <name> function ...").
    fn : callable
        The reader's function.
    checks : sequence of tuple
        Pairs ``(name, check)``; each check takes ``fn`` and returns ``None`` or a one-line problem.

    Returns
    -------
    CheckReport
        ``not_implemented`` if ``fn`` raised :class:`NotImplementedError`; one failure line
        per failed case otherwise.

    Raises
    ------
    TypeError
        If ``fn`` is not callable.
    """
    if not callable(fn):
        raise TypeError(f"fn: expected your function (a callable), got {type(fn).__name__}")
    failures = []
    for case, check in checks:
        try:
            with torch.random.fork_rng(devices=[]):  # leave the reader's random state alone
                problem = check(fn)
        except NotImplementedError:
            return CheckReport(name, len(checks), [], not_implemented=True)
        except Exception as e:  # noqa: BLE001 -- report any error of the reader's function
            problem = f"your function raised {type(e).__name__}: {e}"
        if problem is not None:
            failures.append(f"for {case}: {problem}")
    return CheckReport(name, len(checks), failures)
