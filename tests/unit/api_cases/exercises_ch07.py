"""Bad-argument cases for cecode.exercises.ch07 (see tests/unit/test_public_api_validation.py)."""

MODULE = "cecode.exercises.ch07"


def _checker():
    """A checker takes the reader's function; anything else is a TypeError naming fn."""
    return {
        "good": lambda: ((lambda *args: 0,), {}),
        "run_good": False,  # the checks run in tests/unit/test_exercises_ch07_09.py
        "bad_type": ("fn", 42),
        "no_bad_value": "any callable is an answer to check",
    }


CASES = {
    "check_count_parameters": _checker(),
    "check_weight_decay_groups": _checker(),
    "check_freeze_batchnorm": _checker(),
}
