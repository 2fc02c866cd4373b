"""Bad-argument cases for cecode.exercises.ch13 (see tests/unit/test_public_api_validation.py)."""

MODULE = "cecode.exercises.ch13"


def _checker():
    """A checker takes the reader's function; anything else is a TypeError naming fn."""
    return {
        "good": lambda: ((lambda *args: 0.0,), {}),
        "run_good": False,  # the checks run in tests/unit/test_exercises_ch13.py
        "bad_type": ("fn", 42),
        "no_bad_value": "any callable is an answer to check",
    }


CASES = {
    "check_trigram_cross_entropy": _checker(),
    "check_packed_targets": _checker(),
    "check_cross_entropy_with_z_loss": _checker(),
    "check_sliced_cross_entropy": _checker(),
}
