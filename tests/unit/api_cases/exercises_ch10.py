"""Bad-argument cases for cecode.exercises.ch10 (see tests/unit/test_public_api_validation.py)."""

MODULE = "cecode.exercises.ch10"


def _checker():
    """A checker takes the reader's function; anything else is a TypeError naming fn."""
    return {
        "good": lambda: ((lambda *args: 0.0,), {}),
        "run_good": False,  # the checks run in tests/unit/test_exercises_ch10.py
        "bad_type": ("fn", 42),
        "no_bad_value": "any callable is an answer to check",
    }


CASES = {
    "check_entropy_bits": _checker(),
    "check_perplexity": _checker(),
    "check_kl_per_row": _checker(),
    "check_mean_kl": _checker(),
}
