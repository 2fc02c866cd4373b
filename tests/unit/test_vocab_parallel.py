"""cecode.distributed's vocabulary-parallel loss in one process: checks, a 1-rank group, bytes.

The multi-process tests (2 and 3 ranks, unequal slices, inconsistent inputs) are in
tests/book/test_vocab_parallel_processes.py.
"""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from cecode import distributed as cd


def test_no_initialised_process_group_is_a_clear_error():
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="init_process_group"):
        cd.vocab_parallel_cross_entropy(torch.randn(4, 3), torch.tensor([0, 1, 2, 1]))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "name"),
    [
        (([[1.0]], torch.tensor([0])), {}, TypeError, "local_logits"),
        (
            (torch.zeros(2, 3, dtype=torch.long), torch.tensor([0, 1])),
            {},
            TypeError,
            "local_logits",
        ),
        ((torch.randn(3), torch.tensor([0, 1, 2])), {}, ValueError, "local_logits"),
        ((torch.randn(2, 0), torch.tensor([0, 1])), {}, ValueError, "local_logits"),
        ((torch.randn(2, 3), torch.tensor([0.0, 1.0])), {}, TypeError, "target"),
        ((torch.randn(2, 3), torch.tensor([0, 1, 2])), {}, ValueError, "target"),
        ((torch.randn(2, 3), torch.tensor([0, 1])), {"reduction": "avg"}, ValueError, "reduction"),
        (
            (torch.randn(2, 3), torch.tensor([0, 1])),
            {"ignore_index": 1.5},
            TypeError,
            "ignore_index",
        ),
        ((torch.randn(2, 3), torch.tensor([0, 1])), {"group": "world"}, TypeError, "group"),
    ],
)
def test_argument_checks_come_before_any_communication(args, kwargs, error, name):
    with pytest.raises(error, match=name):
        cd.vocab_parallel_cross_entropy(*args, **kwargs)


@pytest.fixture
def one_rank_group():
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{cd.find_free_port()}", rank=0, world_size=1
    )
    yield
    dist.destroy_process_group()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_one_rank_equals_cross_entropy_with_gradcheck(one_rank_group, reduction):
    logits = torch.randn(5, 7, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([0, 6, -100, 3, 3])
    ours = cd.vocab_parallel_cross_entropy(logits, target, reduction=reduction)
    theirs = F.cross_entropy(logits, target, reduction=reduction)
    torch.testing.assert_close(ours, theirs)
    weights = torch.rand(ours.shape, dtype=torch.float64)
    torch.testing.assert_close(
        torch.autograd.grad((ours * weights).sum(), logits),
        torch.autograd.grad((theirs * weights).sum(), logits),
    )
    assert torch.autograd.gradcheck(
        lambda z: cd.vocab_parallel_cross_entropy(z, target, reduction=reduction), (logits,)
    )
    with pytest.raises(ValueError, match=r"target: expected class indices in \[0, 7\)"):
        cd.vocab_parallel_cross_entropy(logits, torch.tensor([0, 1, 2, 3, 7]))


def test_bytes_and_chunk_widths():
    sent = cd.vocab_parallel_bytes(8192, 32_000, 8)
    assert sent["all_reduces"] == 3 * 2 * 7 * 8192 * 4 // 8
    assert sent["layout"] == 7 * 5 * 8
    assert sent["gather_logits"] == 7 * 8192 * 4_000 * 2
    fp32 = cd.vocab_parallel_bytes(8192, 32_000, 8, torch.float32)
    assert fp32["gather_logits"] == 2 * sent["gather_logits"]
    assert cd.vocab_parallel_bytes(10, 10, 1)["all_reduces"] == 0
    assert cd.chunk_widths(10, 3) == [4, 4, 2]
    assert cd.chunk_widths(10, 4) == [3, 3, 3, 1]
    assert cd.chunk_widths(2, 3) == [1, 1, 0]
    assert cd.chunk_widths(10, 3) == [len(c) for c in torch.arange(10).chunk(3)]
    with pytest.raises(TypeError, match="logits_dtype"):
        cd.vocab_parallel_bytes(1, 1, 1, torch.int64)
