"""cecode.functional against torch.nn.functional as the oracle: values, gradients, semantics."""

from __future__ import annotations

import ast
import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cecode import functional as cf

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None)
CE_SETTINGS = settings(SETTINGS, max_examples=80)
DTYPES = [torch.float32, torch.float64]


def _tol(dtype: torch.dtype) -> dict:
    return (
        {"rtol": 1e-5, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-10, "atol": 1e-10}
    )


def _randn(*shape: int, seed: int, dtype: torch.dtype, scale: float = 3.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(*shape, generator=g, dtype=torch.float64)).to(dtype)


# ------------------------------------------------------------------------------------------------
# Random problems for hypothesis
# ------------------------------------------------------------------------------------------------


@st.composite
def ce_problems(draw, allow_probs: bool = True):
    """A random cross-entropy problem: input, target and keyword options."""
    seed = draw(st.integers(0, 2**16))
    dtype = draw(st.sampled_from(DTYPES))
    unbatched = draw(st.booleans())
    c = draw(st.integers(1, 6))
    if unbatched:
        shape = (c,)
    else:
        n = draw(st.integers(1, 4))
        spatial = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
        shape = (n, c, *spatial)
    cdim = 0 if unbatched else 1
    x = _randn(*shape, seed=seed, dtype=dtype)
    g = torch.Generator().manual_seed(seed + 1)
    probs = allow_probs and draw(st.booleans())
    kwargs: dict = {"reduction": draw(st.sampled_from(["none", "mean", "sum"]))}
    if draw(st.booleans()):
        kwargs["weight"] = (torch.rand(c, generator=g, dtype=torch.float64) * 2).to(dtype)
    if probs:
        t = torch.rand(shape, generator=g, dtype=torch.float64).to(dtype)
        if draw(st.booleans()):
            t = t / t.sum(dim=cdim, keepdim=True)  # proper distributions (or not)
        if draw(st.booleans()):
            kwargs["ignore_index"] = draw(st.sampled_from([-100, -1]))
    else:
        tshape = tuple(s for i, s in enumerate(shape) if i != cdim)
        t = torch.randint(0, c, tshape, generator=g)
        ignore = draw(st.sampled_from([None, -100, -1, 0, c - 1]))
        if ignore is not None:
            kwargs["ignore_index"] = ignore
            mask = torch.rand(tshape, generator=g) < draw(st.sampled_from([0.3, 1.0]))
            t = t.masked_fill(mask, ignore)
    if draw(st.booleans()):
        kwargs["label_smoothing"] = (
            draw(st.sampled_from([0.1, 0.5, 1.0]))
            if draw(st.booleans())
            else draw(st.floats(0.0, 1.0))
        )
    return x, t, kwargs


def _loss_and_grads(fn, x, t, kwargs, seed=0):
    """Loss and gradients w.r.t. input (and target, weight for probability targets)."""
    x = x.clone().requires_grad_(True)
    inputs = [x]
    kwargs = dict(kwargs)
    if t.is_floating_point():
        t = t.clone().requires_grad_(True)
        inputs.append(t)
        if "weight" in kwargs:
            kwargs["weight"] = kwargs["weight"].clone().requires_grad_(True)
            inputs.append(kwargs["weight"])
    loss = fn(x, t, **kwargs)
    g = torch.Generator().manual_seed(seed)
    grad_out = torch.rand(loss.shape, generator=g, dtype=torch.float64).to(loss.dtype)
    grads = torch.autograd.grad(loss, inputs, grad_out)
    return loss.detach(), grads


@CE_SETTINGS
@given(ce_problems())
def test_cross_entropy_matches_torch(problem):
    x, t, kwargs = problem
    loss, grads = _loss_and_grads(cf.cross_entropy, x, t, kwargs)
    ref_loss, ref_grads = _loss_and_grads(F.cross_entropy, x, t, kwargs)
    assert loss.dtype == ref_loss.dtype and loss.shape == ref_loss.shape
    torch.testing.assert_close(loss, ref_loss, equal_nan=True, **_tol(x.dtype))
    for got, ref in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(got, ref, equal_nan=True, **_tol(x.dtype))


