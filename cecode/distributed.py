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

**Vocabulary parallelism** (chapter 13). :func:`vocab_parallel_cross_entropy` computes the
cross-entropy when each rank holds a contiguous slice of the vocabulary's logits, with three
all-reduces of ``N`` numbers in the forward pass and no communication in the backward pass;
:func:`run_vocab_parallel_demo` runs it (and PyTorch's ``loss_parallel``) in real processes, and
:func:`vocab_parallel_bytes` counts the bytes each rank sends.
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
    "vocab_parallel_cross_entropy",
    "vocab_parallel_bytes",
    "chunk_widths",
    "run_vocab_parallel_demo",
]

LOOPBACK = "127.0.0.1"


def find_free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now (the operating system picks it).

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
    """Make a small batch split evenly into ranks whose numbers of counted tokens differ.

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
        ``weight (V, D)``; rank ``r`` gets rows ``r * tokens_per_rank`` to
        ``(r + 1) * tokens_per_rank``.

    Raises
    ------
    TypeError
        If ``counted_per_rank`` is not a tuple of int or a size is not an int.
    ValueError
        If a count is not in ``[0, tokens_per_rank]`` or a size is below 1.
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

    Raises
    ------
    TypeError
        If ``data`` is not a dict.
    ValueError
        If it lacks one of the keys ``hidden``, ``target``, ``weight``.
    """
    if not isinstance(data, dict):
        raise TypeError(f"data: expected a dict from make_demo_data, got {type(data).__name__}")
    missing = [k for k in ("hidden", "target", "weight") if k not in data]
    if missing:
        raise ValueError(f"data: expected the keys hidden, target, weight, got {sorted(data)}")
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
    """Build the error for a rank that ended without a result: its error, or how it died."""
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
    """Check the counted tokens per rank (default ``(7, 2)`` for two ranks)."""
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


# --------------------------------------------------------------------------------------------
# Vocabulary-parallel cross-entropy (chapter 13): each rank holds a slice of the vocabulary
# --------------------------------------------------------------------------------------------


def _vp_layout(local_logits: Tensor, target: Tensor, ignore_index: int, group) -> tuple[int, int]:
    """Return this rank's offset in the vocabulary and the full ``V``, checked on all ranks.

    One ``all_gather`` of 5 integers per rank: the slice width, the row count and the minimum,
    maximum and sum of the targets (a cheap check that every rank holds the same targets).
    Every rank sees the same table, so a bad input raises the same error on every rank.
    """
    world, rank = dist.get_world_size(group), dist.get_rank(group)
    lo, hi = (int(m) for m in torch.aminmax(target))
    info = torch.tensor(
        [local_logits.shape[1], local_logits.shape[0], lo, hi, int(target.sum())],
        dtype=torch.int64,
    )
    gathered = [torch.empty_like(info) for _ in range(world)]
    dist.all_gather(gathered, info, group=group)
    table = torch.stack(gathered)
    if bool((table[:, 1] != table[0, 1]).any()):
        raise ValueError(
            "local_logits: expected the same number of rows N on every process, "
            f"got {table[:, 1].tolist()} on ranks 0..{world - 1}"
        )
    if bool((table[:, 2:] != table[0, 2:]).any()):
        raise ValueError(
            "target: expected the same targets (global class indices) on every process, "
            "got different targets on different ranks"
        )
    vocab_size = int(table[:, 0].sum())
    bad = ((target < 0) | (target >= vocab_size)) & (target != ignore_index)
    if bool(bad.any()):
        pos = int(bad.nonzero()[0, 0])
        raise ValueError(
            f"target: expected class indices in [0, {vocab_size}) (the full vocabulary of all "
            f"ranks' slices) or ignore_index={ignore_index}, got {int(target[pos])} at "
            f"position {pos}"
        )
    return int(table[:rank, 0].sum()), vocab_size


