"""The exercise checkers: correct functions pass, typical mistakes get a clear, deterministic report."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cecode import functional as cf
from cecode.exercises import ch01, ch02, ch03, ch04


def _stub(*args):
    raise NotImplementedError


def _ce_grad(x, t):
    return (cf.softmax(x, 1) - F.one_hot(t, x.shape[1]).to(x.dtype)) / x.shape[0]


def _smoothed(t, c, eps):
    return F.one_hot(t, c).float() * (1 - eps) + eps / c


def _naive_logsumexp(x, dim):
    return x.exp().sum(dim).log()


def _naive_weighted(x, t, w):
    return cf.naive_cross_entropy(x, t, reduction="none").mul(w[t]).sum() / w[t].sum()


# (checker, correct function, naive function that overflows for logits of magnitude 1000)
CHECKERS = [
    (ch01.check_softmax, cf.softmax, cf.naive_softmax),
    (ch01.check_logsumexp, cf.logsumexp, _naive_logsumexp),
    (ch02.check_cross_entropy, cf.cross_entropy, cf.naive_cross_entropy),
    (
        ch02.check_cross_entropy_grad,
        _ce_grad,
        lambda x, t: (cf.naive_softmax(x, 1) - F.one_hot(t, x.shape[1])) / len(t),
    ),
    (
        ch04.check_weighted_cross_entropy,
        lambda x, t, w: cf.cross_entropy(x, t, weight=w),
        _naive_weighted,
    ),
]
ALL = [
    *[c[:2] for c in CHECKERS],
    (ch03.check_nll_loss, cf.nll_loss),
    (ch04.check_smoothed_targets, _smoothed),
]


@pytest.mark.parametrize(("checker", "fn"), ALL)
def test_correct_implementation_passes(checker, fn):
    report = checker(fn)
    assert report.passed, str(report)
    assert report.failures == []
    assert str(report) == f"All {report.n_checks} checks passed."
    assert report.n_checks >= 5


@pytest.mark.parametrize(("checker", "correct", "naive"), CHECKERS)
def test_naive_implementation_fails_for_magnitude_1000(checker, correct, naive):
    report = checker(naive)
    assert not report.passed
    assert len(report.failures) >= 1
    assert all("logits of magnitude 1000" in f for f in report.failures), str(report)
    assert str(report).startswith(f"{len(report.failures)} of {report.n_checks} checks failed:\n- ")


def test_naive_softmax_report_text():
    report = ch01.check_softmax(cf.naive_softmax)
    assert str(report) == (
        "1 of 7 checks failed:\n"
        "- fails for logits of magnitude 1000: got nan, expected 0.5000 at index (0, 0)"
    )
    assert repr(report) == str(report)


def test_naive_cross_entropy_report_text():
    report = ch02.check_cross_entropy(cf.naive_cross_entropy)
    assert report.failures == ["fails for logits of magnitude 1000: got nan, expected 0.9481"]


@pytest.mark.parametrize(("checker", "fn"), ALL)
def test_stub_reports_not_implemented(checker, fn):
    report = checker(_stub)
    assert not report.passed
    assert str(report).startswith("Not implemented yet: ")
    assert "NotImplementedError" in str(report)


def test_wrong_shape_is_reported():
    report = ch01.check_softmax(lambda x, dim: x.exp().sum(dim))
    assert not report.passed
    assert report.failures[0] == "wrong shape for small random logits: got (4,), expected (4, 10)"
    report = ch02.check_cross_entropy(lambda x, t: cf.cross_entropy(x, t, reduction="none"))
    assert report.failures[0] == "wrong shape for small random logits: got (4,), expected ()"


def test_logsumexp_with_keepdim_is_a_shape_error():
    report = ch01.check_logsumexp(lambda x, dim: cf.logsumexp(x, dim, keepdim=True))
    assert "wrong shape for small random logits: got (4, 1), expected (4,)" in report.failures


def test_wrong_dim_is_caught():
    report = ch01.check_softmax(lambda x, dim: cf.softmax(x, -1))
    assert not report.passed
    assert any(f.startswith("fails for dim=0 (columns sum to 1): got") for f in report.failures)


def test_exceptions_are_reported_not_raised():
    def broken(x, t):
        raise ValueError("shapes do not match")

    report = ch02.check_cross_entropy(broken)
    assert not report.passed
    assert report.failures[0] == (
        "for small random logits: your function raised ValueError: shapes do not match"
    )
    assert len(report.failures) == report.n_checks


def test_non_tensor_result_is_reported_and_numbers_are_accepted():
    report = ch01.check_softmax(lambda x, dim: x.tolist())
    assert report.failures[0] == "for small random logits: expected a torch.Tensor, got list"
    assert ch02.check_cross_entropy(lambda x, t: cf.cross_entropy(x, t).item()).passed


def test_weighted_mean_must_divide_by_target_weights():
    def divides_by_n(x, t, w):
        return (cf.cross_entropy(x, t, reduction="none") * w[t]).mean()

    report = ch04.check_weighted_cross_entropy(divides_by_n)
    assert not report.passed
    assert any(f.startswith("fails for small random logits: got") for f in report.failures)


def test_wrong_smoothing_denominator_fails():
    report = ch04.check_smoothed_targets(lambda t, c, e: F.one_hot(t, c) * (1 - e) + e / (c - 1))
    assert not report.passed
    assert "fails for label_smoothing=1 (uniform): got 0.3333, expected 0.2500 at index (0, 0)" in (
        report.failures
    )


def test_gradient_of_the_sum_instead_of_the_mean_fails():
    report = ch02.check_cross_entropy_grad(lambda x, t: _ce_grad(x, t) * x.shape[0])
    assert not report.passed
    assert "a batch of one sample" not in str(report)  # N = 1: sum and mean agree


def test_inputs_are_not_shared_between_cases():
    def in_place(x, dim):
        out = cf.softmax(x, dim)
        x.zero_()  # a reader's function that modifies its input must not break later cases
        return out

    assert ch01.check_softmax(in_place).passed


def test_reports_are_deterministic():
    assert str(ch01.check_logsumexp(_naive_logsumexp)) == str(
        ch01.check_logsumexp(_naive_logsumexp)
    )


def test_checker_rejects_non_callable():
    with pytest.raises(TypeError, match="fn: expected your function"):
        ch01.check_softmax(torch.zeros(3))