@SETTINGS
@given(ce_problems(allow_probs=False))
def test_nll_loss_matches_torch(problem):
    x, t, kwargs = problem
    kwargs.pop("label_smoothing", None)
    log_probs = torch.log_softmax(x, dim=0 if x.dim() == 1 else 1)
    loss, (grad,) = _loss_and_grads(cf.nll_loss, log_probs, t, kwargs)
    ref_loss, (ref_grad,) = _loss_and_grads(F.nll_loss, log_probs, t, kwargs)
    torch.testing.assert_close(loss, ref_loss, equal_nan=True, **_tol(x.dtype))
    torch.testing.assert_close(grad, ref_grad, equal_nan=True, **_tol(x.dtype))


@st.composite
def tensors_and_dims(draw):
    seed = draw(st.integers(0, 2**16))
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    scale = draw(st.sampled_from([1.0, 30.0, 1e3]))
    return _randn(*shape, seed=seed, dtype=dtype, scale=scale), dim


@SETTINGS
@given(tensors_and_dims(), st.booleans())
def test_softmax_family_matches_torch(x_dim, keepdim):
    x, dim = x_dim
    cases = [
        (lambda z: cf.softmax(z, dim), lambda z: torch.softmax(z, dim)),
        (lambda z: cf.log_softmax(z, dim), lambda z: torch.log_softmax(z, dim)),
        (lambda z: cf.logsumexp(z, dim, keepdim), lambda z: torch.logsumexp(z, dim, keepdim)),
    ]
    for ours, ref in cases:
        a = x.clone().requires_grad_(True)
        b = x.clone().requires_grad_(True)
        out_a, out_b = ours(a), ref(b)
        torch.testing.assert_close(out_a, out_b, **_tol(x.dtype))
        w = torch.linspace(-1, 1, out_b.numel(), dtype=x.dtype).reshape(out_b.shape)
        (ga,) = torch.autograd.grad((out_a * w).sum(), a)
        (gb,) = torch.autograd.grad((out_b * w).sum(), b)
        torch.testing.assert_close(ga, gb, **_tol(x.dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dims", [(0, 2), (1,), (-1, 0), (0, 1, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_several_dims(dtype, dims, keepdim):
    x = _randn(2, 3, 4, seed=0, dtype=dtype)
    torch.testing.assert_close(cf.logsumexp(x, dims, keepdim), torch.logsumexp(x, dims, keepdim))


def test_infinite_entries_match_torch():
    x = torch.tensor(
        [[0.0, -math.inf, 1.0], [-math.inf, -math.inf, -math.inf], [2.0, 2.0, -math.inf]]
    )
    torch.testing.assert_close(cf.logsumexp(x, 1), torch.logsumexp(x, 1))
    torch.testing.assert_close(cf.softmax(x[[0, 2]], 1), torch.softmax(x[[0, 2]], 1))
    torch.testing.assert_close(cf.log_softmax(x[[0, 2]], 1), torch.log_softmax(x[[0, 2]], 1))
    assert cf.logsumexp(torch.tensor([math.inf, 0.0]), 0) == math.inf


def test_softmax_dtype_argument():
    x = _randn(3, 4, seed=0, dtype=torch.float32)
    out = cf.softmax(x, 1, dtype=torch.float64)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, F.softmax(x, 1, dtype=torch.float64))
    torch.testing.assert_close(
        cf.log_softmax(x, 0, dtype=torch.float64), F.log_softmax(x, 0, dtype=torch.float64)
    )


# ------------------------------------------------------------------------------------------------
# Pinned semantics (checked against PyTorch and against hand-computed numbers)
# ------------------------------------------------------------------------------------------------


def test_weighted_mean_divides_by_target_weights():
    x = _randn(4, 3, seed=1, dtype=torch.float64)
    t = torch.tensor([0, 2, 2, -100])
    w = torch.tensor([1.0, 5.0, 0.5], dtype=torch.float64)
    per = -torch.log_softmax(x, 1)[torch.arange(3), t[:3]] * w[t[:3]]
    expected = per.sum() / (1.0 + 0.5 + 0.5)
    torch.testing.assert_close(cf.cross_entropy(x, t, weight=w), expected)
    torch.testing.assert_close(F.cross_entropy(x, t, weight=w), expected)


def test_label_smoothing_formula_with_weights_and_ignore():
    x = _randn(5, 4, seed=2, dtype=torch.float64)
    t = torch.tensor([1, 0, 3, 1, 2])
    w = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64)
    eps, c = 0.3, 4
    logp = torch.log_softmax(x, 1)
    keep = t != 3
    nll = -(logp[torch.arange(5), t] * w[t])[keep]
    smooth = -(logp * w).sum(1)[keep]
    expected = ((1 - eps) * nll.sum() + eps / c * smooth.sum()) / w[t][keep].sum()
    got = cf.cross_entropy(x, t, weight=w, ignore_index=3, label_smoothing=eps)
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(
        F.cross_entropy(x, t, weight=w, ignore_index=3, label_smoothing=eps), expected
    )


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_all_targets_ignored(label_smoothing, weighted):
    x = _randn(3, 5, seed=3, dtype=torch.float32).requires_grad_(True)
    t = torch.full((3,), -100)
    kw = {"label_smoothing": label_smoothing, "weight": torch.rand(5) if weighted else None}
    mean = cf.cross_entropy(x, t, **kw)
    assert torch.isnan(mean) and torch.isnan(F.cross_entropy(x, t, **kw))
    (grad,) = torch.autograd.grad(mean, x)
    assert torch.equal(grad, torch.zeros_like(grad))  # as in PyTorch: no gradient, not nan
    assert cf.cross_entropy(x, t, reduction="sum", **kw).item() == 0.0
    assert torch.equal(cf.cross_entropy(x, t, reduction="none", **kw), torch.zeros(3))
    assert torch.isnan(cf.nll_loss(x, t))


