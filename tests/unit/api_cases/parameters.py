"""Bad-argument cases for cecode.parameters (see tests/unit/test_public_api_validation.py)."""

from torch import nn

MODULE = "cecode.parameters"


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 2))


CASES = {
    "ParameterRow": {"exempt": "a frozen dataclass, one row of summary()'s table"},
    "ParameterTable": {
        "good": lambda: (([],), {}),
        "bad_type": ("rows", 3),
        "no_bad_value": "any list of ParameterRow (also an empty one) is a table",
    },
    "summary": {
        "good": lambda: ((_model(),), {}),
        "bad_type": ("model", "model"),
        "no_bad_value": "every nn.Module has a (possibly empty) parameter list",
    },
    "count_parameters": {
        "good": lambda: ((_model(),), {}),
        "bad_type": ("trainable_only", "yes"),
        "no_bad_value": "every nn.Module has a parameter count",
    },
    "freeze": {
        "good": lambda: ((_model(), "0.*"), {}),
        "bad_type": ("patterns", (1,)),
        "bad_value": ("patterns", ("conv*",)),
    },
    "unfreeze": {
        "good": lambda: ((_model(), "*.bias"), {}),
        "bad_type": ("model", None),
        "bad_value": ("patterns", ()),
    },
    "no_weight_decay_groups": {
        "good": lambda: ((_model(), 0.1), {}),
        "bad_type": ("weight_decay", "0.1"),
        "bad_value": ("weight_decay", -1.0),
    },
}
