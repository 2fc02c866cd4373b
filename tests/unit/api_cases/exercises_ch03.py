"""Bad-argument cases for cecode.exercises.ch03 (see tests/unit/test_public_api_validation.py)."""

MODULE = "cecode.exercises.ch03"


def _checker():
    """A checker takes the reader's function; anything else is a TypeError naming fn."""
    return {
        "good": lambda: ((lambda *args: 0.0,), {}),
        "run_good": False,  # the checks run in tests/unit/test_exercises.py
        "bad_type": ("fn", 42),
        "no_bad_value": "any callable is an answer to check",
    }


CASES = {
    "check_cross_entropy_nd": _checker(),
    "check_focal_loss": _checker(),
    "check_nll_loss": _checker(),
}