def test_probability_targets_mean_divides_by_samples_not_weights():
    x = _randn(2, 3, 2, seed=4, dtype=torch.float64)
    p = torch.softmax(_randn(2, 3, 2, seed=5, dtype=torch.float64), 1)
    w = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)
    per = -(torch.log_softmax(x, 1) * p * w.view(1, 3, 1)).sum(1)
    torch.testing.assert_close(cf.cross_entropy(x, p, weight=w), per.sum() / 4)
    torch.testing.assert_close(F.cross_entropy(x, p, weight=w), per.sum() / 4)


def test_probability_targets_promote_dtype_like_torch():
    x = _randn(3, 4, seed=6, dtype=torch.float32)
    p = torch.softmax(_randn(3, 4, seed=7, dtype=torch.float64), 1)
    got, ref = cf.cross_entropy(x, p), F.cross_entropy(x, p)
    assert got.dtype == ref.dtype == torch.float64
    torch.testing.assert_close(got, ref)


def test_one_hot_probabilities_equal_class_indices():
    x = _randn(4, 5, seed=8, dtype=torch.float64)
    t = torch.tensor([4, 0, 1, 1])
    onehot = F.one_hot(t, 5).double()
    for kw in [{}, {"label_smoothing": 0.25}, {"reduction": "none"}]:
        torch.testing.assert_close(cf.cross_entropy(x, onehot, **kw), cf.cross_entropy(x, t, **kw))


def test_uint8_class_indices_accepted_like_torch():
    x = _randn(4, 5, seed=9, dtype=torch.float32)
    t = torch.tensor([4, 0, 1, 1], dtype=torch.uint8)
    torch.testing.assert_close(cf.cross_entropy(x, t), F.cross_entropy(x, t))
    torch.testing.assert_close(cf.nll_loss(x, t), F.nll_loss(x, t))


def test_unbatched_shapes():
    x = _randn(5, seed=10, dtype=torch.float32)
    for t in [torch.tensor(3), torch.softmax(_randn(5, seed=11, dtype=torch.float32), 0)]:
        for reduction in ["none", "mean", "sum"]:
            got = cf.cross_entropy(x, t, reduction=reduction)
            ref = F.cross_entropy(x, t, reduction=reduction)
            assert got.shape == ref.shape == ()
            torch.testing.assert_close(got, ref)


