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

:func:`run_ranks` starts ``world_size`` processes with
:func:`torch.multiprocessing.start_processes` (``spawn``), connects them with the ``gloo``
backend over the loopback address 127.0.0.1 on a free port, runs a function in each and
collects every rank's result. Each rank saves its result *before* it tears the process group
down, and a rank that dies after that is not a failure: some PyTorch releases (2.13, 2.15)
sometimes abort in gloo's teardown ("terminate called without an active exception") after all
the work is done. Every process is stopped when the run ends, also when a rank fails or the run
times out. :func:`run_data_parallel_demo` uses it to run both variants with a real DDP model
and returns their losses and gradients next to the single-process full-batch reference. The
functions the ranks run live in this module so that ``spawn`` can import them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as tmp
import torch.nn.functional as F
from torch import Tensor, nn

from cecode import _validate as v

__all__ = [
    "find_free_port",
    "full_batch_reference",
    "make_demo_data",
    "run_data_parallel_demo",
    "run_ranks",
]

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
    if not isinstance(counted_per_rank, (tuple, list)):
        raise TypeError(
            f"counted_per_rank: expected a tuple of int, got {type(counted_per_rank).__name__}"
        )
    v.check_positive_int("tokens_per_rank", tokens_per_rank)
    v.check_positive_int("hidden_size", hidden_size)
    v.check_positive_int("vocab_size", vocab_size)
    v.check_int("seed", seed)
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


def _rank_main(
    rank: int,
    fn: Callable[..., dict],
    world_size: int,
    port: int,
    out_dir: str,
    timeout: float,
    args: tuple,
) -> None:
    """Entry point of one spawned rank: connect, run ``fn``, save its result, disconnect.

    The result is written to ``out_dir/rank{rank}.pt`` (atomically, by a rename) *before* the
    process group is torn down, so a crash in the teardown cannot lose it; an error of ``fn`` is
    written to ``rank{rank}.err``. The process's own stdout and stderr (gloo's messages, a C++
    abort) go to ``rank{rank}.log``, not to the caller's terminal or notebook.
    """
    folder = Path(out_dir)
    with open(folder / f"rank{rank}.log", "ab", buffering=0) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
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
        result = fn(rank, world_size, *args)
        torch.save(result, folder / f"rank{rank}.tmp")
        os.replace(folder / f"rank{rank}.tmp", folder / f"rank{rank}.pt")
    except Exception as err:
        (folder / f"rank{rank}.err").write_text(f"{type(err).__name__}: {err}")
        raise
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


def _failure(caller: str, rank: int, exitcode: int | None, folder: Path) -> RuntimeError:
    """The error for a rank that ended without a result: its own error, or how it died."""
    err = folder / f"rank{rank}.err"
    if err.exists():
        return RuntimeError(f"{caller}: rank {rank} failed: {err.read_text()}")
    if exitcode is not None and exitcode < 0:
        how = f"killed by signal {signal.Signals(-exitcode).name}"
    else:
        how = f"exit code {exitcode}"
    log = (folder / f"rank{rank}.log").read_text(errors="replace").strip().splitlines()
    last = f"; its last message: {log[-1]}" if log else ""
    return RuntimeError(f"{caller}: rank {rank} died before its result was saved ({how}){last}")


def _wait_for_results(
    processes: list, folder: Path, timeout: float, caller: str
) -> list[int | None]:
    """Wait until every rank has saved its result; raise as soon as one ended without it.

    A rank that ends *after* saving its result is not a failure, whatever its exit code: some
    PyTorch releases (2.13, 2.15) sometimes abort in gloo's teardown after all the work is done.
    Returns every rank's exit code (None: still tearing down after a grace period, then stopped).
    """
    deadline = time.monotonic() + timeout
    saved = [folder / f"rank{r}.pt" for r in range(len(processes))]
    while not all(path.exists() for path in saved):
        for rank, p in enumerate(processes):
            if p.exitcode is not None and not saved[rank].exists():
                raise _failure(caller, rank, p.exitcode, folder)
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{caller}: the {len(processes)} processes did not finish within {timeout} s"
            )
        time.sleep(0.02)
    grace_end = time.monotonic() + 5.0  # let them tear down on their own first
    while any(p.is_alive() for p in processes) and time.monotonic() < grace_end:
        time.sleep(0.02)
    return [p.exitcode for p in processes]  # the caller stops those still alive


