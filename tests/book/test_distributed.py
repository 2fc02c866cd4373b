"""cecode.distributed: the two-process gloo demo against single-process full-batch gradients."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from cecode import distributed as cd


@pytest.fixture(scope="module")
def demo():
    return cd.run_data_parallel_demo(world_size=2, timeout=120)


def test_global_mean_reproduces_the_full_batch(demo):
    assert demo["counts"] == [7, 2]
    assert len(demo["exit_codes"]) == 2
    assert demo["ranks_agree"]
    torch.testing.assert_close(demo["grad_global_mean"], demo["grad_full"])
    assert demo["loss_global_mean"] == pytest.approx(demo["loss_full"], rel=1e-12)


def test_ddp_default_mean_differs_from_the_full_batch(demo):
    assert (demo["grad_ddp_mean"] - demo["grad_full"]).abs().max() > 0.05
    assert abs(demo["loss_ddp_mean"] - demo["loss_full"]) > 0.01


def test_ddp_default_is_the_mean_of_per_rank_means(demo):
    # What DDP computes, written out in one process: average of the two per-rank mean gradients.
    data = cd.make_demo_data((7, 2))
    grads = []
    for rank in range(2):
        rows = slice(8 * rank, 8 * (rank + 1))
        w = data["weight"].clone().requires_grad_()
        F.cross_entropy(data["hidden"][rows] @ w.T, data["target"][rows]).backward()
        grads.append(w.grad)
    torch.testing.assert_close(demo["grad_ddp_mean"], (grads[0] + grads[1]) / 2)


def _children() -> set[int] | None:
    """Live child processes of this process (from /proc), except multiprocessing's resource
    tracker (a helper shared by the whole session); None where /proc cannot tell."""
    pid = os.getpid()
    kids: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids |= {int(k) for k in f.read().split()}
    except OSError:
        return None
    alive = set()
    for kid in kids:
        try:
            with open(f"/proc/{kid}/cmdline", "rb") as f:
                if b"resource_tracker" not in f.read():
                    alive.add(kid)
        except OSError:
            pass  # already gone
    return alive


def test_failing_worker_raises_in_parent_and_leaves_no_processes():
    before = _children()
    with pytest.raises(RuntimeError, match=r"rank 1 failed: .*rank 1 failed on purpose"):
        cd.run_data_parallel_demo(world_size=2, fail_rank=1, timeout=120)
    assert multiprocessing.active_children() == []
    after = _children()
    if before is not None and after is not None:
        assert after <= before


def _abort_at_exit(rank, world_size, value):
    """Saves its result, then aborts at interpreter exit, as gloo's teardown sometimes does."""
    atexit.register(os.abort)
    total = torch.tensor([float(value + rank)])
    dist.all_reduce(total)
    return {"rank": rank, "total": total}


def _abort_now(rank, world_size):
    if rank == 1:
        os.abort()  # dies before any result is saved
    return {"rank": rank}


def test_an_abort_after_complete_results_is_not_a_failure():
    results, exit_codes = cd.run_ranks(_abort_at_exit, 2, (10,), timeout=120)
    assert [r["rank"] for r in results] == [0, 1]
    assert [r["total"].item() for r in results] == [21.0, 21.0]
    assert all(code in (-signal.SIGABRT, None) for code in exit_codes), exit_codes
    assert multiprocessing.active_children() == []


def test_a_rank_that_dies_before_its_result_is_a_failure():
    with pytest.raises(RuntimeError, match=r"rank 1 died before its result was saved .*SIGABRT"):
        cd.run_ranks(_abort_now, 2, timeout=120, caller="test")
    assert multiprocessing.active_children() == []


def test_run_ranks_validation():
    with pytest.raises(TypeError, match="fn: expected a callable"):
        cd.run_ranks("f", 2)
    with pytest.raises(ValueError, match="world_size: expected an int >= 1, got 0"):
        cd.run_ranks(_abort_now, 0)
    with pytest.raises(ValueError, match="timeout: expected a float > 0"):
        cd.run_ranks(_abort_now, 2, timeout=0)


def test_make_demo_data_and_validation():
    data = cd.make_demo_data((3, 1), tokens_per_rank=4)
    assert data["hidden"].shape == (8, 4)
    assert (data["target"] != -100).tolist() == [True] * 3 + [False] + [True] + [False] * 3
    with pytest.raises(ValueError, match=r"counted_per_rank: expected counts in \[0, 4\], got 5"):
        cd.make_demo_data((5, 1), tokens_per_rank=4)
    with pytest.raises(ValueError, match="world_size: expected an int >= 1, got 0"):
        cd.run_data_parallel_demo(world_size=0)
    with pytest.raises(ValueError, match="counted_per_rank: expected 2 counts"):
        cd.run_data_parallel_demo(world_size=2, counted_per_rank=(1, 2, 3))
    with pytest.raises(TypeError, match="world_size: expected an int"):
        cd.run_data_parallel_demo(world_size="2")
    with pytest.raises(TypeError, match="counted_per_rank: expected a tuple"):
        cd.make_demo_data(7)


def test_find_free_port_is_bindable_on_loopback():
    import socket

    port = cd.find_free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
