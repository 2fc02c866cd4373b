"""cecode.information: entropy from logits, and kl_div against torch.nn.functional.kl_div."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cecode import information as ci

F64 = torch.float64
REDUCTIONS = ["none", "batchmean", "sum", "mean"]


def _quiet(fn, *args, **kwargs):
    """Call fn with the 'mean' reduction's UserWarning silenced (tested separately)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


def _gen(seed):
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------------------------
# entropy
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "dim"), [((7,), 0), ((4, 10), -1), ((4, 10), 1), ((5, 3), 0), ((2, 3, 6), 1)]
)
def test_entropy_matches_definition_and_categorical(shape, dim):
    logits = 3 * torch.randn(shape, generator=_gen(0), dtype=F64)
    probs = logits.softmax(dim)
    expected = -(probs * probs.log()).sum(dim)
    assert_close(ci.entropy(logits, dim=dim), expected)
    categorical = torch.distributions.Categorical(logits=logits.movedim(dim, -1)).entropy()
    assert_close(ci.entropy(logits, dim=dim), categorical)


def test_entropy_bounds_uniform_and_one_hot():
    for c in [1, 2, 10, 1000]:
        assert_close(
            ci.entropy(torch.zeros(3, c, dtype=F64)), torch.full((3,), math.log(c), dtype=F64)
        )
    h = ci.entropy(5 * torch.randn(100, 10, generator=_gen(1), dtype=F64))
    assert (h >= 0).all() and (h <= math.log(10) + 1e-12).all()
    assert ci.entropy(torch.tensor([0.0, -1000.0, -1000.0])).item() == 0.0


def test_entropy_is_stable_for_large_logits():
    logits = torch.tensor([[0.0, -200.0, -200.0], [1000.0, 1000.0, -1000.0]])
    naive_probs = logits.softmax(1)
    assert (-(naive_probs * naive_probs.log()).sum(1)).isnan().any()  # 0 * log 0 = nan
    expected = torch.tensor([2 * 201 * math.exp(-200.0), math.log(2)])
    assert_close(ci.entropy(logits), expected)


def test_entropy_with_minus_inf_logits_value_and_gradient():
    logits = torch.tensor(
        [[0.0, 0.0, -math.inf], [1.0, -math.inf, 2.0]], dtype=F64, requires_grad=True
    )
    h = ci.entropy(logits)
    finite = torch.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=F64, requires_grad=True)
    h_ref = ci.entropy(finite)
    assert_close(h, h_ref)
    (g,) = torch.autograd.grad(h.sum(), logits)
    (g_ref,) = torch.autograd.grad(h_ref.sum(), finite)
    assert torch.isfinite(g).all()
    assert_close(g[:, [0, 1]][0], g_ref[0]) and assert_close(g[1, [0, 2]], g_ref[1])
    assert (g[0, 2] == 0) and (g[1, 1] == 0)