def run_ranks(
    fn: Callable[..., dict],
    world_size: int,
    args: tuple = (),
    *,
    timeout: float = 60.0,
    caller: str = "run_ranks",
) -> tuple[list[dict], list[int | None]]:
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` spawned processes joined by gloo.

    Parameters
    ----------
    fn : callable
        A module-level function (``spawn`` imports it by name) that returns a dict of tensors
        and numbers; it may use :mod:`torch.distributed` collectives.
    world_size : int
        Number of processes (ranks), each on the CPU, on the loopback address.
    args : tuple
        Further arguments of ``fn`` (picklable).
    timeout : float, default 60.0
        Seconds after which every process is stopped and :class:`TimeoutError` raised (also the
        timeout of the collectives).
    caller : str
        Name used in error messages.

    Returns
    -------
    tuple
        The results of ranks ``0 .. world_size - 1`` and their exit codes (0: a normal exit;
        negative: killed by that signal after its result was saved; None: still running after
        a grace period of 5 s, then stopped).

    Raises
    ------
    RuntimeError
        If a rank ends before saving its result (its own error or how it died). No process is
        left running, whatever happens.
    TimeoutError
        If the results are not complete within ``timeout`` seconds.
    """
    v.check_callable("fn", fn)
    v.check_positive_int("world_size", world_size)
    v.check_real("timeout", timeout, 0.0, low_open=True)
    folder = Path(tempfile.mkdtemp(prefix="cecode-ranks-"))
    context = None
    try:
        context = tmp.start_processes(
            _rank_main,
            args=(fn, world_size, find_free_port(), str(folder), timeout, tuple(args)),
            nprocs=world_size,
            join=False,
            start_method="spawn",
        )
        exitcodes = _wait_for_results(context.processes, folder, timeout, caller)
        results = [torch.load(folder / f"rank{r}.pt") for r in range(world_size)]
    finally:
        if context is not None:
            _stop(context.processes)
        shutil.rmtree(folder, ignore_errors=True)
    return results, exitcodes


def _variant_step(
    variant: str, hidden: Tensor, target: Tensor, weight: Tensor, world_size: int
) -> tuple[float, Tensor]:
    """One DDP forward and backward of ``variant``; the reported loss and the weight gradient."""
    model = nn.Linear(hidden.shape[1], weight.shape[0], bias=False).double()
    with torch.no_grad():
        model.weight.copy_(weight)
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
    return float(reported), model.weight.grad.detach().clone()


def _demo_rank(rank: int, world_size: int, data: dict[str, Tensor], fail_rank: int) -> dict:
    """One rank of :func:`run_data_parallel_demo`: its count and both variants' results."""
    if rank == fail_rank:
        raise RuntimeError(f"rank {rank} failed on purpose (fail_rank={fail_rank})")
    n = data["hidden"].shape[0] // world_size
    hidden = data["hidden"][rank * n : (rank + 1) * n]
    target = data["target"][rank * n : (rank + 1) * n]
    results: dict[str, object] = {"count": int((target != -100).sum())}
    for variant in ("ddp_mean", "global_mean"):
        loss, grad = _variant_step(variant, hidden, target, data["weight"], world_size)
        results[f"loss_{variant}"] = loss
        results[f"grad_{variant}"] = grad
    return results


def _demo_counts(world_size: int, counted_per_rank: object) -> tuple[int, ...]:
    """The checked counted tokens per rank (default ``(7, 2)`` for two ranks)."""
    if counted_per_rank is None:
        return (7, 2) if world_size == 2 else tuple(8 - r % 8 for r in range(world_size))
    if not isinstance(counted_per_rank, (tuple, list)):
        raise TypeError(
            f"counted_per_rank: expected a tuple of int or None, "
            f"got {type(counted_per_rank).__name__}"
        )
    if len(counted_per_rank) != world_size:
        raise ValueError(
            f"counted_per_rank: expected {world_size} counts (one per rank), "
            f"got {len(counted_per_rank)}"
        )
    return tuple(counted_per_rank)


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
        (the weight gradient, rank 0's copy after DDP's averaging, ``(V, D)`` float64);
        ``ranks_agree`` (bool: every rank ended with the same gradients); and ``exit_codes``
        (list: each process's exit code, see :func:`run_ranks`; a rank that crashed in the
        teardown after saving its results does not make the demo fail).

    Raises
    ------
    RuntimeError
        If a worker fails; the message names the rank and its error. No process is left running.
    TimeoutError
        If the demo does not finish within ``timeout`` seconds.
    """
    v.check_positive_int("world_size", world_size)
    v.check_int("seed", seed)
    v.check_real("timeout", timeout, 0.0, low_open=True)
    if fail_rank is not None:
        v.check_int("fail_rank", fail_rank)
    counts = _demo_counts(world_size, counted_per_rank)
    data = make_demo_data(counts, seed=seed)
    results, exit_codes = run_ranks(
        _demo_rank,
        world_size,
        (data, -1 if fail_rank is None else fail_rank),
        timeout=timeout,
        caller="run_data_parallel_demo",
    )
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
        "exit_codes": exit_codes,
    }
