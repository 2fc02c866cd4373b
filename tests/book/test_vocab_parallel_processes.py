"""cecode.distributed.vocab_parallel_cross_entropy in 2 and 3 real processes (gloo, 127.0.0.1).

Each launch runs many cases, so the processes start only a few times. Values and gradients are
compared with ``F.cross_entropy`` on the full logits (and with PyTorch's ``loss_parallel``);
inconsistent inputs must raise the same ``ValueError`` on every rank, so that no rank waits
forever in a collective. A rank that aborts in gloo's teardown after saving its results is not a
failure (``run_ranks``).
"""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from cecode import distributed as cd

REDUCTIONS = ("mean", "sum", "none")


def _reference(logits, target, reduction, weights, ignore_index=-100):
    x = logits.clone().requires_grad_()
    loss = F.cross_entropy(x, target, reduction=reduction, ignore_index=ignore_index)
    (loss * (weights if reduction == "none" else 1.0)).sum().backward()
    return loss.detach(), x.grad


@pytest.fixture(scope="module", params=[(2, [5, 5]), (3, [4, 3, 3])], ids=str)
def demo(request):
    world_size, widths = request.param
    return cd.run_vocab_parallel_demo(world_size, widths=widths, n_rows=9, timeout=120)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_values_and_gradients_equal_cross_entropy_on_the_full_logits(demo, reduction):
    assert demo["ranks_agree"]
    assert (demo["target"] == -100).sum() == 3  # ignored targets are part of the case
    loss, grad = _reference(demo["logits"], demo["target"], reduction, demo["grad_weights"])
    torch.testing.assert_close(demo[f"loss_{reduction}"], loss)
    torch.testing.assert_close(demo[f"grad_{reduction}"], grad)
    assert grad[demo["target"] == -100].abs().max() == 0  # ignored rows: no gradient


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_parallel_agrees(demo, reduction):
    torch.testing.assert_close(demo[f"lp_loss_{reduction}"], demo[f"loss_{reduction}"])
    torch.testing.assert_close(demo[f"lp_grad_{reduction}"], demo[f"grad_{reduction}"])


def _edge_cases_rank(rank: int, world_size: int, widths: list[int]) -> dict:
    """Runs on every rank: bad inputs (caught) and edge cases (values returned)."""
    g = torch.Generator().manual_seed(1)
    vocab, start = sum(widths), sum(widths[:rank])
    logits = 4 * torch.randn(6, vocab, generator=g, dtype=torch.float64)
    target = torch.randint(vocab, (6,), generator=g)
    local = logits[:, start : start + widths[rank]]
    out: dict[str, object] = {"logits": logits, "target": target}

    def caught(name, fn):
        try:
            fn()
            out[name] = None
        except (ValueError, TypeError, RuntimeError) as err:
            out[name] = (type(err).__name__, str(err))

    outside = target.clone()
    outside[2] = vocab  # one past the last class of the last slice
    caught("outside", lambda: cd.vocab_parallel_cross_entropy(local, outside))
    negative = target.clone()
    negative[0] = -1
    caught("negative", lambda: cd.vocab_parallel_cross_entropy(local, negative))
    rows = 6 if rank == 0 else 5  # rank 0 has one more row than the others
    caught("rows", lambda: cd.vocab_parallel_cross_entropy(local[:rows], target[:rows].clone()))
    different = target.clone()
    different[1] = (different[1] + rank) % vocab  # each rank a different target
    caught("different", lambda: cd.vocab_parallel_cross_entropy(local, different))
    # still usable after the errors: an ignore_index inside the vocabulary, all ignored, bf16
    x = local.clone().requires_grad_()
    loss = cd.vocab_parallel_cross_entropy(x, target, ignore_index=int(target[0]))
    loss.backward()
    out["ignore0"], out["ignore0_grad"] = loss.detach(), x.grad
    x = local.clone().requires_grad_()
    loss = cd.vocab_parallel_cross_entropy(x, torch.full((6,), -100))
    loss.backward()
    out["all_ignored"], out["all_ignored_grad"] = loss.detach(), x.grad
    out["bf16"] = cd.vocab_parallel_cross_entropy(local.to(torch.bfloat16), target)
    group = dist.new_group(list(range(world_size)))
    out["group"] = cd.vocab_parallel_cross_entropy(local, target, group=group, reduction="sum")
    return out


@pytest.fixture(scope="module", params=[(2, [3, 5]), (3, [4, 3, 3])], ids=str)
def edge(request):
    world_size, widths = request.param
    results, exit_codes = cd.run_ranks(
        _edge_cases_rank, world_size, (widths,), timeout=120, caller="edge cases"
    )
    return widths, results


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("outside", ["target", "got 10 at position 2"]),
        ("negative", ["target", "got -1 at position 0"]),
        ("rows", ["local_logits", "same number of rows", "[6, 5"]),
        ("different", ["target", "same targets"]),
    ],
)
def test_bad_inputs_raise_the_same_value_error_on_every_rank(edge, case, words):
    widths, results = edge
    errors = [res[case] for res in results]
    assert all(e is not None and e[0] == "ValueError" for e in errors), errors
    assert len({e[1] for e in errors}) == 1  # the same message on every rank
    for word in words:
        if word.startswith("got 10"):
            word = f"got {sum(widths)} at position 2"
        assert word in errors[0][1], errors[0][1]


def test_edge_cases_after_errors(edge):
    widths, results = edge
    logits, target = results[0]["logits"], results[0]["target"]
    grads = torch.cat([res["ignore0_grad"] for res in results], dim=1)
    loss, grad = _reference(logits, target, "mean", None, ignore_index=int(target[0]))
    torch.testing.assert_close(results[0]["ignore0"], loss)
    torch.testing.assert_close(grads, grad)
    # every target ignored: PyTorch's mean is nan and its gradient zero
    assert torch.isnan(results[0]["all_ignored"])
    assert all(res["all_ignored_grad"].abs().max() == 0 for res in results)
    bf16 = results[0]["bf16"]
    assert bf16.dtype == torch.bfloat16
    torch.testing.assert_close(
        bf16.float(), F.cross_entropy(logits, target).float(), rtol=1e-2, atol=0
    )
    torch.testing.assert_close(
        results[0]["group"], F.cross_entropy(logits, target, reduction="sum")
    )