# ------------------------------------------------------------------------------------------------
# The custom autograd Functions: gradcheck in float64, once-differentiable
# ------------------------------------------------------------------------------------------------

INDEX_OPTIONS = [
    {},
    {"reduction": "none"},
    {"reduction": "sum", "label_smoothing": 0.3},
    {"weight": True, "ignore_index": 1},
    {"weight": True, "label_smoothing": 0.2, "ignore_index": -100},
    {"weight": True, "label_smoothing": 1.0, "reduction": "none"},
]


@pytest.mark.parametrize("options", INDEX_OPTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2), (3,)])
def test_gradcheck_class_indices(options, shape):
    x = _randn(*shape, seed=12, dtype=torch.float64).requires_grad_(True)
    cdim = 0 if len(shape) == 1 else 1
    tshape = tuple(s for i, s in enumerate(shape) if i != cdim)
    t = torch.randint(0, 3, tshape, generator=torch.Generator().manual_seed(13))
    kw = dict(options)
    if len(shape) > 1:
        t.view(-1)[0] = kw.get("ignore_index", -100)  # one ignored target
    else:
        t = torch.tensor(2)  # never ignored (all-ignored is nan, see test_all_targets_ignored)
    if kw.pop("weight", False):
        kw["weight"] = torch.tensor([0.5, 2.0, 1.5], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda z: cf.cross_entropy(z, t, **kw), (x,))


@pytest.mark.parametrize(
    "options",
    [{}, {"reduction": "none"}, {"reduction": "sum", "label_smoothing": 0.4}, {"weight": True}],
)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2), (3,)])
def test_gradcheck_class_probabilities(options, shape):
    x = _randn(*shape, seed=14, dtype=torch.float64).requires_grad_(True)
    p = torch.rand(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(15))
    p.requires_grad_(True)
    inputs = [x, p]
    kw = dict(options)
    if kw.pop("weight", False):
        weight = torch.tensor([0.5, 2.0, 1.5], dtype=torch.float64, requires_grad=True)
        inputs.append(weight)

        def fn(z, q, w):
            return cf.cross_entropy(z, q, weight=w, label_smoothing=0.1, **kw)

    else:

        def fn(z, q):
            return cf.cross_entropy(z, q, **kw)

    assert torch.autograd.gradcheck(fn, tuple(inputs))


def test_backward_is_softmax_minus_target():
    x = _randn(4, 6, seed=16, dtype=torch.float64).requires_grad_(True)
    t = torch.tensor([0, 5, 2, 2])
    (grad,) = torch.autograd.grad(cf.cross_entropy(x, t), x)
    torch.testing.assert_close(grad, (torch.softmax(x, 1) - F.one_hot(t, 6)) / 4)
    assert type(cf.cross_entropy(x, t).grad_fn).__name__.startswith("_CrossEntropyIndex")


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"reduction": "none", "label_smoothing": 0.1},
        {"weight": torch.ones(4), "ignore_index": 0},
        {"reduction": "sum"},
    ],
)
@pytest.mark.parametrize("probs", [False, True])
def test_every_option_runs_through_the_custom_function(kw, probs):
    x = _randn(3, 4, 2, seed=24, dtype=torch.float32).requires_grad_(True)
    t = torch.softmax(x.detach(), 1) if probs else torch.tensor([[0, 1], [2, 3], [0, 0]])
    if probs:
        kw = {k: val for k, val in kw.items() if k != "ignore_index"}
    name = type(cf.cross_entropy(x, t, **kw).grad_fn).__name__
    assert name == ("_CrossEntropyProbBackward" if probs else "_CrossEntropyIndexBackward")


def test_double_backward_raises():
    x = _randn(3, 4, seed=17, dtype=torch.float64).requires_grad_(True)
    p = torch.softmax(x.detach(), 1)
    for target in [torch.tensor([0, 1, 2]), p]:
        loss = cf.cross_entropy(x, target)
        with pytest.raises(
            RuntimeError, match=r"double backward \(create_graph=True\) is not supp"
        ):
            torch.autograd.grad(loss, x, create_graph=True)


