"""Bad-argument cases for cecode.models (see tests/unit/test_public_api_validation.py)."""

MODULE = "cecode.models"

CASES = {
    "MLP": {
        "good": lambda: ((), {"hidden": 8}),
        "bad_type": ("hidden", "a"),
        "bad_value": ("dropout", 1.0),
    },
}
