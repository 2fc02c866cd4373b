"""Vocabulary-parallel cross-entropy: bytes each rank sends, and cecode's version vs ``loss_parallel``.

Two parts, in one run:

1. **Bytes per rank** (no processes): for ``N = 8192`` tokens on ``R`` ranks, the three
   all-reduces of ``N`` float32 numbers of :func:`cecode.distributed.vocab_parallel_cross_entropy`
   (plus its 5-integer layout check) against an all-gather of the ``(N, V / R)`` bfloat16 logit
   slices, with ring algorithms, for V = 32,000, 128,256 and 256,000
   (:func:`cecode.distributed.vocab_parallel_bytes`).
2. **Time** of forward + backward of the loss on ``R = 2`` processes (gloo on 127.0.0.1, one
   thread each) at ``N = 4096``, ``V = 32,768`` (each rank holds ``(4096, 16384)`` float32
   logits): cecode's autograd function against PyTorch's
   ``torch.distributed.tensor.parallel.loss_parallel()`` on a DTensor sharded on the class
   dimension. Both run in the same processes, interleaved (cecode, PyTorch, cecode, ...), after
   one warm-up each; the table gives the median wall time per call over the repeats (rank 0's
   clock, after a barrier) and the ratio to cecode's.

Usage: ``python benchmarks/bench_vocab_parallel.py [--repeats 7] [--rows 4096] [--vocab 32768]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

from cecode import distributed as cd


def bytes_table(n_rows: int = 8192, world_sizes: tuple[int, ...] = (2, 8)) -> None:
    """Print the bytes each rank sends, vocabulary-parallel loss versus gathering the logits."""
    kib, mib = 2**10, 2**20
    print(f"Bytes each rank sends for the loss, N = {n_rows} tokens (bfloat16 logits)")
    print(
        f"{'R':>3} {'V':>8} {'3 all-reduces':>14} {'layout':>7} {'gather logits':>14} {'ratio':>7}"
    )
    for r in world_sizes:
        for vocab in (32_000, 128_256, 256_000):
            sent = cd.vocab_parallel_bytes(n_rows, vocab, r)
            loss = sent["all_reduces"] + sent["layout"]
            print(
                f"{r:>3} {vocab:>8,} {sent['all_reduces'] / kib:>10.0f} KiB {sent['layout']:>5} B"
                f" {sent['gather_logits'] / mib:>10.1f} MiB {sent['gather_logits'] / loss:>7.0f}"
            )


def _timed(fn) -> float:
    dist.barrier()
    start = time.perf_counter()
    fn()
    dist.barrier()
    return time.perf_counter() - start


def _bench_rank(rank: int, world_size: int, n_rows: int, vocab: int, repeats: int) -> dict:
    """Runs on every rank: interleaved repeats of both implementations."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import DTensor, Replicate, Shard
    from torch.distributed.tensor.parallel import loss_parallel

    g = torch.Generator().manual_seed(0)
    target = torch.randint(vocab, (n_rows,), generator=g)
    local = torch.randn(n_rows, vocab // world_size, generator=g).requires_grad_()
    mesh = init_device_mesh("cpu", (world_size,))
    d_target = DTensor.from_local(target, mesh, [Replicate()], run_check=False)

    def ours() -> None:
        local.grad = None
        cd.vocab_parallel_cross_entropy(local, target).backward()

    def pytorch() -> None:
        local.grad = None
        d_logits = DTensor.from_local(local, mesh, [Shard(1)], run_check=False)
        with loss_parallel():
            F.cross_entropy(d_logits, d_target).backward()

    times: dict[str, list[float]] = {"cecode": [], "loss_parallel": []}
    for fn in (ours, pytorch):
        _timed(fn)  # warm-up
    for _ in range(repeats):
        for name, fn in (("cecode", ours), ("loss_parallel", pytorch)):
            times[name].append(_timed(fn))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--vocab", type=int, default=32_768)
    args = parser.parse_args()
    bytes_table()
    print()
    results, _ = cd.run_ranks(
        _bench_rank, 2, (args.rows, args.vocab, args.repeats), timeout=1800.0, caller="bench"
    )
    times = results[0]
    base = statistics.median(times["cecode"])
    print(
        f"Forward + backward, 2 processes (gloo, 1 thread each), N = {args.rows}, "
        f"V = {args.vocab:,}, float32, median of {args.repeats} interleaved repeats"
    )
    print(f"{'implementation':>15} {'median (ms)':>12} {'min (ms)':>9} {'ratio':>6}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:>15} {1e3 * median:>12.1f} {1e3 * min(values):>9.1f} {median / base:>6.2f}")
    print(f"torch {torch.__version__}")


if __name__ == "__main__":
    main()
