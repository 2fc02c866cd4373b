"""Bad-argument cases for cecode.exercises.ch09 (see tests/unit/test_public_api_validation.py)."""

MODULE = "cecode.exercises.ch09"


def _checker():
    """A checker takes the reader's function; anything else is a TypeError naming fn."""
    return {
        "good": lambda: ((lambda *args: 0,), {}),
        "run_good": False,  # the checks run in tests/unit/test_exercises_ch07_09.py
        "bad_type": ("fn", 42),
        "no_bad_value": "any callable is an answer to check",
    }


CASES = {
    "check_online_logsumexp": _checker(),
    "check_next_token_loss": _checker(),
    "check_accumulation_losses": _checker(),
}
