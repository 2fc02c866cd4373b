"""The checkers added for chapters 1-3: a correct function passes, a typical mistake fails with a
report that names the failing case, and the unchanged stub says "Not implemented yet"."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from cecode import functional as cf
from cecode.exercises import ch01, ch02, ch03


def _stub(*args):
    raise NotImplementedError


def _softmax_with_temperature(logits, T):
    return cf.softmax(logits / T, dim=-1)


def _margin_loss(margin, num_classes):
    return F.softplus(math.log(num_classes - 1) - margin)


def _cross_entropy_nd(logits, target):
    log_probs = F.log_softmax(logits, dim=1)
    return -log_probs.gather(1, target.unsqueeze(1)).squeeze(1).mean()


def _focal_loss(logits, target, gamma):
    log_p_y = F.log_softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
    return (-((1 - log_p_y.exp()) ** gamma) * log_p_y).mean()


# (checker, a correct function, a typical mistake, a case name the mistake must fail on)
NEW_CHECKERS = [
    (
        ch01.check_softmax_with_temperature,
        _softmax_with_temperature,
        lambda logits, T: cf.softmax(logits * T, dim=-1),  # multiplies by T
        "T = 0.5 (sharper)",
    ),
    (
        ch01.check_softmax_with_temperature,
        _softmax_with_temperature,
        lambda logits, T: cf.naive_softmax(logits / T, dim=-1),  # not stable
        "T = 0.01 (logits / T of magnitude ~1000)",
    ),
    (
        ch02.check_margin_loss,
        _margin_loss,
        lambda m, c: torch.log(1 + (c - 1) * torch.exp(-m)),  # overflows
        "margins of magnitude 1000, C = 10",
    ),
    (
        ch02.check_margin_loss,
        _margin_loss,
        lambda m, c: F.softplus(-m),  # forgets the C - 1 other classes
        "margins from -8 to 8, C = 10",
    ),
    (
        ch03.check_cross_entropy_nd,
        _cross_entropy_nd,
        lambda x, t: F.nll_loss(F.log_softmax(x, dim=-1), t),  # wrong dimension
        "(N, C, H, W) pixel logits",
    ),
    (
        ch03.check_focal_loss,
        _focal_loss,
        lambda x, t, g: (
            -((1 - F.softmax(x, 1).gather(1, t[:, None])) ** g)
            * F.softmax(x, 1).gather(1, t[:, None]).log()
        ).mean(),  # log of softmax: -inf where p_y underflows
        "correct class 150-200 behind (p_y underflows to 0), gamma = 2",
    ),
    (
        ch03.check_focal_loss,
        _focal_loss,
        lambda x, t, g: F.cross_entropy(x, t),  # forgets the factor (1 - p_y)^gamma
        "small random logits, gamma = 2",
    ),
]


@pytest.mark.parametrize(("checker", "correct", "mistake", "case"), NEW_CHECKERS)
def test_correct_function_passes(checker, correct, mistake, case):
    report = checker(correct)
    assert report.passed, str(report)
    assert str(report) == f"All {report.n_checks} checks passed."
    assert report.n_checks >= 5


@pytest.mark.parametrize(("checker", "correct", "mistake", "case"), NEW_CHECKERS)
def test_typical_mistake_fails_with_a_clear_report(checker, correct, mistake, case):
    report = checker(mistake)
    assert not report.passed
    assert any(f.startswith(f"fails for {case}: got ") for f in report.failures), str(report)
    assert str(report).startswith(f"{len(report.failures)} of {report.n_checks} checks failed:")
    assert all(len(line) <= 79 for line in str(report).splitlines())


@pytest.mark.parametrize("checker", sorted({c[0] for c in NEW_CHECKERS}, key=lambda c: c.__name__))
def test_stub_reports_not_implemented(checker):
    report = checker(_stub)
    assert not report.passed and report.not_implemented
    assert str(report).startswith("Not implemented yet: ")
    assert all(len(line) <= 79 for line in str(report).splitlines())


def test_focal_loss_with_gamma_zero_is_checked_against_cross_entropy():
    report = ch03.check_focal_loss(lambda x, t, g: F.cross_entropy(x, t))
    # the gamma = 0 case passes (it is the cross-entropy), the others fail
    assert not any("gamma = 0: got" in f for f in report.failures), str(report)
    assert not report.passed


def test_cross_entropy_nd_accepts_plain_two_dimensional_logits():
    report = ch03.check_cross_entropy_nd(lambda x, t: F.cross_entropy(x, t))
    assert report.passed, str(report)
