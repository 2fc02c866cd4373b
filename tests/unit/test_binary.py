"""cecode.binary against PyTorch and torchvision: values, gradients, gradcheck, bad input."""

from __future__ import annotations

import re
import warnings

import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss as tv_focal

from cecode import binary as cb

REDUCTIONS = ["mean", "sum", "none"]


def _data(shape=(5, 3), dtype=torch.float64, seed=0, hard=False):
    g = torch.Generator().manual_seed(seed)
    z = (3 * torch.randn(shape, generator=g, dtype=torch.float64)).to(dtype)
    t = torch.rand(shape, generator=g, dtype=torch.float64)
    t = (t > 0.5).double() if hard else t
    return z.requires_grad_(), t.to(dtype)


def _same(ours, theirs, z):
    torch.testing.assert_close(ours, theirs)
    g1 = torch.autograd.grad(ours.sum(), z, retain_graph=True)[0]
    g2 = torch.autograd.grad(theirs.sum(), z, retain_graph=True)[0]
    torch.testing.assert_close(g1, g2)


BCE_OPTIONS = {
    "plain": lambda s: {},
    "weight per label": lambda s: {"weight": torch.rand(s[-1], dtype=torch.float64)},
    "weight per element": lambda s: {"weight": torch.rand(s, dtype=torch.float64)},
    "weight per sample": lambda s: {"weight": torch.rand(s[0], 1, dtype=torch.float64)},
    "pos_weight per label": lambda s: {
        "pos_weight": 1 + 5 * torch.rand(s[-1], dtype=torch.float64)
    },
    "scalar pos_weight": lambda s: {"pos_weight": torch.tensor([9.0], dtype=torch.float64)},
    "both": lambda s: {
        "weight": torch.rand(s[0], 1, dtype=torch.float64),
        "pos_weight": torch.rand(s[-1], dtype=torch.float64),
    },
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("option", list(BCE_OPTIONS))
@pytest.mark.parametrize("hard", [False, True])
def test_bce_matches_pytorch(reduction, option, hard):
    z, t = _data(hard=hard)
    kw = BCE_OPTIONS[option](tuple(z.shape))
    ours = cb.binary_cross_entropy_with_logits(z, t, reduction=reduction, **kw)
    theirs = F.binary_cross_entropy_with_logits(z, t, reduction=reduction, **kw)
    _same(ours, theirs, z)


@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bce_shapes_and_dtypes(shape, dtype):
    z, t = _data(shape, dtype=dtype, seed=1)
    pw = torch.full(shape[-1:], 3.0, dtype=dtype)
    ours = cb.binary_cross_entropy_with_logits(z, t, pos_weight=pw, reduction="none")
    theirs = F.binary_cross_entropy_with_logits(z, t, pos_weight=pw, reduction="none")
    assert ours.dtype == theirs.dtype == dtype
    _same(ours, theirs, z)


def test_bce_float32_input_float64_target_promotes_like_pytorch():
    z, t = _data(dtype=torch.float32, seed=2)
    ours = cb.binary_cross_entropy_with_logits(z, t.double())
    theirs = F.binary_cross_entropy_with_logits(z, t.double())
    assert ours.dtype == theirs.dtype
    _same(ours, theirs, z)


def test_bce_extreme_logits_are_finite_and_exact():
    z = torch.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    t = torch.tensor([1.0, 1.0, 0.5, 0.0, 0.0])
    ours = cb.binary_cross_entropy_with_logits(z, t, reduction="none")
    _same(ours, F.binary_cross_entropy_with_logits(z, t, reduction="none"), z)
    torch.testing.assert_close(ours[[0, -1]], torch.tensor([1000.0, 1000.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_gradcheck(reduction):
    z, t = _data(seed=3)
    w, pw = torch.rand(5, 1, dtype=torch.float64), 1 + torch.rand(3, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: cb.binary_cross_entropy_with_logits(x, t, w, reduction=reduction, pos_weight=pw),
        (z,),
    )


def test_pos_weight_equals_repeating_positives():
    z, t = _data((8,), seed=4, hard=True)
    k = 4
    weighted = cb.binary_cross_entropy_with_logits(
        z, t, reduction="sum", pos_weight=torch.tensor([float(k)], dtype=torch.float64)
    )
    reps = torch.where(t == 1, k, 1).long()
    repeated = cb.binary_cross_entropy_with_logits(
        z.repeat_interleave(reps), t.repeat_interleave(reps), reduction="sum"
    )
    _same(weighted, repeated, z)


@pytest.mark.parametrize(
    ("size_average", "reduce", "reduction"),
    [(None, False, "none"), (False, None, "sum"), (True, True, "mean"), (False, False, "none")],
)
def test_legacy_arguments_map_like_pytorch(size_average, reduce, reduction):
    z, t = _data(seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = cb.binary_cross_entropy_with_logits(z, t, size_average=size_average, reduce=reduce)
        theirs = F.binary_cross_entropy_with_logits(z, t, size_average=size_average, reduce=reduce)
    _same(ours, theirs, z)
    _same(ours, F.binary_cross_entropy_with_logits(z, t, reduction=reduction), z)
    with pytest.warns(UserWarning, match="deprecated"):
        cb.binary_cross_entropy_with_logits(z, t, size_average=size_average, reduce=reduce)


FOCAL_PARAMS = [(0.25, 2.0), (-1, 2.0), (0.5, 0.0), (0.9, 1.5), (0.0, 3.0), (1.0, 0.5), (-1, 0)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("alpha", "gamma"), FOCAL_PARAMS)
@pytest.mark.parametrize("hard", [False, True])
def test_focal_matches_torchvision(reduction, alpha, gamma, hard):
    z, t = _data(seed=6, hard=hard)
    ours = cb.sigmoid_focal_loss(z, t, alpha, gamma, reduction)
    _same(ours, tv_focal(z, t, alpha, gamma, reduction), z)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_focal_defaults_and_dtypes(dtype):
    z, t = _data((4, 2, 3), dtype=dtype, seed=7, hard=True)
    ours = cb.sigmoid_focal_loss(z, t)
    assert ours.shape == z.shape and ours.dtype == dtype
    _same(ours, tv_focal(z, t), z)


def test_focal_with_gamma_zero_and_no_alpha_is_bce():
    z, t = _data(seed=8)
    _same(
        cb.sigmoid_focal_loss(z, t, alpha=-1, gamma=0, reduction="mean"),
        F.binary_cross_entropy_with_logits(z, t),
        z,
    )


@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (-1, 1.5), (0.6, 3.0)])
def test_focal_gradcheck(alpha, gamma):
    z, t = _data(seed=9)
    assert torch.autograd.gradcheck(
        lambda x: cb.sigmoid_focal_loss(x, t, alpha, gamma, "sum"), (z,)
    )


def _raises(exc, *words):
    return pytest.raises(exc, match=".*".join(re.escape(w) for w in words))


Z, T = torch.zeros(4, 3), torch.ones(4, 3)


@pytest.mark.parametrize(
    ("call", "exc", "words"),
    [
        (lambda: cb.binary_cross_entropy_with_logits(Z, T[:, 0]), ValueError, ["target:", "(4,)"]),
        (lambda: cb.binary_cross_entropy_with_logits(Z, T.long()), TypeError, ["target:", "int64"]),
        (lambda: cb.binary_cross_entropy_with_logits(Z.long(), T), TypeError, ["input:", "int64"]),
        (lambda: cb.binary_cross_entropy_with_logits([0.0], T), TypeError, ["input:", "list"]),
        (
            lambda: cb.binary_cross_entropy_with_logits(Z, T, pos_weight=torch.ones(5)),
            ValueError,
            ["pos_weight:", "(4, 3)", "(5,)"],
        ),
        (
            lambda: cb.binary_cross_entropy_with_logits(Z, T, pos_weight=torch.ones(2, 1, 1)),
            ValueError,
            ["pos_weight:", "(2, 1, 1)"],
        ),
        (
            lambda: cb.binary_cross_entropy_with_logits(Z, T, weight=torch.ones(4)),
            ValueError,
            ["weight:", "(4,)"],
        ),
        (
            lambda: cb.binary_cross_entropy_with_logits(Z, T, pos_weight=torch.ones(3).long()),
            TypeError,
            ["pos_weight:", "int64"],
        ),
        (
            lambda: cb.binary_cross_entropy_with_logits(Z, T, reduction="avg"),
            ValueError,
            ["reduction:", "'avg'"],
        ),
        (
            lambda: cb.binary_cross_entropy_with_logits(Z, T, reduce="no"),
            TypeError,
            ["reduce:", "str"],
        ),
        (lambda: cb.sigmoid_focal_loss(Z, T, gamma=-0.5), ValueError, ["gamma:", "-0.5"]),
        (lambda: cb.sigmoid_focal_loss(Z, T, gamma="2"), TypeError, ["gamma:", "str"]),
        (lambda: cb.sigmoid_focal_loss(Z, T, alpha=1.5), ValueError, ["alpha:", "-1", "1.5"]),
        (lambda: cb.sigmoid_focal_loss(Z, T, alpha=-0.5), ValueError, ["alpha:", "-0.5"]),
        (lambda: cb.sigmoid_focal_loss(Z, T, alpha=None), TypeError, ["alpha:", "NoneType"]),
        (lambda: cb.sigmoid_focal_loss(Z, T[:1]), ValueError, ["targets:", "(1, 3)"]),
        (lambda: cb.sigmoid_focal_loss(Z, T.bool()), TypeError, ["targets:", "bool"]),
        (lambda: cb.sigmoid_focal_loss(Z, T, reduction="mea"), ValueError, ["reduction:"]),
    ],
)
def test_bad_input(call, exc, words):
    with _raises(exc, *words):
        call()


def test_messages_never_say_must_be():
    for call in (
        lambda: cb.binary_cross_entropy_with_logits(Z, T[:, 0]),
        lambda: cb.sigmoid_focal_loss(Z, T, alpha=2.0),
    ):
        with pytest.raises(ValueError) as info:
            call()
        assert "must be" not in str(info.value)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_agrees_up_to_rounding(dtype):
    z, t = _data(dtype=dtype, seed=10)
    pw = torch.tensor([1.0, 2.0, 5.0], dtype=dtype)
    ours = cb.binary_cross_entropy_with_logits(z, t, pos_weight=pw, reduction="none")
    theirs = F.binary_cross_entropy_with_logits(z, t, pos_weight=pw, reduction="none")
    assert ours.dtype == theirs.dtype == dtype
    tol = {"rtol": 1e-2, "atol": 1e-2}  # PyTorch's fused backward rounds differently
    torch.testing.assert_close(ours, theirs, **tol)
    g1, g2 = (torch.autograd.grad(x.sum(), z, retain_graph=True)[0] for x in (ours, theirs))
    torch.testing.assert_close(g1, g2, **tol)
    torch.testing.assert_close(cb.sigmoid_focal_loss(z, t), tv_focal(z, t), **tol)
