"""cecode.multilabel: composed images hold exactly the digits their targets name."""

from __future__ import annotations

import pytest
import torch

from cecode import multilabel


def _digits(m=60, c=10, size=4, seed=0):
    """Tiny fake "digits": image of class k is filled with the value k + 1 (background 0)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.cat([torch.arange(c), torch.randint(0, c, (m - c,), generator=g)])
    images = (labels.float() + 1)[:, None, None, None].expand(m, 1, size, size).clone()
    images[0, 0, 0, 0] = 0.0  # the background value images.min()
    return images, labels


@pytest.mark.parametrize("num_digits", [(2, 3), (1,), (3,), (1, 4)])
def test_images_hold_the_digits_of_their_targets(num_digits):
    images, labels = _digits()
    x, y = multilabel.multi_digit_images(images, labels, 200, num_digits=num_digits, seed=1)
    slots = max(num_digits)
    assert x.shape == (200, 1, 4, 4 * slots) and y.shape == (200, 10)
    assert y.dtype == torch.float32 and set(y.unique().tolist()) <= {0.0, 1.0}
    assert set(y.sum(1).long().tolist()) <= set(num_digits)
    for i in range(200):
        # the value in the middle of each slot says which class (0 = blank slot)
        found = {int(v) - 1 for v in x[i, 0, 2, 2::4].tolist() if v > 0}
        assert found == set(y[i].nonzero().squeeze(1).tolist())


def test_deterministic_and_every_count_occurs():
    images, labels = _digits()
    a = multilabel.multi_digit_images(images, labels, 300, seed=3)
    b = multilabel.multi_digit_images(images, labels, 300, seed=3)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    counts = torch.bincount(a[1].sum(1).long(), minlength=4)
    assert counts[2] > 100 and counts[3] > 100 and counts[0] == counts[1] == 0
    c = multilabel.multi_digit_images(images, labels, 300, seed=4)
    assert not torch.equal(a[1], c[1])


def test_every_class_appears_about_equally():
    images, labels = _digits()
    _, y = multilabel.multi_digit_images(images, labels, 4000, seed=5)
    freq = y.mean(0)
    assert bool(((freq - 0.25).abs() < 0.03).all())  # 2.5 digits of 10 on average


@pytest.mark.parametrize(
    ("kwargs", "exc", "word"),
    [
        ({"n": 0}, ValueError, "n:"),
        ({"n": 2.5}, TypeError, "n:"),
        ({"num_digits": (2, 11)}, ValueError, "num_digits:"),
        ({"num_digits": 2}, TypeError, "num_digits:"),
        ({"num_digits": ()}, TypeError, "num_digits:"),
        ({"seed": "0"}, TypeError, "seed:"),
        ({"num_classes": 1}, ValueError, "num_classes:"),
    ],
)
def test_bad_arguments(kwargs, exc, word):
    images, labels = _digits()
    args = {"n": 5, **kwargs}
    with pytest.raises(exc, match=word):
        multilabel.multi_digit_images(images, labels, **args)


def test_bad_images_and_labels():
    images, labels = _digits()
    with pytest.raises(ValueError, match="images:"):
        multilabel.multi_digit_images(images[:, 0], labels, 5)
    with pytest.raises(TypeError, match="labels:"):
        multilabel.multi_digit_images(images, labels.float(), 5)
    with pytest.raises(ValueError, match="labels:.*class 3"):
        multilabel.multi_digit_images(images[labels != 3], labels[labels != 3], 5)
    with pytest.raises(ValueError, match="labels:"):
        multilabel.multi_digit_images(images, labels[:-1], 5)
