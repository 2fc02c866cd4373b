"""Bad input gets a clear error naming the argument, the expected and the actual value."""

from __future__ import annotations

import re

import pytest
import torch

from cecode import _validate as v
from cecode import functional as cf

X = torch.zeros(4, 10)
T = torch.tensor([1, 2, 3, 4])


def _raises(exc, message):
    return pytest.raises(exc, match=re.escape(message))


# ------------------------------------------------------------------------------------------------
# Targets
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [cf.cross_entropy, cf.nll_loss])
def test_target_out_of_range(fn):
    t = torch.tensor([1, 2, 3, 12])
    msg = "target: expected class indices in [0, 10) or ignore_index=-100, got 12 at position 3"
    with _raises(ValueError, msg):
        fn(X, t)


def test_negative_target_that_is_not_ignore_index():
    with _raises(ValueError, "in [0, 10) or ignore_index=-1, got -100 at position 0"):
        cf.cross_entropy(X, torch.tensor([-100, 0, 1, 2]), ignore_index=-1)


def test_out_of_range_position_in_k_dimensional_target():
    x = torch.zeros(2, 3, 4, 5)
    t = torch.zeros(2, 4, 5, dtype=torch.long)
    t[1, 2, 0] = 3
    with _raises(ValueError, "in [0, 3) or ignore_index=-100, got 3 at position (1, 2, 0)"):
        cf.cross_entropy(x, t)


def test_ignore_index_inside_class_range_is_allowed():
    t = torch.tensor([1, 2, 3, 4])
    torch.testing.assert_close(
        cf.cross_entropy(X, t, ignore_index=4),
        torch.nn.functional.cross_entropy(X, t, ignore_index=4),
    )


@pytest.mark.parametrize("fn", [cf.cross_entropy, cf.nll_loss])
def test_float_class_index_targets(fn):
    with pytest.raises(
        TypeError,
        match=r"target: expected class indices of dtype torch\.int64, got dtype torch\.float32",
    ):
        fn(X, T.float())


def test_float_class_indices_message_mentions_probabilities():
    with _raises(
        TypeError, "for class probabilities pass a float tensor of the input's shape (4, 10)"
    ):
        cf.cross_entropy(X, T.float())


def test_int32_class_indices_rejected_like_torch():
    with _raises(
        TypeError, "target: expected class indices of dtype torch.int64, got dtype torch.int32"
    ):
        cf.cross_entropy(X, T.int())


@pytest.mark.parametrize(
    ("target", "expected", "got"),
    [
        (torch.tensor([1, 2, 3]), "(4,)", "(3,)"),
        (torch.tensor(1), "(4,)", "()"),
        (torch.zeros(4, 2, dtype=torch.long), "(4,)", "(4, 2)"),
    ],
)
def test_wrong_target_shape(target, expected, got):
    msg = f"target: expected class indices of shape {expected} (the input shape (4, 10) without the class dimension 1), got shape {got}"
    with _raises(ValueError, msg):
        cf.cross_entropy(X, target)


def test_wrong_target_shape_k_dimensional():
    with _raises(
        ValueError,
        "expected class indices of shape (2, 4) (the input shape (2, 3, 4) without the class dimension 1), got shape (2, 5)",
    ):
        cf.cross_entropy(torch.zeros(2, 3, 4), torch.zeros(2, 5, dtype=torch.long))


def test_probability_targets_wrong_shape():
    msg = "target: expected class probabilities of the input's shape (4, 10), got shape (4, 9)"
    with _raises(ValueError, msg):
        cf.cross_entropy(X, torch.full((4, 9), 1 / 9))


def test_probability_targets_integer_dtype():
    msg = "target: expected class probabilities as a floating-point tensor, got dtype torch.int64"
    with _raises(TypeError, msg):
        cf.cross_entropy(X, torch.zeros(4, 10, dtype=torch.long))


def test_ignore_index_with_probability_targets():
    msg = "ignore_index: not applicable to class-probability targets (expected a negative value, e.g. the default -100), got 3"
    with _raises(ValueError, msg):
        cf.cross_entropy(X, torch.full((4, 10), 0.1), ignore_index=3)