class _VocabParallelCrossEntropy(torch.autograd.Function):
    """Forward: three all-reduces of ``N`` numbers; backward: no communication at all."""

    @staticmethod
    def forward(ctx, local_logits, target, offset, ignore_index, reduction, group):
        z = local_logits
        if z.dtype in (torch.float16, torch.bfloat16):
            z = z.float()  # the loss is computed in float32, as under autocast
        z_max = z.max(dim=1).values
        dist.all_reduce(z_max, op=dist.ReduceOp.MAX, group=group)  # 1: the global max
        exp = (z - z_max[:, None]).exp_()
        sum_exp = exp.sum(dim=1)
        dist.all_reduce(sum_exp, group=group)  # 2: the sum of exponentials
        counted = target != ignore_index
        local_target = target - offset
        here = counted & (local_target >= 0) & (local_target < z.shape[1])
        idx = local_target.clamp(0, z.shape[1] - 1)
        shifted_target = z.gather(1, idx[:, None]).squeeze(1) - z_max
        shifted_target = torch.where(here, shifted_target, torch.zeros_like(shifted_target))
        dist.all_reduce(shifted_target, group=group)  # 3: the target's (shifted) logit
        loss = torch.where(counted, sum_exp.log() - shifted_target, torch.zeros_like(sum_exp))
        probs = exp.div_(sum_exp[:, None])  # this rank's slice of softmax(z)
        ctx.save_for_backward(probs, idx, here, counted)
        ctx.reduction, ctx.in_dtype = reduction, local_logits.dtype
        if reduction == "sum":
            loss = loss.sum()
        elif reduction == "mean":
            loss = loss.sum() / counted.sum()
        return loss.to(local_logits.dtype)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_loss):
        probs, idx, here, counted = ctx.saved_tensors
        grad = probs.clone()  # the local slice of softmax - one-hot
        rows = here.nonzero().squeeze(1)
        grad[rows, idx[rows]] -= 1.0
        weight = counted.to(grad.dtype) * grad_loss.to(grad.dtype)
        if ctx.reduction == "mean":
            weight = weight / counted.sum().clamp(min=1)
        grad.mul_(weight[:, None])
        return grad.to(ctx.in_dtype), None, None, None, None, None


def _check_vp_args(local_logits, target, group, ignore_index, reduction) -> None:
    """Check the arguments of :func:`vocab_parallel_cross_entropy` (no communication)."""
    v.check_floating("local_logits", local_logits)
    if local_logits.dim() != 2 or local_logits.shape[1] == 0:
        raise ValueError(
            "local_logits: expected shape (N, V_local) with V_local >= 1, "
            f"got shape {v.shape_str(local_logits.shape)}"
        )
    v.check_nonempty("local_logits", local_logits)
    v.check_tensor("target", target)
    if target.dtype != torch.int64:
        raise TypeError(
            f"target: expected global class indices of dtype torch.int64, got {target.dtype}"
        )
    if tuple(target.shape) != (local_logits.shape[0],):
        raise ValueError(
            f"target: expected shape ({local_logits.shape[0]},) (one class index per row), "
            f"got shape {v.shape_str(target.shape)}"
        )
    v.check_int("ignore_index", ignore_index)
    v.check_reduction(reduction)
    if group is not None and not isinstance(group, dist.ProcessGroup):
        raise TypeError(
            f"group: expected a torch.distributed.ProcessGroup or None, got {type(group).__name__}"
        )
    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            "vocab_parallel_cross_entropy: expected an initialised process group, got none; "
            "call torch.distributed.init_process_group first (one process per vocabulary slice)"
        )


