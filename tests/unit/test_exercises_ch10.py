"""Chapter 10's exercise checkers: correct answers pass, typical mistakes fail, stubs say so."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from cecode import information
from cecode.exercises import ch10


def _stub(*args):
    raise NotImplementedError


def entropy_bits(counts):
    f = counts.double() / counts.sum()
    return torch.special.entr(f).sum() / math.log(2)


def entropy_nats(counts):  # mistake: nats instead of bits
    f = counts.double() / counts.sum()
    return torch.special.entr(f).sum()


def entropy_nan_for_zeros(counts):  # mistake: 0 * log 0 = nan
    f = counts.double() / counts.sum()
    return -(f * f.log2()).sum()


def perplexity(logits, target):
    return F.cross_entropy(logits, target).exp()


def perplexity_mean_of_exps(logits, target):  # mistake: mean of per-row exponentials
    return F.cross_entropy(logits, target, reduction="none").exp().mean()


def kl_rows(target, logits):
    cross = F.cross_entropy(logits, target, reduction="none")  # H(t, p)
    return cross - torch.special.entr(target).sum(dim=1)


def kl_rows_swapped(target, logits):  # mistake: KL(p || t)
    p = logits.softmax(dim=1)
    return (p * (p.log() - target.log())).sum(dim=1)


def mean_kl(logits, target):
    return F.kl_div(logits.log_softmax(dim=1), target, reduction="batchmean")


def mean_kl_reduction_mean(logits, target):  # mistake: divides by N * C
    return F.kl_div(logits.log_softmax(dim=1), target, reduction="sum") / target.numel()


def mean_kl_probabilities(logits, target):  # mistake: probabilities as input
    return F.kl_div(logits.softmax(dim=1), target, reduction="batchmean")


CASES = [
    (ch10.check_entropy_bits, entropy_bits, [entropy_nats, entropy_nan_for_zeros]),
    (ch10.check_perplexity, perplexity, [perplexity_mean_of_exps]),
    (ch10.check_kl_per_row, kl_rows, [kl_rows_swapped]),
    (ch10.check_mean_kl, mean_kl, [mean_kl_reduction_mean, mean_kl_probabilities]),
]


@pytest.mark.parametrize(("checker", "correct", "mistakes"), CASES)
def test_checker(checker, correct, mistakes):
    report = checker(correct)
    assert report.passed, report
    assert report.n_checks >= 5
    stub = checker(_stub)
    assert not stub.passed and stub.not_implemented
    assert str(stub).startswith("Not implemented yet")
    for mistake in mistakes:
        bad = checker(mistake)
        assert not bad.passed and bad.failures, mistake.__name__
        assert str(bad) == str(checker(mistake))  # deterministic report


def test_mean_kl_checker_accepts_cecode_kl_div():
    def with_cecode(logits, target):
        return information.kl_div(logits.log_softmax(1), target, reduction="batchmean")

    assert ch10.check_mean_kl(with_cecode).passed


def test_checkers_reject_non_callables():
    with pytest.raises(TypeError, match="fn"):
        ch10.check_perplexity("not a function")
