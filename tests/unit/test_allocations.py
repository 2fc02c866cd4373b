"""cecode.allocations: exact counts of the tensors operations create."""

from __future__ import annotations

import pytest
import torch

from cecode.allocations import TensorCreationRecorder, largest_tensor_created


def test_new_buffers_counted_views_and_in_place_results_not():
    x = torch.randn(100, 10)
    with TensorCreationRecorder(min_buffer_bytes=x.nbytes) as recorder:
        y = x.exp()  # new (100, 10) buffer
        y.mul_(2)  # in place
        y.t()  # view
        y[:50].clone()  # new, but half the size: below the threshold
        x.sum()  # scalar
    assert recorder.new_buffer_count == 1
    assert recorder.largest_bytes == 100 * 10 * 4


def test_buffers_are_distinct_even_when_memory_is_freed_and_reused():
    x = torch.randn(1000)
    with TensorCreationRecorder(min_buffer_bytes=x.nbytes) as recorder:
        for _ in range(3):
            x.exp()  # each result is freed at once; its address could be reused
    assert recorder.new_buffer_count == 3


def test_without_min_buffer_bytes_only_the_largest_is_recorded():
    with TensorCreationRecorder() as recorder:
        torch.ones(8, 8, dtype=torch.float64) @ torch.ones(8, 8, dtype=torch.float64)
    assert recorder.new_buffer_count == 0
    assert recorder.largest_bytes == 8 * 8 * 8


def test_largest_tensor_created_sees_the_backward_pass():
    h = torch.randn(4, 32)
    w = torch.randn(32, 16, requires_grad=True)
    forward_only = largest_tensor_created(lambda: (h @ w).sum())
    with_backward = largest_tensor_created(lambda: (h @ w).sum().backward())
    assert forward_only == 4 * 16 * 4  # the (4, 16) product
    assert with_backward == 32 * 16 * 4  # the (32, 16) gradient of w


@pytest.mark.parametrize(
    ("bad", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("8", TypeError)]
)
def test_rejects_a_bad_threshold(bad, error):
    with pytest.raises(error, match="min_buffer_bytes: expected an int >= 0"):
        TensorCreationRecorder(min_buffer_bytes=bad)
