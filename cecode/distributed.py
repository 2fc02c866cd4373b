r"""Data parallelism and the mean of a cross-entropy: a two-process demo on the CPU (gloo).

In data-parallel training every process ("rank") holds a copy of the model and its own share of
the batch. :class:`torch.nn.parallel.DistributedDataParallel` (DDP, Li et al., 2020) averages the
gradients over the ranks after ``backward``: with the default ``reduction="mean"`` each rank
computes

.. math::
    g_r = \frac{1}{n_r} \sum_{i \in r} \nabla \ell_i
    \quad\text{and DDP uses}\quad
    \frac{1}{R} \sum_r g_r,

where :math:`n_r` is the number of counted (not ignored) tokens on rank :math:`r`. The gradient
of the mean over the whole batch is :math:`\frac{1}{\sum_r n_r} \sum_r \sum_{i \in r} \nabla
\ell_i`. The two agree only when every rank counts the same number of tokens. The fix: add up the
counts of all ranks first (one ``all_reduce`` of a single number), then let each rank use the loss

.. math::
    \tilde L_r = \frac{R}{\sum_{r'} n_{r'}} \sum_{i \in r} \ell_i ,

whose DDP average is exactly the full-batch mean.

:func:`run_data_parallel_demo` starts ``world_size`` processes with
:func:`torch.multiprocessing.start_processes` (``spawn``), connects them with the ``gloo``
backend over the loopback address 127.0.0.1 on a free port, runs both variants with a real DDP
model, and returns their losses and gradients next to the single-process full-batch reference.
The worker function lives in this module so that ``spawn`` can import it. Every process is
stopped when the demo ends, also when a worker fails or the demo times out.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as tmp
import torch.nn.functional as F
from torch import Tensor, nn

from cecode import _validate as v

__all__ = ["find_free_port", "full_batch_reference", "make_demo_data", "run_data_parallel_demo"]

LOOPBACK = "127.0.0.1"


def find_free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the operating system picks it).

    Returns
    -------
    int
        The port number.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def make_demo_data(
    counted_per_rank: tuple[int, ...] = (7, 2),
    tokens_per_rank: int = 8,
    hidden_size: int = 4,
    vocab_size: int = 6,
    seed: int = 0,
) -> dict[str, Tensor]:
    """A small batch split evenly into ranks whose numbers of counted tokens differ.

    Parameters
    ----------
    counted_per_rank : tuple of int, optional
        How many of each rank's tokens count, default ``(7, 2)``; the others have target
        ``-100`` (padding).
    tokens_per_rank : int, default 8
        Tokens per rank (every rank gets the same number of rows, as with a padded batch).
    hidden_size, vocab_size : int
        ``D`` and ``V`` of the linear model ``logits = hidden @ weight.T``.
    seed : int, default 0
        Seed of the random hidden states, targets and initial weight.

    Returns
    -------
    dict
        ``hidden (R * tokens_per_rank, D)``, ``target (R * tokens_per_rank,)`` and
        ``weight (V, D)``; rank ``r`` gets rows ``r * tokens_per_rank`` to ``(r + 1) * tokens_per_rank``.

    Raises
    ------
    ValueError
        If a count is not in ``[0, tokens_per_rank]``.
    """
    for c in counted_per_rank:
        v.check_int("counted_per_rank", c)
        if not 0 <= c <= tokens_per_rank:
            raise ValueError(
                f"counted_per_rank: expected counts in [0, {tokens_per_rank}], got {c}"
            )
    g = torch.Generator().manual_seed(seed)
    n = len(counted_per_rank) * tokens_per_rank
    hidden = torch.randn(n, hidden_size, generator=g, dtype=torch.float64)
    target = torch.randint(vocab_size, (n,), generator=g)
    for r, c in enumerate(counted_per_rank):
        target[r * tokens_per_rank + c : (r + 1) * tokens_per_rank] = -100
    weight = torch.randn(vocab_size, hidden_size, generator=g, dtype=torch.float64)
    return {"hidden": hidden, "target": target, "weight": weight}


def full_batch_reference(data: dict[str, Tensor]) -> tuple[float, Tensor]:
    """Loss and weight gradient of the mean cross-entropy over the whole batch, in one process.

    Parameters
    ----------
    data : dict
        From :func:`make_demo_data`.

    Returns
    -------
    tuple
        The loss (float) and the gradient with respect to ``data["weight"]``, ``(V, D)``.
    """
    weight = data["weight"].clone().requires_grad_()
    loss = F.cross_entropy(data["hidden"] @ weight.T, data["target"])
    loss.backward()
    return float(loss.detach()), weight.grad


def _worker(
    rank: int,
    world_size: int,
    port: int,
    data: dict[str, Tensor],
    out_dir: str,
    fail_rank: int,
    timeout: float,
) -> None:
    """One rank of the demo (runs in a spawned process); saves its results to ``out_dir``."""
    os.environ["MASTER_ADDR"] = LOOPBACK
    os.environ["MASTER_PORT"] = str(port)
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # stay on the loopback interface
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://{LOOPBACK}:{port}",
        rank=rank,
        world_size=world_size,
        timeout=timedelta(seconds=timeout),
    )
    try:
        if rank == fail_rank:
            raise RuntimeError(f"rank {rank} failed on purpose (fail_rank={fail_rank})")
        n = data["hidden"].shape[0] // world_size
        hidden = data["hidden"][rank * n : (rank + 1) * n]
        target = data["target"][rank * n : (rank + 1) * n]
        results: dict[str, object] = {"count": int((target != -100).sum())}

        for variant in ("ddp_mean", "global_mean"):
            model = nn.Linear(hidden.shape[1], data["weight"].shape[0], bias=False).double()
            with torch.no_grad():
                model.weight.copy_(data["weight"])
            ddp = nn.parallel.DistributedDataParallel(model)
            logits = ddp(hidden)
            if variant == "ddp_mean":
                # What every tutorial does: the local mean; DDP then averages over ranks.
                loss = F.cross_entropy(logits, target)
                reported = loss.detach().clone()
                dist.all_reduce(reported)
                reported /= world_size
            else:
                # The fix: all ranks agree on the global count first.
                count = (target != -100).sum().to(torch.float64)
                dist.all_reduce(count)
                local_sum = F.cross_entropy(logits, target, reduction="sum")
                loss = local_sum * world_size / count  # DDP's average turns this into sum / count
                reported = local_sum.detach().clone()
                dist.all_reduce(reported)
                reported /= count
            loss.backward()  # DDP all-reduces and averages the gradients here
            results[f"loss_{variant}"] = float(reported)
            results[f"grad_{variant}"] = model.weight.grad.detach().clone()
        torch.save(results, Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def _stop(processes: list) -> None:
    """Terminate, then kill, every process still alive, and reap them all."""
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join(5)


def run_data_parallel_demo(
    world_size: int = 2,
    *,
    counted_per_rank: tuple[int, ...] | None = None,
    seed: int = 0,
    timeout: float = 60.0,
    fail_rank: int | None = None,
) -> dict[str, object]:
    """Run the per-rank-mean (DDP default) and global-mean variants in ``world_size`` processes.

    Parameters
    ----------
    world_size : int, default 2
        Number of processes (ranks), each on the CPU with the ``gloo`` backend.
    counted_per_rank : tuple of int, optional
        Counted tokens on each rank (out of 8); default ``(7, 2)`` for two ranks, else
        ``(8, 7, ..., )`` decreasing.
    seed : int, default 0
        Seed of the data (:func:`make_demo_data`).
    timeout : float, default 60.0
        Seconds after which the demo stops its processes and raises :class:`TimeoutError`
        (also the timeout of the collectives).
    fail_rank : int, optional
        For testing: this rank raises an error right after connecting.

    Returns
    -------
    dict
        ``counts`` (list of int, counted tokens per rank); ``loss_full``, ``loss_ddp_mean``,
        ``loss_global_mean`` (float); ``grad_full``, ``grad_ddp_mean``, ``grad_global_mean``
        (the weight gradient, rank 0's copy after DDP's averaging, ``(V, D)`` float64); and
        ``ranks_agree`` (bool: every rank ended with the same gradients).

    Raises
    ------
    RuntimeError
        If a worker fails; the message names the rank and its error. No process is left running.
    TimeoutError
        If the demo does not finish within ``timeout`` seconds.
    """
    v.check_int("world_size", world_size)
    if world_size < 1:
        raise ValueError(f"world_size: expected an int >= 1, got {world_size}")
    if counted_per_rank is None:
        counted_per_rank = (
            (7, 2) if world_size == 2 else tuple(8 - r % 8 for r in range(world_size))
        )
    if len(counted_per_rank) != world_size:
        raise ValueError(
            f"counted_per_rank: expected {world_size} counts (one per rank), "
            f"got {len(counted_per_rank)}"
        )
    data = make_demo_data(tuple(counted_per_rank), seed=seed)
    out_dir = tempfile.mkdtemp(prefix="cecode-ddp-")
    port = find_free_port()
    context = None
    try:
        context = tmp.start_processes(
            _worker,
            args=(world_size, port, data, out_dir, -1 if fail_rank is None else fail_rank, timeout),
            nprocs=world_size,
            join=False,
            start_method="spawn",
        )
        deadline = time.monotonic() + timeout
        while not context.join(timeout=0.2):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"run_data_parallel_demo: the {world_size} processes did not finish "
                    f"within {timeout} s"
                )
        results = [torch.load(Path(out_dir) / f"rank{r}.pt") for r in range(world_size)]
    except tmp.ProcessRaisedException as err:
        first = str(err).strip().splitlines()
        raise RuntimeError(
            f"run_data_parallel_demo: rank {err.error_index} failed: "
            f"{first[-1] if first else 'no message'}"
        ) from err
    except tmp.ProcessExitedException as err:
        raise RuntimeError(f"run_data_parallel_demo: rank {err.error_index} died: {err}") from err
    finally:
        if context is not None:
            _stop(context.processes)
        shutil.rmtree(out_dir, ignore_errors=True)

    loss_full, grad_full = full_batch_reference(data)
    names = ("grad_ddp_mean", "grad_global_mean")
    agree = all(torch.equal(res[n], results[0][n]) for res in results for n in names)
    return {
        "counts": [int(res["count"]) for res in results],
        "loss_full": loss_full,
        "loss_ddp_mean": float(results[0]["loss_ddp_mean"]),
        "loss_global_mean": float(results[0]["loss_global_mean"]),
        "grad_full": grad_full,
        "grad_ddp_mean": results[0]["grad_ddp_mean"],
        "grad_global_mean": results[0]["grad_global_mean"],
        "ranks_agree": agree,
    }