def vocab_parallel_cross_entropy(
    local_logits: Tensor,
    target: Tensor,
    *,
    group: dist.ProcessGroup | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    r"""Cross-entropy when each process holds a contiguous slice of the vocabulary's logits.

    Rank :math:`r` of ``group`` holds the columns :math:`[o_r, o_r + V_r)` of the full logits
    :math:`z \in \mathbb{R}^{N \times V}` (slices contiguous in rank order, of any widths, as
    Megatron-LM's column-parallel output layer produces them). With
    :math:`z_{\max,n} = \max_j z_{nj}` and :math:`S_n = \sum_j e^{z_{nj} - z_{\max,n}}`,

    .. math::
        \ell_n = \log S_n - (z_{n y_n} - z_{\max,n}),

    which needs three all-reduces of :math:`N` numbers each (the max, :math:`S_n`, and the
    target's shifted logit, which only one rank holds) and never the full :math:`N \times V`
    logits. The gradient with respect to the local slice is the local slice of
    :math:`\operatorname{softmax}(z_n) - e_{y_n}` (times the reduction's weight), so the backward
    pass needs no communication. Before that, one ``all_gather`` of 5 integers per rank checks
    that the ranks agree on ``N`` and the targets and gives each rank its offset :math:`o_r`.
    Half-precision logits are computed in float32; the result has the input's dtype.

    Parameters
    ----------
    local_logits : Tensor
        This rank's slice, shape ``(N, V_r)``, floating point.
    target : Tensor
        Global class indices in ``[0, V)`` (or ``ignore_index``), shape ``(N,)``, int64, the
        same on every rank.
    group : torch.distributed.ProcessGroup, optional
        The ranks that share the vocabulary; default the whole world.
    ignore_index : int, default -100
        Rows with this target count neither in the loss nor in the mean's denominator.
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`torch.nn.functional.cross_entropy`.

    Returns
    -------
    Tensor
        Equal to ``F.cross_entropy(full_logits, target, ignore_index=ignore_index,
        reduction=reduction)`` on every rank: shape ``()`` or ``(N,)``.

    Raises
    ------
    TypeError
        If ``local_logits`` is not a floating tensor, ``target`` not int64, ``group`` not a
        process group.
    ValueError
        For a wrong shape or reduction, a target outside ``[0, V)``, or ranks that disagree on
        ``N`` or the targets (raised on every rank alike, so none waits forever).
    RuntimeError
        If no process group is initialised.
    """
    _check_vp_args(local_logits, target, group, ignore_index, reduction)
    offset, _ = _vp_layout(local_logits, target, ignore_index, group)
    return _VocabParallelCrossEntropy.apply(
        local_logits, target, offset, ignore_index, reduction, group
    )


def vocab_parallel_bytes(
    n_rows: int, vocab_size: int, world_size: int, logits_dtype: torch.dtype = torch.bfloat16
) -> dict[str, int]:
    r"""Bytes each rank sends for the loss: vocabulary-parallel versus gathering the logits.

    With ring algorithms, an all-reduce of :math:`M` numbers sends
    :math:`2 \frac{R-1}{R} M` numbers per rank and an all-gather of slices of :math:`M/R`
    numbers sends :math:`(R-1) M / R` per rank.

    Parameters
    ----------
    n_rows : int
        Tokens ``N``.
    vocab_size : int
        ``V`` (assumed divisible by ``world_size`` for the gather).
    world_size : int
        Ranks ``R`` sharing the vocabulary.
    logits_dtype : torch.dtype, default torch.bfloat16
        The dtype of the logits that would be gathered.

    Returns
    -------
    dict
        ``all_reduces``: three all-reduces of ``N`` float32 numbers; ``layout``: the
        ``all_gather`` of 5 int64 per rank; ``gather_logits``: an all-gather of the
        ``(N, V / R)`` slices; all in bytes per rank.
    """
    v.check_positive_int("n_rows", n_rows)
    v.check_positive_int("vocab_size", vocab_size)
    v.check_positive_int("world_size", world_size)
    if not isinstance(logits_dtype, torch.dtype) or not logits_dtype.is_floating_point:
        raise TypeError(f"logits_dtype: expected a floating torch.dtype, got {logits_dtype!r}")
    r = world_size
    item = torch.empty((), dtype=logits_dtype).element_size()
    return {
        "all_reduces": 3 * 2 * (r - 1) * n_rows * 4 // r,
        "layout": (r - 1) * 5 * 8,
        "gather_logits": (r - 1) * n_rows * (vocab_size // r) * item,
    }


def chunk_widths(vocab_size: int, world_size: int) -> list[int]:
    """Return the slice widths of ``torch.chunk`` and DTensor's ``Shard``: ``ceil(V / R)`` each.

    Parameters
    ----------
    vocab_size : int
        ``V``.
    world_size : int
        ``R``.

    Returns
    -------
    list of int
        The widths of ranks ``0 .. R - 1`` (the last ones may be smaller, or 0).
    """
    v.check_positive_int("vocab_size", vocab_size)
    v.check_positive_int("world_size", world_size)
    size = -(-vocab_size // world_size)
    return [min(size, max(vocab_size - r * size, 0)) for r in range(world_size)]


def _loss_parallel_rank(
    rank: int, world_size: int, logits: Tensor, target: Tensor, reduction: str, grad_none: Tensor
) -> tuple[Tensor, Tensor]:
    """PyTorch's own version on this rank: a DTensor sharded on the class dim, ``loss_parallel``."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import DTensor, Replicate, Shard
    from torch.distributed.tensor.parallel import loss_parallel

    mesh = init_device_mesh("cpu", (world_size,))
    widths = chunk_widths(logits.shape[1], world_size)
    start = sum(widths[:rank])
    local = logits[:, start : start + widths[rank]].clone().requires_grad_()
    d_logits = DTensor.from_local(
        local, mesh, [Shard(1)], run_check=False, shape=logits.shape, stride=logits.stride()
    )
    d_target = DTensor.from_local(target, mesh, [Replicate()], run_check=False)
    with loss_parallel():
        loss = F.cross_entropy(d_logits, d_target, reduction=reduction).to_local()
        (loss * grad_none).sum().backward() if reduction == "none" else loss.backward()
    return loss.detach(), local.grad


def _vp_demo_rank(
    rank: int,
    world_size: int,
    logits: Tensor,
    target: Tensor,
    widths: list[int],
    grad_none: Tensor,
    with_loss_parallel: bool,
) -> dict:
    """One rank of :func:`run_vocab_parallel_demo`: every reduction, cecode's and PyTorch's."""
    start = sum(widths[:rank])
    out: dict[str, object] = {}
    for reduction in v.REDUCTIONS:
        local = logits[:, start : start + widths[rank]].clone().requires_grad_()
        loss = vocab_parallel_cross_entropy(local, target, reduction=reduction)
        loss.backward(grad_none if reduction == "none" else None)
        out[f"loss_{reduction}"], out[f"grad_{reduction}"] = loss.detach(), local.grad
        if with_loss_parallel:
            lp = _loss_parallel_rank(rank, world_size, logits, target, reduction, grad_none)
            out[f"lp_loss_{reduction}"], out[f"lp_grad_{reduction}"] = lp
    return out


def run_vocab_parallel_demo(
    world_size: int = 2,
    *,
    widths: list[int] | None = None,
    n_rows: int = 6,
    seed: int = 0,
    loss_parallel: bool = True,
    timeout: float = 60.0,
) -> dict[str, object]:
    """Run :func:`vocab_parallel_cross_entropy` (and ``loss_parallel``) in ``world_size`` processes.

    The caller's process makes full float64 logits ``(N, V)`` with ``V = sum(widths)`` and
    targets (every third one ignored, ``-100``); rank ``r`` gets columns
    ``sum(widths[:r]) .. sum(widths[:r + 1])``. Each rank computes the loss with every reduction
    and its gradient (for ``"none"``, weighted by fixed random numbers), and, if
    ``loss_parallel``, the same with PyTorch's
    :func:`torch.distributed.tensor.parallel.loss_parallel` on a DTensor sharded on the class
    dimension (whose slices are :func:`chunk_widths`, whatever ``widths`` is).

    Parameters
    ----------
    world_size : int, default 2
        Processes (gloo, 127.0.0.1), started and stopped by :func:`run_ranks`.
    widths : list of int, optional
        The slice widths, one per rank, each >= 1; default 5 per rank.
    n_rows : int, default 6
        Rows ``N``.
    seed : int, default 0
        Seed of the logits, targets and gradient weights.
    loss_parallel : bool, default True
        Also run PyTorch's ``loss_parallel``.
    timeout : float, default 60.0
        Seconds, see :func:`run_ranks`.

    Returns
    -------
    dict
        ``logits``, ``target``, ``grad_weights`` (the inputs); for each reduction ``r``:
        ``loss_r`` (rank 0's value), ``grad_r`` (the ranks' gradient slices concatenated,
        ``(N, V)``), and with ``loss_parallel`` ``lp_loss_r``, ``lp_grad_r``; ``ranks_agree``
        (every rank got the same loss values) and ``exit_codes``.
    """
    v.check_positive_int("world_size", world_size)
    widths = [5] * world_size if widths is None else list(widths)
    if len(widths) != world_size:
        raise ValueError(f"widths: expected {world_size} widths (one per rank), got {len(widths)}")
    for w in widths:
        v.check_positive_int("widths", w)
    v.check_positive_int("n_rows", n_rows)
    v.check_int("seed", seed)
    v.check_bool("loss_parallel", loss_parallel)
    g = torch.Generator().manual_seed(seed)
    logits = 3 * torch.randn(n_rows, sum(widths), generator=g, dtype=torch.float64)
    target = torch.randint(sum(widths), (n_rows,), generator=g)
    target[::3] = -100
    grad_none = torch.rand(n_rows, generator=g, dtype=torch.float64)
    results, exit_codes = run_ranks(
        _vp_demo_rank,
        world_size,
        (logits, target, widths, grad_none, loss_parallel),
        timeout=timeout,
        caller="run_vocab_parallel_demo",
    )
    out: dict[str, object] = {"logits": logits, "target": target, "grad_weights": grad_none}
    keys = [k for k in results[0] if "loss" in k]
    for key in keys:
        out[key] = results[0][key]
        grad_key = key.replace("loss", "grad")
        out[grad_key] = torch.cat([res[grad_key] for res in results], dim=1)
    out["ranks_agree"] = all(torch.equal(res[k], results[0][k]) for res in results for k in keys)
    out["exit_codes"] = exit_codes
    return out
