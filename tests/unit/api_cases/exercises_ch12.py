"""Bad-argument cases for cecode.exercises.ch12 (see tests/unit/test_public_api_validation.py)."""

MODULE = "cecode.exercises.ch12"


def _checker():
    """A checker takes the reader's function; anything else is a TypeError naming fn."""
    return {
        "good": lambda: ((lambda *args: 0.0,), {}),
        "run_good": False,  # the checks run in tests/unit/test_exercises_ch12.py
        "bad_type": ("fn", 42),
        "no_bad_value": "any callable is an answer to check",
    }


CASES = {
    "check_mixup_loss": _checker(),
    "check_distillation_loss": _checker(),
    "check_info_nce": _checker(),
    "check_clip_loss": _checker(),
}
