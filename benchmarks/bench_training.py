"""Training throughput on MNIST: the textbook pipeline against ``cecode``'s in-memory ``fit``.

Both paths train the same 784-128-10 MLP (same initial weights) with Adam (lr 1e-3) and batches
of 64 for the same number of epochs over the 60,000 training images, then report their test
accuracy:

- **textbook**: ``DataLoader`` over ``torchvision.datasets.MNIST`` with ``ToTensor()`` +
  ``Normalize`` (``cecode.data.mnist_dataloader``), default ``torch.optim.Adam``, the usual
  loop, default floating-point settings (denormals not flushed);
- **in-memory**: the same loop and default Adam, but batches cut from the whole set held as one
  normalized tensor (``cecode.data.InMemoryLoader``): what the data pipeline alone costs;
- **cecode**: the whole set as one normalized tensor, ``cecode.training.fit``'s inner loop
  (index batches into preallocated buffers, fused Adam, denormals flushed to zero).

The epochs are interleaved (textbook epoch 1, in-memory epoch 1, cecode epoch 1, ...) so that a
change in the machine's load affects both alike; the table gives the median seconds per epoch,
images per second and the ratio. ``fit`` is called one epoch at a time with the same optimizer,
which is exactly its inner loop (no validation pass is timed).

Usage::

    python benchmarks/bench_training.py              # 3 epochs on the full training set
    python benchmarks/bench_training.py --epochs 5
    python benchmarks/bench_training.py --quick      # 1 epoch on 10,000 images (smoke test)

Data come from ``CECODE_DATA_DIR`` (see ``cecode.data``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
import torch.nn.functional as F

from cecode import data, evaluation, training
from cecode.models import MLP

BATCH_SIZE = 64
LR = 1e-3


def textbook_epoch(model, loader, optimizer) -> None:
    """The loop of countless tutorials, one epoch (any iterable of batches)."""
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per path (default 3)")
    parser.add_argument(
        "--quick", action="store_true", help="1 epoch on the first 10,000 training images"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    epochs = 1 if args.quick else args.epochs
    n_train = 10_000 if args.quick else 60_000
    load_before = os.getloadavg()

    # --- data for both paths (loading is not timed per epoch; reported once) -------------
    t0 = time.perf_counter()
    loader = data.mnist_dataloader(train=True, batch_size=BATCH_SIZE, shuffle=True, seed=0)
    if args.quick:
        subset = torch.utils.data.Subset(loader.dataset, range(n_train))
        loader = torch.utils.data.DataLoader(
            subset, batch_size=BATCH_SIZE, shuffle=True, generator=torch.Generator().manual_seed(0)
        )
    t_textbook_setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    images, labels = data.load_mnist_tensors(train=True)
    images, labels = images[:n_train], labels[:n_train]
    test = data.load_mnist_tensors(train=False)
    t_tensor_load = time.perf_counter() - t0

    # --- same initial weights --------------------------------------------------------
    training.seed_everything(0)
    model_a = MLP()
    model_b = MLP()
    model_b.load_state_dict(model_a.state_dict())
    model_m = MLP()
    model_m.load_state_dict(model_a.state_dict())
    opt_a = torch.optim.Adam(model_a.parameters(), lr=LR)  # the default implementation
    opt_m = torch.optim.Adam(model_m.parameters(), lr=LR)
    opt_b = training.make_adam(model_b.parameters(), lr=LR)  # fused where available
    in_memory = data.InMemoryLoader(images, labels, batch_size=BATCH_SIZE, seed=0)

    times: dict[str, list[float]] = {"textbook": [], "in-memory": [], "cecode": []}
    for epoch in range(epochs):
        torch.set_flush_denormal(False)  # the default floating-point mode
        t0 = time.perf_counter()
        textbook_epoch(model_a, loader, opt_a)
        times["textbook"].append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        textbook_epoch(model_m, in_memory, opt_m)
        times["in-memory"].append(time.perf_counter() - t0)

        t0 = time.perf_counter()  # fit sets flush-denormal itself
        training.fit(
            model_b, (images, labels), epochs=1, optimizer=opt_b, seed=epoch, progress=False
        )
        times["cecode"].append(time.perf_counter() - t0)
    torch.set_flush_denormal(False)

    acc = {
        "textbook": evaluation.evaluate(model_a, test)[1],
        "in-memory": evaluation.evaluate(model_m, test)[1],
        "cecode": evaluation.evaluate(model_b, test)[1],
    }
    med = {k: statistics.median(v) for k, v in times.items()}
    load_after = os.getloadavg()

    print(
        f"MNIST MLP 784-128-10, Adam lr {LR}, batch {BATCH_SIZE}, {n_train:,} training images, "
        f"{epochs} epoch(s) per path, interleaved; torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s)"
    )
    print(f"{'path':<10} {'s/epoch (median)':>17} {'images/s':>10} {'speed-up':>9} {'test acc':>9}")
    for k in times:
        print(
            f"{k:<10} {med[k]:>17.2f} {n_train / med[k]:>10,.0f} "
            f"{med['textbook'] / med[k]:>8.1f}x {acc[k]:>9.4f}"
        )
    for k in times:
        print(f"per-epoch seconds, {k}: " + " ".join(f"{t:.2f}" for t in times[k]))
    print(f"speed-up (textbook s/epoch / cecode s/epoch): {med['textbook'] / med['cecode']:.1f}x")
    print(
        f"test accuracy difference textbook - cecode: "
        f"{(acc['textbook'] - acc['cecode']) * 100:+.2f} points"
    )
    print(
        f"set-up (not in the table): DataLoader+dataset {t_textbook_setup:.2f} s, "
        f"in-memory tensors {t_tensor_load:.2f} s (cached per process)"
    )
    print(
        f"machine load average (1 min) before/after: {load_before[0]:.1f} / {load_after[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