def test_target_not_a_tensor():
    with _raises(TypeError, "target: expected a torch.Tensor, got list"):
        cf.cross_entropy(X, [1, 2, 3, 4])
    with _raises(TypeError, "target: expected a torch.Tensor, got list"):
        cf.nll_loss(X, [1, 2, 3, 4])


def test_ignore_index_not_an_int():
    with _raises(TypeError, "ignore_index: expected an int, got float"):
        cf.cross_entropy(X, T, ignore_index=-100.0)


# ------------------------------------------------------------------------------------------------
# weight, reduction, label_smoothing
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [cf.cross_entropy, cf.nll_loss])
@pytest.mark.parametrize(
    ("weight", "got"), [(torch.ones(3), "(3,)"), (torch.ones(1, 10), "(1, 10)")]
)
def test_weight_wrong_shape(fn, weight, got):
    msg = f"weight: expected a 1-D tensor of length 10 (one weight per class), got shape {got}"
    with _raises(ValueError, msg):
        fn(X, T, weight=weight)


def test_weight_wrong_dtype_or_type():
    with _raises(
        TypeError,
        "weight: expected dtype torch.float32 (the input's dtype), got dtype torch.float64",
    ):
        cf.cross_entropy(X, T, weight=torch.ones(10, dtype=torch.float64))
    with _raises(TypeError, "weight: expected a torch.Tensor, got list"):
        cf.cross_entropy(X, T, weight=[1.0] * 10)
    with _raises(
        TypeError,
        "weight: expected a floating-point tensor, got dtype torch.int64",
    ):
        cf.cross_entropy(X, T, weight=torch.ones(10, dtype=torch.long))


@pytest.mark.parametrize("fn", [cf.cross_entropy, cf.nll_loss, cf.naive_cross_entropy])
@pytest.mark.parametrize("reduction", ["avg", "Mean", "elementwise_mean"])
def test_unknown_reduction(fn, reduction):
    with _raises(
        ValueError, f"reduction: expected one of 'none', 'mean', 'sum', got {reduction!r}"
    ):
        fn(X, T, reduction=reduction)


@pytest.mark.parametrize("fn", [cf.cross_entropy, cf.nll_loss, cf.naive_cross_entropy])
@pytest.mark.parametrize(("reduction", "got"), [(None, "NoneType"), (1, "int")])
def test_reduction_of_the_wrong_type(fn, reduction, got):
    with _raises(TypeError, f"reduction: expected one of 'none', 'mean', 'sum', got {got}"):
        fn(X, T, reduction=reduction)


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan")])
def test_label_smoothing_out_of_range(value):
    with _raises(ValueError, f"label_smoothing: expected a float in [0, 1], got {value}"):
        cf.cross_entropy(X, T, label_smoothing=value)


def test_label_smoothing_not_a_number():
    with _raises(TypeError, "label_smoothing: expected a float in [0, 1], got str"):
        cf.cross_entropy(X, T, label_smoothing="0.1")


# ------------------------------------------------------------------------------------------------
# input and dim
# ------------------------------------------------------------------------------------------------

ALL_DIM_FUNCTIONS = [cf.softmax, cf.log_softmax, cf.logsumexp, cf.naive_softmax]


@pytest.mark.parametrize("fn", ALL_DIM_FUNCTIONS)
@pytest.mark.parametrize("dim", [2, -3])
def test_dim_out_of_range(fn, dim):
    with _raises(
        ValueError, f"dim: expected an int in [-2, 1] for a 2-dimensional input, got {dim}"
    ):
        fn(X, dim)


@pytest.mark.parametrize("fn", ALL_DIM_FUNCTIONS)
def test_dim_not_an_int(fn):
    with _raises(TypeError, "dim: expected an int, got float"):
        fn(X, 1.0)
    with _raises(TypeError, "dim: expected an int, got NoneType"):
        fn(X, None)


def test_logsumexp_dims():
    with _raises(ValueError, "dim: expected distinct dimensions, got (1, -1)"):
        cf.logsumexp(X, (1, -1))
    with _raises(ValueError, "dim: expected an int in [-2, 1] for a 2-dimensional input, got 5"):
        cf.logsumexp(X, (0, 5))


