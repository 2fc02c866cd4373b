"""Bad-argument cases for cecode.exercises.ch11 (see tests/unit/test_public_api_validation.py)."""

MODULE = "cecode.exercises.ch11"


def _checker():
    """A checker takes the reader's function; anything else is a TypeError naming fn."""
    return {
        "good": lambda: ((lambda *args: 0.0,), {}),
        "run_good": False,  # the checks run in tests/unit/test_exercises_ch11.py
        "bad_type": ("fn", 42),
        "no_bad_value": "any callable is an answer to check",
    }


CASES = {
    "check_bce_with_logits": _checker(),
    "check_prior_bias": _checker(),
    "check_pos_weight": _checker(),
    "check_logit_adjusted_cross_entropy": _checker(),
}
