"""Memory and time of linear layer + cross-entropy with a large vocabulary, on the CPU.

Three ways to compute ``cross_entropy(hidden @ weight.T, target)`` and its gradients with respect
to ``hidden (N, D)`` and ``weight (V, D)`` are compared, at ``N = 4096`` tokens, ``D = 1024``,
``V`` = 32k and 128k, float32:

- ``naive``: ``F.cross_entropy(hidden @ weight.T, target)``, which materializes the ``(N, V)``
  logits, a log-softmax of the same size, and ``(N, V)`` gradients in the backward pass;
- ``cecode``: :func:`cecode.large_vocab.chunked_linear_cross_entropy` (gradients computed block by
  block in the forward pass, never more than one ``(chunk_size, V)`` block);
- ``torch``: PyTorch's own ``F.linear_cross_entropy(..., options=nn.LinearCrossEntropyOptions())``
  with its automatic chunking.

Method
------
Every single measurement runs in a fresh Python subprocess (``--worker``), so that no memory
freed by an earlier variant is reused and the resident set starts from the same state. The worker

1. creates the inputs (``hidden``, ``weight``, ``target``; the leaves require gradients),
2. reads its current resident set size from ``/proc/self/statm`` (the baseline: the interpreter,
   PyTorch and the inputs),
3. runs forward + backward once, timed with ``time.perf_counter`` (wall clock) and
   ``time.process_time`` (CPU time of the process, all its threads),
4. reads its peak resident set size, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``.

The loss memory is ``peak - baseline - bytes(hidden.grad) - bytes(weight.grad)``: what the loss
computation needs beyond its inputs and the gradients it must return anyway. (PyTorch's CPU
allocator gives large blocks back to the operating system when they are freed, so the resident
set follows the live tensors closely.) The rounds interleave the variants (naive, cecode, torch,
naive, ...) so that a change in the load of the machine hits them alike; the table reports the
median over rounds of the memory and of the time of one forward + backward pass, each including
the first-call costs of a fresh process (the same for every variant), and their ratios to the
naive variant measured in the same rounds. On a machine shared with other work the wall-clock
time depends on what else runs; the CPU time much less so (with ``OMP_NUM_THREADS=1`` it is the
compute time), so the table shows both.

At V = 128k the naive variant needs several GB; run this on a machine with 16 GB free, and keep
the number of rounds small (``--rounds``). Usage::

    python benchmarks/bench_large_vocab.py             # 32k and 128k
    python benchmarks/bench_large_vocab.py --vocab 32768 --rounds 3

Besides printing the table, the script writes it with the date, the machine, the PyTorch
version and the settings to ``benchmarks/results/bench_large_vocab.json`` (``--results``), the
file chapter 9 reads and prints: the chapter shows a measured table, not typed numbers. The
``torch`` variant needs PyTorch >= 2.13 (``F.linear_cross_entropy``); older versions skip it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

VARIANTS = ("naive", "cecode", "torch")
LABELS = {
    "naive": "naive F.cross_entropy(h @ W.T)",
    "cecode": "cecode chunked_linear_cross_entropy",
    "torch": "F.linear_cross_entropy (auto chunks)",
}
KEYS = {label: key for key, label in LABELS.items()}
MiB = 2**20


def current_rss() -> int:
    """Resident set size of this process now, in bytes (second field of /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(variant: str, tokens: int, hidden_size: int, vocab: int, seed: int) -> dict:
    """One measurement in this (fresh) process; returns loss memory (bytes) and time (s)."""
    import torch
    import torch.nn.functional as F

    from cecode import large_vocab

    torch.manual_seed(seed)
    hidden = torch.randn(tokens, hidden_size, requires_grad=True)
    weight = (torch.randn(vocab, hidden_size) / hidden_size**0.5).requires_grad_()
    target = torch.randint(vocab, (tokens,))

    if variant == "naive":

        def loss_fn():
            return F.cross_entropy(hidden @ weight.T, target)
    elif variant == "cecode":

        def loss_fn():
            return large_vocab.chunked_linear_cross_entropy(hidden, weight, target)
    else:
        options = torch.nn.LinearCrossEntropyOptions()

        def loss_fn():
            return F.linear_cross_entropy(hidden, weight, target, options=options)

    baseline = current_rss()
    start, start_cpu = time.perf_counter(), time.process_time()
    loss = loss_fn()
    loss.backward()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    peak = peak_rss()
    grads = hidden.grad.nbytes + weight.grad.nbytes
    return {
        "loss_memory": peak - baseline - grads,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "loss": float(loss.detach()),
        "grad_norm": float(weight.grad.norm()),
    }


def run_worker(variant: str, args: argparse.Namespace, vocab: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        variant,
        "--tokens",
        str(args.tokens),
        "--hidden",
        str(args.hidden),
        "--vocab",
        str(vocab),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=4096)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--vocab", type=int, nargs="+", default=[32768, 131072])
    parser.add_argument(
        "--rounds",
        type=int,
        nargs="+",
        default=[2, 1],
        help="rounds per vocabulary size (one number for all, or one per size)",
    )
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--results",
        default=os.path.join(os.path.dirname(__file__), "results", "bench_large_vocab.json"),
        help="where to write the table as JSON ('' for nowhere)",
    )
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(worker(args.worker, args.tokens, args.hidden, args.vocab[0], seed=0)))
        return

    import torch
    import torch.nn.functional as F

    variants = [v for v in VARIANTS if v != "torch" or hasattr(F, "linear_cross_entropy")]
    rounds = (
        args.rounds if len(args.rounds) == len(args.vocab) else args.rounds[:1] * len(args.vocab)
    )
    print(
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"N={args.tokens} tokens, D={args.hidden}, float32, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    rows = []
    for vocab, n_rounds in zip(args.vocab, rounds, strict=True):
        results: dict[str, list[dict]] = {name: [] for name in variants}
        for r in range(n_rounds):
            for name in variants:
                res = run_worker(name, args, vocab)
                results[name].append(res)
                print(
                    f"  V={vocab} round {r + 1}/{n_rounds} {name}: "
                    f"{res['loss_memory'] / MiB:.0f} MiB, {res['seconds']:.2f} s, "
                    f"CPU {res['cpu_seconds']:.2f} s, "
                    f"loss {res['loss']:.6f}",
                    flush=True,
                )
        med = {
            name: {
                key: statistics.median(x[key] for x in res)
                for key in ("loss_memory", "seconds", "cpu_seconds")
            }
            for name, res in results.items()
        }
        for name in variants:
            m, base = med[name], med["naive"]
            rows.append(
                (
                    LABELS[name],
                    vocab,
                    m["loss_memory"] / MiB,
                    m["loss_memory"] / base["loss_memory"],
                    m["seconds"],
                    m["seconds"] / base["seconds"],
                    m["cpu_seconds"],
                    m["cpu_seconds"] / base["cpu_seconds"],
                )
            )
        losses = [results[name][0]["loss"] for name in variants]
        assert max(losses) - min(losses) < 1e-4 * abs(losses[0]), f"losses differ: {losses}"

    header = (
        "variant",
        "vocab",
        "loss memory (MiB)",
        "ratio to naive",
        "wall time (s)",
        "ratio to naive",
        "CPU time (s)",
        "ratio to naive",
    )
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, vocab, mem, mem_r, sec, sec_r, cpu, cpu_r in rows:
        print(
            f"| {label} | {vocab} | {mem:.0f} | {mem_r:.3f} | {sec:.2f} | {sec_r:.2f} "
            f"| {cpu:.2f} | {cpu_r:.2f} |"
        )
    if args.results:
        write_results(args, rounds, rows, torch.__version__)


def machine() -> str:
    """Describe this machine: architecture, number of CPUs and the CPU model (Linux)."""
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} CPUs, {model}"


def write_results(args: argparse.Namespace, rounds: list[int], rows: list, version: str) -> None:
    """Save the table with when, where and how it was measured (read by chapter 9)."""
    keys = ("variant", "vocab", "loss_memory_mib", "memory_ratio", "wall_seconds", "wall_ratio")
    keys += ("cpu_seconds", "cpu_ratio")
    record = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "torch": version,
        "machine": machine(),
        "load_average_at_end": round(os.getloadavg()[0], 1),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
        "tokens": args.tokens,
        "hidden": args.hidden,
        "dtype": "float32",
        "rounds": dict(zip(map(str, args.vocab), rounds, strict=True)),
        "rows": [{"key": KEYS[row[0]], **dict(zip(keys, row, strict=True))} for row in rows],
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    with open(args.results, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