def test_backward_twice_with_retain_graph():
    x = _randn(3, 4, seed=18, dtype=torch.float32).requires_grad_(True)
    loss = cf.cross_entropy(x, torch.tensor([0, 1, 2]), label_smoothing=0.1)
    (g1,) = torch.autograd.grad(loss, x, retain_graph=True)
    (g2,) = torch.autograd.grad(loss, x)
    torch.testing.assert_close(g1, g2)


def test_weight_requires_grad_with_class_indices_raises_like_torch():
    x = _randn(3, 4, seed=19, dtype=torch.float32).requires_grad_(True)
    w = torch.ones(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="weight: cross_entropy with class-index targets"):
        cf.cross_entropy(x, torch.tensor([0, 1, 2]), weight=w)
    with torch.no_grad():  # fine without autograd
        torch.testing.assert_close(
            cf.cross_entropy(x, torch.tensor([0, 1, 2]), weight=w),
            F.cross_entropy(x, torch.tensor([0, 1, 2]), weight=w),
        )


# The common case (2-D logits, 1-D int64 targets, no weights or smoothing) skips the tensor
# checks; gather raises for a target out of range and the full checks then run.


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("seed_grad", [1.0, 0.0, -2.5])
def test_common_case_matches_torch(reduction, seed_grad):
    x = _randn(5, 7, seed=30, dtype=torch.float64).requires_grad_(True)
    t = torch.tensor([0, 6, 3, 3, 1])
    ours, ref = (
        cf.cross_entropy(x, t, reduction=reduction),
        F.cross_entropy(x, t, reduction=reduction),
    )
    torch.testing.assert_close(ours, ref)
    g = torch.full_like(ref, seed_grad)
    torch.testing.assert_close(
        torch.autograd.grad(ours, x, g)[0], torch.autograd.grad(ref, x, g)[0]
    )
    assert torch.autograd.gradcheck(lambda z: cf.cross_entropy(z, t, reduction=reduction), (x,))


@pytest.mark.parametrize("ignore_index", [-100, 7, 9])
def test_common_case_with_ignored_targets(ignore_index):
    x = _randn(4, 7, seed=31, dtype=torch.float32).requires_grad_(True)
    t = torch.tensor([2, ignore_index, 5, ignore_index])
    ours, ref = (f(x, t, ignore_index=ignore_index) for f in (cf.cross_entropy, F.cross_entropy))
    torch.testing.assert_close(ours, ref)
    torch.testing.assert_close(torch.autograd.grad(ours, x)[0], torch.autograd.grad(ref, x)[0])


@pytest.mark.parametrize("bad", [7, -1, 12])
def test_common_case_target_out_of_range_names_target(bad):
    x = _randn(4, 7, seed=32, dtype=torch.float32).requires_grad_(True)
    with pytest.raises(
        ValueError, match=rf"target: expected class indices in \[0, 7\).* got {bad} at position 2"
    ):
        cf.cross_entropy(x, torch.tensor([0, 1, bad, 3]))


def test_common_case_creates_no_tensor_for_checks():
    x = _randn(64, 10, seed=33, dtype=torch.float32).requires_grad_(True)
    t = torch.randint(0, 10, (64,), generator=torch.Generator().manual_seed(0))
    with torch.profiler.profile() as prof:
        cf.cross_entropy(x, t)
    names = {e.name for e in prof.events()}
    assert "aten::aminmax" not in names and "aten::_local_scalar_dense" not in names


def test_nll_loss_is_twice_differentiable():
    x = _randn(3, 4, seed=20, dtype=torch.float64).requires_grad_(True)
    t = torch.tensor([0, 3, -100])
    assert torch.autograd.gradgradcheck(lambda z: cf.nll_loss(cf.log_softmax(z, 1), t), (x,))


