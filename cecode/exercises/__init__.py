"""Checkers for the exercises at the end of each chapter, one module per chapter.

Chapter ``N``'s exercises use ``cecode.exercises.chNN`` only (no checker serves two chapters)::

    from cecode.exercises import ch01

    report = ch01.check_softmax(my_softmax)
    print(report)  # e.g. "1 of 7 checks failed: ..."

Each ``check_*`` function takes the reader's function, runs it on named, deterministic cases and
compares the results with PyTorch's; it returns a :class:`CheckReport` (see
:mod:`cecode.exercises._checking` for the shared machinery).
"""

from cecode.exercises._checking import CheckReport

__all__ = ["CheckReport"]
