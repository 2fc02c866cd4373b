"""Chapter 13's checkers: correct answers pass, stubs and typical mistakes get a clear report."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cecode.exercises import ch13


def _stub(*args):
    raise NotImplementedError


def _trigram(train, val, vocab_size, alpha):
    counts = torch.zeros(vocab_size, vocab_size, vocab_size, dtype=torch.float64)
    for a, b, c in zip(train[:-2].tolist(), train[1:-1].tolist(), train[2:].tolist(), strict=True):
        counts[a, b, c] += 1
    probs = (counts + alpha) / (counts + alpha).sum(2, keepdim=True)
    return (
        -torch.stack([probs[a, b, c] for a, b, c in zip(val[:-2], val[1:-1], val[2:], strict=True)])
        .log()
        .mean()
    )


def _packed(tokens, doc_ids):
    out = tokens[1:].clone()
    for t in range(len(out)):
        if doc_ids[t + 1] != doc_ids[t]:
            out[t] = -100
    return out


def _ce_z(logits, target, coefficient):
    keep = target != -100
    log_z = torch.logsumexp(logits[keep], 1)
    return (
        F.cross_entropy(logits[keep], target[keep], reduction="none") + coefficient * log_z**2
    ).mean()


def _sliced(slices, target):
    return F.cross_entropy(torch.cat(slices, 1), target, reduction="none")


CORRECT = [
    (ch13.check_trigram_cross_entropy, _trigram),
    (ch13.check_packed_targets, _packed),
    (ch13.check_cross_entropy_with_z_loss, _ce_z),
    (ch13.check_sliced_cross_entropy, _sliced),
]


def test_correct_answers_pass_and_stubs_are_not_implemented():
    for checker, fn in CORRECT:
        report = checker(fn)
        assert report.passed, str(report)
        assert report.n_checks >= 4
        stub = checker(_stub)
        assert stub.not_implemented and str(stub).startswith("Not implemented yet")


def test_typical_mistakes_fail_on_the_right_cases():
    # the bigram's context instead of the trigram's
    def bigram(train, val, vocab_size, alpha):
        return _trigram(torch.cat([train[:1], train]), torch.cat([val[:1], val]), vocab_size, alpha)

    assert not ch13.check_trigram_cross_entropy(bigram).passed
    # no document boundaries
    report = ch13.check_packed_targets(lambda tokens, doc_ids: tokens[1:])
    assert not report.passed and "one document" not in str(report)

    # z-loss over all rows, ignored ones included
    def all_rows(logits, target, coefficient):
        z_term = coefficient * torch.logsumexp(logits, 1).square().mean()
        return F.cross_entropy(logits, target) + z_term

    report = ch13.check_cross_entropy_with_z_loss(all_rows)
    assert report.failures and all("ignored" in f for f in report.failures), str(report)

    # naive exponentials overflow for logits of magnitude 1000
    def naive(slices, target):
        full = torch.cat(slices, 1)
        return full.exp().sum(1).log() - full.gather(1, target[:, None]).squeeze(1)

    report = ch13.check_sliced_cross_entropy(naive)
    assert report.failures and all("magnitude 1000" in f for f in report.failures), str(report)
