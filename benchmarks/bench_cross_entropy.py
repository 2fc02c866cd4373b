"""Forward + backward time of ``cecode.functional.cross_entropy`` vs ``torch.nn.functional.cross_entropy``.

Float32 logits on the CPU, class-index targets, mean reduction, at (N, C) = (64, 10), (4096, 1000)
and (8192, 32000). The implementations are timed side by side in one process with interleaved
repetitions (the order rotates every repetition), and the median of each is reported with the
ratio to PyTorch (below 1.0: faster than PyTorch).

A third row, ``floor``, is the least any custom ``torch.autograd.Function`` costs: its forward is
one ``sum`` and its backward one ``expand``. At (64, 10) every implementation is dominated by such
fixed costs (a Python call into the Function, the backward engine, one dispatch per operation),
so ``cecode / floor`` says how much the loss's own operations and checks add.

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


class _Floor(torch.autograd.Function):
    """The cheapest custom autograd Function: forward ``x.sum()``, backward ``expand``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.shape = x.shape
        return x.sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        return grad.expand(ctx.shape), None


def _fwd_bwd(loss_fn: Callable, x: torch.Tensor, target: torch.Tensor, calls: int) -> float:
    """Seconds per call of forward + backward, averaged over ``calls`` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(calls):
        x.grad = None
        loss_fn(x, target).backward()
    return (time.perf_counter() - start) / calls


def bench_size(n: int, c: int, reps: int) -> dict[str, float]:
    """Median seconds per forward + backward of PyTorch, cecode and the floor at size ``(n, c)``."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, generator=gen).requires_grad_(True)
    target = torch.randint(0, c, (n,), generator=gen)
    # enough back-to-back calls that one measurement takes at least about 50 ms
    one_call = _fwd_bwd(F.cross_entropy, x, target, 1)
    calls = max(1, round(0.05 / one_call))
    fns = {"torch": F.cross_entropy, "cecode": cf.cross_entropy, "floor": _Floor.apply}
    # same numbers (and warm-up)
    torch.testing.assert_close(cf.cross_entropy(x, target), F.cross_entropy(x, target))
    for fn in fns.values():
        _fwd_bwd(fn, x, target, calls)
    times: dict[str, list[float]] = {k: [] for k in fns}
    names = list(fns)
    for r in range(reps):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate the order
            times[name].append(_fwd_bwd(fns[name], x, target, calls))
    x.grad = None
    return {name: statistics.median(t) for name, t in times.items()}


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
    header = (
        f"{'N x C':>14} | {'torch (ms)':>11} | {'cecode (ms)':>11} | {'floor (ms)':>11} | "
        f"{'cecode/torch':>12} | {'floor/torch':>11}"
    )
    print(header)
    print("-" * len(header))
    for n, c in args.sizes:
        reps = args.reps or (21 if n * c < 10**7 else 7)
        t = bench_size(n, c, reps)
        size = f"{n} x {c}"
        print(
            f"{size:>14} | {1e3 * t['torch']:>11.3f} | {1e3 * t['cecode']:>11.3f} | "
            f"{1e3 * t['floor']:>11.3f} | {t['cecode'] / t['torch']:>11.2f}x | "
            f"{t['floor'] / t['torch']:>10.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