def test_entropy_gradcheck_and_gradgradcheck():
    logits = torch.randn(3, 5, generator=_gen(2), dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(ci.entropy, (logits,))
    assert torch.autograd.gradgradcheck(ci.entropy, (logits,))


@pytest.mark.parametrize(
    ("dtype", "tol"), [(torch.float32, 1e-5), (torch.float16, 3e-3), (torch.bfloat16, 2e-2)]
)
def test_entropy_low_precision_dtypes(dtype, tol):
    logits = 4 * torch.randn(8, 10, generator=_gen(3), dtype=F64)
    h = ci.entropy(logits.to(dtype))
    assert h.dtype == dtype
    assert_close(h.to(F64), ci.entropy(logits.to(dtype).to(F64)), rtol=tol, atol=tol)


def test_entropy_bad_arguments():
    with pytest.raises(TypeError, match="logits"):
        ci.entropy([0.0, 1.0])
    with pytest.raises(TypeError, match="logits"):
        ci.entropy(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="dim"):
        ci.entropy(torch.zeros(2, 3), dim=1.0)
    with pytest.raises(ValueError, match="dim"):
        ci.entropy(torch.zeros(2, 3), dim=2)
    with pytest.raises(ValueError, match="logits"):
        ci.entropy(torch.zeros(4, 0))


# --------------------------------------------------------------------------------------------
# kl_div: values and gradients against F.kl_div
# --------------------------------------------------------------------------------------------


def _inputs(input_shape, target_shape, log_target, seed=0, dtype=F64, target_dtype=None):
    g = _gen(seed)
    log_p = torch.randn(input_shape, generator=g, dtype=F64).log_softmax(-1)
    t = torch.randn(target_shape, generator=g, dtype=F64).softmax(-1)
    target = t.log() if log_target else t
    return log_p.to(dtype), target.to(target_dtype or dtype)


SHAPES = [
    ((4, 10), (4, 10)),  # (N, C)
    ((10,), (10,)),  # one distribution
    ((2, 3, 5), (2, 3, 5)),  # (N, d, C)
    ((4, 10), (10,)),  # one target for every row (broadcast)
    ((10,), (4, 10)),  # one input for every target row (batchmean divides by input.shape[0])
    ((4, 1), (4, 6)),  # broadcast along the classes
    ((), ()),  # 0-dimensional
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize(("input_shape", "target_shape"), SHAPES)
def test_kl_div_values_and_gradients_match_pytorch(
    reduction, log_target, input_shape, target_shape
):
    log_p, target = _inputs(input_shape, target_shape, log_target)
    args = [x.clone().requires_grad_() for x in (log_p, target)]
    ref_args = [x.clone().requires_grad_() for x in (log_p, target)]
    kw = {"reduction": reduction, "log_target": log_target}
    out = _quiet(ci.kl_div, *args, **kw)
    ref = _quiet(F.kl_div, *ref_args, **kw)
    assert out.shape == ref.shape and out.dtype == ref.dtype
    assert_close(out, ref)
    grad_out = torch.randn(out.shape, generator=_gen(5), dtype=F64)
    grads = torch.autograd.grad(out, args, grad_out)
    ref_grads = torch.autograd.grad(ref, ref_args, grad_out)
    for got, want in zip(grads, ref_grads, strict=True):
        assert_close(got, want)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_gradcheck(reduction, log_target):
    log_p, target = _inputs((3, 4), (3, 4), log_target, seed=6)
    args = (log_p.requires_grad_(), target.requires_grad_())

    def fn(a, b):
        return _quiet(ci.kl_div, a, b, reduction=reduction, log_target=log_target)

    assert torch.autograd.gradcheck(fn, args)
    assert torch.autograd.gradgradcheck(fn, args)


@pytest.mark.parametrize(
    ("input_dtype", "target_dtype"),
    [
        (torch.float32, torch.float32),
        (torch.float16, torch.float16),
        (torch.bfloat16, torch.bfloat16),
        (torch.float32, torch.float64),  # promotion, as in PyTorch
        (torch.float16, torch.float32),
        (torch.bfloat16, torch.float16),
    ],
)
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_dtypes_match_pytorch(input_dtype, target_dtype, log_target):
    log_p, target = _inputs(
        (5, 7), (5, 7), log_target, seed=7, dtype=input_dtype, target_dtype=target_dtype
    )
    for reduction in REDUCTIONS:
        kw = {"reduction": reduction, "log_target": log_target}
        out = _quiet(ci.kl_div, log_p, target, **kw)
        ref = _quiet(F.kl_div, log_p, target, **kw)
        assert out.dtype == ref.dtype
        assert_close(out, ref)


def test_kl_div_zero_targets_contribute_zero_as_in_pytorch():
    log_p = torch.randn(3, 4, generator=_gen(8), dtype=F64).log_softmax(1)
    t = torch.tensor(
        [[0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]], dtype=F64
    )
    terms = ci.kl_div(log_p, t, reduction="none")
    assert_close(terms, F.kl_div(log_p, t, reduction="none"))
    assert (terms[t == 0] == 0).all()
    x, x_ref = log_p.clone().requires_grad_(), log_p.clone().requires_grad_()
    (g,) = torch.autograd.grad(ci.kl_div(x, t, reduction="sum"), x)
    (g_ref,) = torch.autograd.grad(F.kl_div(x_ref, t, reduction="sum"), x_ref)
    assert_close(g, g_ref) and assert_close(g, -t)
    # the gradient with respect to a zero target is nan in both (log 0 + 0/0)
    tt, tt_ref = t.clone().requires_grad_(), t.clone().requires_grad_()
    (gt,) = torch.autograd.grad(ci.kl_div(log_p, tt, reduction="sum"), tt)
    (gt_ref,) = torch.autograd.grad(F.kl_div(log_p, tt_ref, reduction="sum"), tt_ref)
    assert_close(gt, gt_ref, equal_nan=True)


def test_kl_div_zero_probability_model_and_minus_inf_as_in_pytorch():
    # t > 0 where p = 0: infinite divergence; t = 0 where log p = -inf: 0 * inf = nan (PyTorch too)
    log_p = torch.tensor([-math.inf, 0.0])
    for t in [torch.tensor([0.5, 0.5]), torch.tensor([0.0, 1.0])]:
        assert_close(
            ci.kl_div(log_p, t, reduction="none"),
            F.kl_div(log_p, t, reduction="none"),
            equal_nan=True,
        )
    assert ci.kl_div(log_p, torch.tensor([0.5, 0.5]), reduction="sum").item() == math.inf
    log_t = torch.tensor([-math.inf, 0.0])
    assert_close(
        ci.kl_div(torch.tensor([-1.0, 0.0]), log_t, reduction="none", log_target=True),
        F.kl_div(torch.tensor([-1.0, 0.0]), log_t, reduction="none", log_target=True),
        equal_nan=True,
    )


def test_kl_div_empty_input_gives_nan_as_in_pytorch():
    for reduction in ["mean", "batchmean"]:
        out = _quiet(ci.kl_div, torch.zeros(0, 3), torch.zeros(0, 3), reduction=reduction)
        assert (
            out.isnan()
            and _quiet(F.kl_div, torch.zeros(0, 3), torch.zeros(0, 3), reduction=reduction).isnan()
        )
    assert ci.kl_div(torch.zeros(0, 3), torch.zeros(0, 3), reduction="sum").item() == 0.0


def test_kl_div_is_kl_and_mean_is_c_times_smaller():
    log_p, t = _inputs((6, 10), (6, 10), False, seed=9)
    kl_rows = (t * (t.log() - log_p)).sum(1)  # KL(t || p) per row
    assert_close(ci.kl_div(log_p, t, reduction="batchmean"), kl_rows.mean())
    assert_close(_quiet(ci.kl_div, log_p, t), kl_rows.mean() / 10)
    cross_entropy = -(t * log_p).sum(1)
    assert_close(
        ci.kl_div(log_p, t, reduction="batchmean"), (cross_entropy - ci.entropy(t.log())).mean()
    )


def test_kl_div_mean_warns_like_pytorch():
    log_p, t = _inputs((2, 3), (2, 3), False)
    with pytest.warns(UserWarning, match="batchmean"):
        ci.kl_div(log_p, t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ci.kl_div(log_p, t, reduction="batchmean")


def test_kl_div_bad_arguments():
    log_p, t = _inputs((2, 3), (2, 3), False)
    with pytest.raises(TypeError, match="input"):
        ci.kl_div(log_p.tolist(), t, reduction="sum")
    with pytest.raises(TypeError, match="input"):
        ci.kl_div(torch.zeros(2, 3, dtype=torch.int64), t, reduction="sum")
    with pytest.raises(TypeError, match="target"):
        ci.kl_div(log_p, torch.ones(2, 3, dtype=torch.int64), reduction="sum")
    with pytest.raises(ValueError, match="reduction"):
        ci.kl_div(log_p, t, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        ci.kl_div(log_p, t, reduction=None)
    with pytest.raises(TypeError, match="log_target"):
        ci.kl_div(log_p, t, reduction="sum", log_target="yes")
    with pytest.raises(ValueError, match="size_average"):
        ci.kl_div(log_p, t, size_average=False)
    with pytest.raises(ValueError, match="reduce"):
        ci.kl_div(log_p, t, reduce=True)
    with pytest.raises(ValueError, match="target.*input"):
        ci.kl_div(log_p, t[:, :2], reduction="sum")
