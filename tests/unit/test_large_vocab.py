"""cecode.large_vocab: chunked linear cross-entropy against ``F.cross_entropy(h @ W.T, y)``."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cecode import large_vocab as cs
from cecode.allocations import largest_tensor_created


def make_case(n=37, d=8, v=50, dtype=torch.float64, ignored_every=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(n, d, dtype=dtype, generator=g, requires_grad=True)
    weight = torch.randn(v, d, dtype=dtype, generator=g, requires_grad=True)
    target = torch.randint(v, (n,), generator=g)
    if ignored_every:
        target[::ignored_every] = -100
    return hidden, weight, target


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("chunk_size", [1, 6, 37, 100, None])
def test_values_and_gradients_match_pytorch(dtype, reduction, chunk_size):
    hidden, weight, target = make_case(dtype=dtype)
    g = torch.Generator().manual_seed(1)
    upstream = (
        torch.randn(37, dtype=dtype, generator=g)
        if reduction == "none"
        else torch.tensor(2.5, dtype=dtype)
    )
    expected = F.cross_entropy(hidden @ weight.T, target, reduction=reduction)
    expected_grads = torch.autograd.grad(expected, (hidden, weight), upstream)
    got = cs.chunked_linear_cross_entropy(
        hidden, weight, target, reduction=reduction, chunk_size=chunk_size
    )
    got_grads = torch.autograd.grad(got, (hidden, weight), upstream)
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(got_grads, expected_grads)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_plain_backward_accumulates_like_pytorch(reduction):
    hidden, weight, target = make_case(dtype=torch.float32)
    F.cross_entropy(hidden @ weight.T, target, reduction=reduction).backward()
    expected = (hidden.grad.clone(), weight.grad.clone())
    hidden.grad = weight.grad = None
    cs.chunked_linear_cross_entropy(
        hidden, weight, target, reduction=reduction, chunk_size=4
    ).backward()
    torch.testing.assert_close((hidden.grad, weight.grad), expected)
    # A second backward into existing .grad adds, as usual.
    cs.chunked_linear_cross_entropy(
        hidden, weight, target, reduction=reduction, chunk_size=4
    ).backward()
    torch.testing.assert_close((hidden.grad, weight.grad), (2 * expected[0], 2 * expected[1]))


def test_other_ignore_index_and_large_logits():
    hidden, weight, target = make_case(dtype=torch.float32, ignored_every=0)
    target[::3] = 7  # ignore the class 7
    big = (100 * weight).detach().requires_grad_()  # logits in the thousands: needs stable lse
    expected = F.cross_entropy(hidden @ big.T, target, ignore_index=7)
    got = cs.chunked_linear_cross_entropy(hidden, big, target, ignore_index=7, chunk_size=5)
    assert torch.isfinite(got)
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(
        torch.autograd.grad(got, (hidden, big)), torch.autograd.grad(expected, (hidden, big))
    )


def test_all_ignored_matches_pytorch():
    hidden, weight, target = make_case(dtype=torch.float64, ignored_every=1)
    got = cs.chunked_linear_cross_entropy(hidden, weight, target, chunk_size=8)
    assert torch.isnan(got)  # 0 / 0, like PyTorch
    assert torch.isnan(F.cross_entropy(hidden @ weight.T, target))
    grads = torch.autograd.grad(got, (hidden, weight))
    assert all(bool((g == 0).all()) for g in grads)
    total = cs.chunked_linear_cross_entropy(hidden, weight, target, reduction="sum")
    assert float(total.detach()) == 0.0


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_float64(reduction):
    hidden, weight, _ = make_case(n=5, d=3, v=7)
    target = torch.tensor([1, 2, -100, 6, 0])
    assert torch.autograd.gradcheck(
        lambda h, w: cs.chunked_linear_cross_entropy(
            h, w, target, reduction=reduction, chunk_size=2
        ),
        (hidden, weight),
    )


def test_only_one_input_requires_grad_and_no_grad_mode():
    hidden, weight, target = make_case(dtype=torch.float64)
    frozen = weight.detach()
    expected = torch.autograd.grad(F.cross_entropy(hidden @ frozen.T, target), hidden)
    got = torch.autograd.grad(cs.chunked_linear_cross_entropy(hidden, frozen, target), hidden)
    torch.testing.assert_close(got, expected)
    with torch.no_grad():
        loss = cs.chunked_linear_cross_entropy(hidden, weight, target, chunk_size=4)
    assert not loss.requires_grad
    torch.testing.assert_close(loss, F.cross_entropy(hidden @ weight.T, target).detach())


def test_never_materializes_the_logits():
    g = torch.Generator().manual_seed(0)
    n, d, v = 256, 16, 4096
    hidden = torch.randn(n, d, generator=g, requires_grad=True)
    weight = torch.randn(v, d, generator=g, requires_grad=True)
    target = torch.randint(v, (n,), generator=g)
    logits = cs.logits_bytes(n, v)
    assert logits == n * v * 4
    naive = largest_tensor_created(
        lambda: cs.naive_linear_cross_entropy(hidden, weight, target).backward()
    )
    chunked = largest_tensor_created(
        lambda: cs.chunked_linear_cross_entropy(hidden, weight, target, chunk_size=16).backward()
    )
    assert naive == logits
    # The largest tensors are now the (16, V) block and the (V, D) weight gradient.
    assert chunked == max(16 * v * 4, v * d * 4)


def test_default_chunk_size():
    assert cs.default_chunk_size(4096, 131072) == 256
    assert cs.default_chunk_size(10, 50) == 10
    assert cs.default_chunk_size(10, 2**30) == 1
    assert cs.default_chunk_size(4096, 32768) == 1024


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"hidden": [1.0]}, TypeError, "hidden: expected a torch.Tensor, got list"),
        ({"hidden": torch.ones(4, 8, dtype=torch.int64)}, TypeError, "hidden: expected a floating"),
        (
            {"hidden": torch.ones(4, 2, 8)},
            ValueError,
            r"hidden: expected a 2-D tensor of shape \(N, D\)",
        ),
        ({"weight": torch.ones(50, 3)}, ValueError, r"weight: expected shape \(V, 8\)"),
        (
            {"weight": torch.ones(50)},
            ValueError,
            r"weight: expected a 2-D tensor of shape \(V, D\)",
        ),
        (
            {"weight": torch.ones(50, 8, dtype=torch.float64)},
            TypeError,
            "weight: expected dtype torch.float32",
        ),
        (
            {"target": torch.zeros(3, dtype=torch.int64)},
            ValueError,
            r"target: expected class indices of shape \(4,\)",
        ),
        (
            {"target": torch.zeros(4)},
            TypeError,
            "target: expected class indices of dtype torch.int64",
        ),
        (
            {"target": torch.tensor([0, 1, 50, 2])},
            ValueError,
            r"target: expected class indices in \[0, 50\)",
        ),
        (
            {"reduction": "avg"},
            ValueError,
            "reduction: expected one of 'none', 'mean', 'sum', got 'avg'",
        ),
        ({"chunk_size": 0}, ValueError, "chunk_size: expected an int >= 1, got 0"),
        ({"chunk_size": 2.0}, TypeError, "chunk_size: expected an int >= 1, got float"),
        ({"ignore_index": None}, TypeError, "ignore_index: expected an int, got NoneType"),
    ],
)
def test_input_validation(kwargs, error, match):
    args = {
        "hidden": torch.ones(4, 8),
        "weight": torch.ones(50, 8),
        "target": torch.zeros(4, dtype=torch.int64),
    }
    args.update(kwargs)
    hidden, weight, target = args.pop("hidden"), args.pop("weight"), args.pop("target")
    with pytest.raises(error, match=match):
        cs.chunked_linear_cross_entropy(hidden, weight, target, **args)
