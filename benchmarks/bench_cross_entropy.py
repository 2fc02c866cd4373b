"""Forward + backward time of ``cecode.functional.cross_entropy`` vs ``torch.nn.functional.cross_entropy``.

Float32 logits on the CPU, class-index targets, mean reduction, at (N, C) = (64, 10), (4096, 1000)
and (8192, 32000). The two implementations are timed side by side in one process with
interleaved repetitions (the order alternates every repetition), and the median of each is
reported with the ratio cecode / PyTorch (below 1.0: cecode is faster).

Run: ``python benchmarks/bench_cross_entropy.py [--reps R] [--threads T] [--sizes 64x10,4096x1000]``.
The number of threads is torch's default (set by ``OMP_NUM_THREADS``) unless ``--threads`` is given.
The largest size needs about 4 GB of memory.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from cecode import functional as cf

DEFAULT_SIZES = [(64, 10), (4096, 1000), (8192, 32000)]


def _fwd_bwd(loss_fn: Callable, x: torch.Tensor, target: torch.Tensor, calls: int) -> float:
    """Seconds per call of forward + backward, averaged over ``calls`` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(calls):
        x.grad = None
        loss_fn(x, target).backward()
    return (time.perf_counter() - start) / calls


def bench_size(n: int, c: int, reps: int) -> tuple[float, float]:
    """Median seconds per forward + backward for PyTorch and cecode at size ``(n, c)``."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, generator=gen).requires_grad_(True)
    target = torch.randint(0, c, (n,), generator=gen)
    # enough back-to-back calls that one measurement takes at least a few milliseconds
    calls = max(1, int(2e6 // (n * c)))
    fns = {"torch": F.cross_entropy, "cecode": cf.cross_entropy}
    # same numbers (and warm-up)
    torch.testing.assert_close(cf.cross_entropy(x, target), F.cross_entropy(x, target))
    for fn in fns.values():
        _fwd_bwd(fn, x, target, calls)
    times: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(reps):
        order = list(fns) if r % 2 == 0 else list(reversed(fns))
        for name in order:
            times[name].append(_fwd_bwd(fns[name], x, target, calls))
    x.grad = None
    return statistics.median(times["torch"]), statistics.median(times["cecode"])


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    return [tuple(int(v) for v in s.split("x")) for s in text.split(",")]  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=0, help="repetitions (default: by size)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    parser.add_argument(
        "--sizes", type=_parse_sizes, default=DEFAULT_SIZES, help="e.g. 64x10,4096x1000"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), float32, CPU")
    print("forward + backward of the mean cross-entropy, median of interleaved repetitions")
    print()
    header = f"{'N x C':>14} | {'torch (ms)':>11} | {'cecode (ms)':>11} | {'cecode/torch':>12}"
    print(header)
    print("-" * len(header))
    for n, c in args.sizes:
        reps = args.reps or (21 if n * c < 10**7 else 7)
        t_torch, t_ce = bench_size(n, c, reps)
        size = f"{n} x {c}"
        print(
            f"{size:>14} | {1e3 * t_torch:>11.3f} | {1e3 * t_ce:>11.3f} | {t_ce / t_torch:>11.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