ALL_INPUT_FUNCTIONS = [
    lambda x: cf.softmax(x, 0),
    lambda x: cf.log_softmax(x, 0),
    lambda x: cf.logsumexp(x, 0),
    lambda x: cf.naive_softmax(x, 0),
    lambda x: cf.cross_entropy(x, torch.zeros(len(x), dtype=torch.long)),
    lambda x: cf.nll_loss(x, torch.zeros(len(x), dtype=torch.long)),
    lambda x: cf.naive_cross_entropy(x, torch.zeros(len(x), dtype=torch.long)),
]


@pytest.mark.parametrize("fn", ALL_INPUT_FUNCTIONS)
def test_integer_input(fn):
    msg = "input: expected a floating-point tensor, got dtype torch.int64"
    with _raises(TypeError, msg):
        fn(torch.zeros(4, 10, dtype=torch.long))


LOSS_FUNCTIONS = ALL_INPUT_FUNCTIONS[4:]


@pytest.mark.parametrize("fn", LOSS_FUNCTIONS)
def test_empty_loss_input(fn):
    with _raises(ValueError, "input: expected a non-empty tensor, got shape (0, 10)"):
        fn(torch.zeros(0, 10))


@pytest.mark.parametrize("shape", [(5, 0, 0), (0, 10), (3, 0)])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_empty_input_like_torch(shape, dim):
    """An empty batch is valid: softmax and friends return what PyTorch returns."""
    x = torch.zeros(shape)
    pairs = [
        (cf.softmax(x, dim), torch.softmax(x, dim)),
        (cf.log_softmax(x, dim), torch.log_softmax(x, dim)),
        (cf.naive_softmax(x, dim), torch.softmax(x, dim)),
        (cf.logsumexp(x, dim), torch.logsumexp(x, dim)),
        (cf.logsumexp(x, dim, keepdim=True), torch.logsumexp(x, dim, keepdim=True)),
    ]
    for got, expected in pairs:
        assert got.shape == expected.shape
        torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("fn", ALL_INPUT_FUNCTIONS)
def test_input_not_a_tensor(fn):
    with _raises(TypeError, "input: expected a torch.Tensor, got list"):
        fn([[0.0, 1.0]])


def test_zero_dimensional_loss_input():
    msg = "input: expected shape (C,), (N, C) or (N, C, d1, ..., dK), got a 0-dimensional tensor"
    with _raises(ValueError, msg):
        cf.cross_entropy(torch.tensor(1.0), torch.tensor(0))


def test_softmax_bad_dtype_argument():
    with _raises(
        TypeError, "dtype: expected a floating-point torch.dtype or None, got torch.int64"
    ):
        cf.softmax(X, 1, dtype=torch.int64)


def test_naive_cross_entropy_rejects_k_dimensional_input():
    with _raises(ValueError, "input: expected shape (N, C) or (C,), got (2, 3, 4)"):
        cf.naive_cross_entropy(torch.zeros(2, 3, 4), torch.zeros(2, 4, dtype=torch.long))


# ------------------------------------------------------------------------------------------------
# The helpers themselves
# ------------------------------------------------------------------------------------------------


def test_check_dim_normalizes():
    assert v.check_dim("dim", -1, 3) == 2
    assert v.check_dim("dim", 0, 0) == 0  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    assert v.check_dim("dim", -1, 0) == 0


def test_check_int_rejects_bool():
    with _raises(TypeError, "axis: expected an int, got bool"):
        v.check_int("axis", True)


def test_shape_str():
    assert v.shape_str(torch.Size([4, 10])) == "(4, 10)"
    assert v.shape_str(torch.Size([4])) == "(4,)"
    assert v.shape_str(torch.Size([])) == "()"


def test_checks_pass_on_good_input():
    v.check_tensor("x", X)
    v.check_floating("x", X)
    v.check_nonempty("x", X)
    v.check_reduction("sum")
    v.check_label_smoothing(0)
    v.check_label_smoothing(1.0)
    v.check_class_targets(torch.tensor([0, 9, -100, 3]), X)
    v.check_class_targets(torch.tensor(3), torch.zeros(10))
    v.check_probability_targets(torch.rand(4, 10, dtype=torch.float64), X)
    v.check_weight(None, 10)
    v.check_weight(torch.ones(10), 10, dtype=torch.float32)
    assert v.class_dim_of(torch.zeros(3)) == 0
    assert v.class_dim_of(torch.zeros(2, 3, 4)) == 1
