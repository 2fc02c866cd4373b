"""Forward + backward time of ``cecode.functional.cross_entropy`` vs ``torch.nn.functional.cross_entropy``.

Float32 logits on the CPU, class-index targets, mean reduction, at (N, C) = (64, 10), (4096, 1000)
and (8192, 32000). The implementations are timed side by side in one process with interleaved
repetitions (the order rotates every repetition); each measurement times many back-to-back calls,
and the table reports the median over the repetitions.

Every measurement records two clocks: the CPU time of the calling thread
(``time.thread_time_ns``) and the wall time (``time.perf_counter_ns``). **The ratios in the
table use CPU time**, with torch single-threaded (``--threads 1``, the default): on a shared
machine the wall time also counts the time the process waits for a core while other processes
run, but the thread's own CPU time does not. Measured on 2 cores at load average 13-16, a call's
wall time was about 3x its CPU time and the wall-time ratio at (64, 10) moved between 1.52x and
1.65x from run to run, while the CPU-time ratio stayed within 1.49x-1.53x (``nice -n -5`` changed
neither); on the idle machine both gave 1.46x. With one
thread, every operation runs on the calling thread, so its CPU time is all the work done. The
wall-time ratio is printed next to it; on an idle machine the two agree. With more threads
(``--threads 2``) the CPU time of the calling thread misses the work of the other threads, so
use the wall-time column there, on an idle machine.

Two reference rows put the numbers in perspective:

- ``floor``: the cheapest custom ``torch.autograd.Function`` (forward one ``sum``, backward one
  ``expand``). At (64, 10) every implementation is dominated by such fixed costs (a Python call
  into the Function, the backward engine, one dispatch per operation).
- ``bare``: the operations of cecode's common-case branch (max shift, ``gather``, ``exp``,
  ``sum``, ``log``, mean; backward softmax minus one-hot), in a bare Function with no argument
  checks and no layering. It is the least a from-scratch Function with these operations costs,
  so ``cecode / bare`` is what the checks and the code structure add.

Run: ``python benchmarks/bench_cross_entropy.py [--reps R] [--threads T] [--sizes 64x10,4096x1000]``.
The largest size needs about 6 GB of memory.
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


class _Bare(torch.autograd.Function):
    """cecode's common-case operations (mean cross-entropy) without checks or layering."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        safe = target.unsqueeze(1)
        buf = x - x.amax(1, True).nan_to_num_(0.0, 0.0, 0.0)
        picked = buf.gather(1, safe)
        buf.exp_()
        sumexp = buf.sum(1, True)
        ctx.save_for_backward(buf, sumexp, safe)
        return sumexp.log().sub_(picked).mean()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        buf, sumexp, safe = ctx.saved_tensors
        out = buf / sumexp
        out.scatter_(1, safe, -1.0, reduce="add")
        return out.mul_(grad.item() / sumexp.numel()), None


def _fwd_bwd(loss_fn: Callable, x: torch.Tensor, target: torch.Tensor, calls: int) -> tuple:
    """(CPU seconds, wall seconds) per call of forward + backward, over ``calls`` calls."""
    cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
    for _ in range(calls):
        x.grad = None
        loss_fn(x, target).backward()
    return (time.thread_time_ns() - cpu) / 1e9 / calls, (
        time.perf_counter_ns() - wall
    ) / 1e9 / calls


def bench_size(n: int, c: int, reps: int) -> dict[str, tuple[float, float]]:
    """Median (CPU, wall) seconds per forward + backward of each implementation at ``(n, c)``."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, generator=gen).requires_grad_(True)
    target = torch.randint(0, c, (n,), generator=gen)
    fns = {
        "torch": F.cross_entropy,
        "cecode": cf.cross_entropy,
        "bare": _Bare.apply,
        "floor": _Floor.apply,
    }
    # same numbers (and warm-up)
    for name in ("cecode", "bare"):
        torch.testing.assert_close(fns[name](x, target), F.cross_entropy(x, target))
    # enough back-to-back calls that one measurement takes at least about 20 ms of CPU time
    one_call = min(_fwd_bwd(F.cross_entropy, x, target, 1)[0] for _ in range(3))
    calls = max(1, round(0.02 / max(one_call, 1e-7)))
    for fn in fns.values():
        _fwd_bwd(fn, x, target, calls)
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
    names = list(fns)
    for r in range(reps):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate the order
            times[name].append(_fwd_bwd(fns[name], x, target, calls))
    x.grad = None
    return {
        name: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))
        for name, ts in times.items()
    }


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    return [tuple(int(v) for v in s.split("x")) for s in text.split(",")]  # type: ignore[misc]


def _row(size: str, name: str, t: dict[str, tuple[float, float]]) -> str:
    cpu, wall = t[name]
    return (
        f"{size:>14} | {name:>6} | {1e6 * cpu:>11.1f} | {1e6 * wall:>11.1f} | "
        f"{cpu / t['torch'][0]:>8.2f}x | {wall / t['torch'][1]:>9.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=0, help="repetitions (default: by size)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument(
        "--sizes", type=_parse_sizes, default=DEFAULT_SIZES, help="e.g. 64x10,4096x1000"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), float32, CPU")
    print("forward + backward of the mean cross-entropy, medians of interleaved repetitions;")
    print("ratios to torch by CPU time of the calling thread (the table) and by wall time")
    print()
    header = (
        f"{'N x C':>14} | {'impl':>6} | {'CPU (us)':>11} | {'wall (us)':>11} | "
        f"{'CPU ratio':>9} | {'wall ratio':>10}"
    )
    print(header)
    print("-" * len(header))
    for n, c in args.sizes:
        reps = args.reps or (41 if n * c < 10**6 else 15 if n * c < 10**7 else 5)
        t = bench_size(n, c, reps)
        for name in t:
            print(_row(f"{n} x {c}", name, t), flush=True)


if __name__ == "__main__":
    main()
