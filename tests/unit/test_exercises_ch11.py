"""Chapter 11's exercise checkers: right answers pass, typical mistakes fail clearly."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cecode import binary as cb
from cecode.exercises import ch11


def _stub(*args):
    raise NotImplementedError


def _prior_bias(t):
    p = t.mean(0)
    return torch.log(p / (1 - p))


def _pos_weight(t):
    pos = t.sum(0)
    return (len(t) - pos) / pos


def _la(z, y, counts, tau):
    return F.cross_entropy(z + tau * torch.log(counts / counts.sum()), y)


RIGHT = [
    (ch11.check_bce_with_logits, lambda z, t: cb.binary_cross_entropy_with_logits(z, t, reduction="none")),
    (ch11.check_prior_bias, _prior_bias),
    (ch11.check_pos_weight, _pos_weight),
    (ch11.check_logit_adjusted_cross_entropy, _la),
]  # fmt: skip


@pytest.mark.parametrize(("checker", "fn"), RIGHT)
def test_right_answers_pass(checker, fn):
    report = checker(fn)
    assert report.passed, report
    assert str(report) == f"All {report.n_checks} checks passed."


@pytest.mark.parametrize("checker", [c for c, _ in RIGHT])
def test_stub_is_not_implemented(checker):
    report = checker(_stub)
    assert not report.passed and report.not_implemented
    assert str(report).startswith("Not implemented yet")


def test_bce_through_probabilities_fails_for_large_logits():
    def through_probs(z, t):
        p = torch.sigmoid(z)
        return -(t * p.log() + (1 - t) * (1 - p).log())

    report = ch11.check_bce_with_logits(through_probs)
    assert not report.passed
    assert "magnitude 1000, wrong side" in str(report)
    assert "small random logits" not in str(report)


def test_prior_bias_as_log_rate_fails():
    report = ch11.check_prior_bias(lambda t: t.mean(0).log())
    assert not report.passed and len(report.failures) == report.n_checks


def test_pos_weight_as_positive_fraction_fails():
    report = ch11.check_pos_weight(lambda t: t.mean(0))
    assert not report.passed


def test_logit_adjustment_with_wrong_sign_fails_except_where_it_cannot_matter():
    report = ch11.check_logit_adjusted_cross_entropy(lambda z, y, c, tau: _la(z, y, c, -tau))
    assert not report.passed
    text = str(report)
    assert "tau = 0" not in text and "equal counts" not in text