# ------------------------------------------------------------------------------------------------
# Extreme logits: stable versions are finite and equal PyTorch, naive versions overflow
# ------------------------------------------------------------------------------------------------


def _huge_logits() -> torch.Tensor:
    x = _randn(6, 5, seed=21, dtype=torch.float32, scale=1.0) * 1e4
    x[0] = torch.tensor([1e4, 1e4, -1e4, 0.0, 5e3])
    return x


@pytest.mark.parametrize(
    "kw",
    [{}, {"label_smoothing": 0.1, "weight": torch.rand(5) + 0.5}, {"reduction": "none"}],
)
def test_cross_entropy_stable_for_logits_1e4(kw):
    x = _huge_logits()
    t = torch.tensor([0, 1, 2, 3, 4, 0])
    loss, (grad,) = _loss_and_grads(cf.cross_entropy, x, t, kw)
    ref_loss, (ref_grad,) = _loss_and_grads(F.cross_entropy, x, t, kw)
    assert torch.isfinite(loss).all() and torch.isfinite(grad).all()
    torch.testing.assert_close(loss, ref_loss)
    torch.testing.assert_close(grad, ref_grad)


def test_probability_targets_stable_for_logits_1e4():
    x = _huge_logits()
    p = torch.softmax(_randn(6, 5, seed=22, dtype=torch.float32), 1)
    loss, grads = _loss_and_grads(cf.cross_entropy, x, p, {"label_smoothing": 0.2})
    ref_loss, ref_grads = _loss_and_grads(F.cross_entropy, x, p, {"label_smoothing": 0.2})
    assert torch.isfinite(loss) and all(torch.isfinite(g).all() for g in grads)
    torch.testing.assert_close(loss, ref_loss)
    for got, ref in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(got, ref)


def test_softmax_family_stable_for_logits_1e4():
    x = _huge_logits()
    torch.testing.assert_close(cf.softmax(x, 1), torch.softmax(x, 1))
    torch.testing.assert_close(cf.log_softmax(x, 1), torch.log_softmax(x, 1))
    torch.testing.assert_close(cf.logsumexp(x, 1), torch.logsumexp(x, 1))
    assert torch.isfinite(cf.log_softmax(x, 1)).all()


def test_naive_versions_overflow_for_logits_1e4():
    x = _huge_logits()
    t = torch.tensor([0, 1, 2, 3, 4, 0])
    assert torch.isnan(cf.naive_softmax(x, 1)).any()
    assert not torch.isfinite(cf.naive_cross_entropy(x, t))
    assert torch.isnan(cf.naive_cross_entropy(x[:1], t[:1]))  # exp(1e4) = inf, inf / inf = nan


def test_naive_versions_correct_for_small_logits():
    x = _randn(4, 5, seed=23, dtype=torch.float64)
    t = torch.tensor([0, 1, 4, 2])
    torch.testing.assert_close(cf.naive_softmax(x, 1), torch.softmax(x, 1))
    for reduction in ["none", "mean", "sum"]:
        torch.testing.assert_close(
            cf.naive_cross_entropy(x, t, reduction), F.cross_entropy(x, t, reduction=reduction)
        )


# ------------------------------------------------------------------------------------------------
# The module is written from basic operations
# ------------------------------------------------------------------------------------------------

FORBIDDEN = {
    "cross_entropy",
    "log_softmax",
    "nll_loss",
    "logsumexp",
    "softmax",
    "binary_cross_entropy",
}


def test_functional_does_not_call_torch_implementations():
    tree = ast.parse(inspect.getsource(cf))
    offenders = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            offenders.append(f"line {node.lineno}: .{node.attr}")
        if isinstance(node, ast.ImportFrom):
            if node.module and node.module.startswith("torch.nn"):
                offenders.append(f"line {node.lineno}: from {node.module} import ...")
            offenders += [
                f"line {node.lineno}: import {a.name}" for a in node.names if a.name in FORBIDDEN
            ]
        if isinstance(node, ast.Import):
            offenders += [
                f"line {node.lineno}: import {a.name}"
                for a in node.names
                if a.name.startswith("torch.nn")
            ]
    assert offenders == []
