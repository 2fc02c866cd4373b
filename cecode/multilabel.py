r"""Multi-label data from MNIST: images that hold several real digits side by side.

:func:`multi_digit_images` builds a multi-label data set out of a single-label one. Each new
image is ``max_digits`` slots of width ``W`` placed side by side; ``k`` of the slots (``k``
drawn uniformly from ``num_digits``) hold real images of ``k`` *different* digits, the other
slots are blank (the background value). The target is the multi-hot vector
:math:`y \in \{0, 1\}^C` with :math:`y_c = 1` exactly when digit ``c`` appears in the image,
so the labels of one image are not mutually exclusive, the setting of a sigmoid per label
and binary cross-entropy (:mod:`cecode.binary`) rather than one softmax.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from cecode import _validate as v

__all__ = ["multi_digit_images"]


def _check_num_digits(num_digits: object, num_classes: int) -> tuple[int, ...]:
    if not isinstance(num_digits, Sequence) or isinstance(num_digits, str) or not num_digits:
        raise TypeError(
            f"num_digits: expected a non-empty sequence of ints, got {type(num_digits).__name__}"
        )
    for k in num_digits:
        v.check_positive_int("num_digits", k)
        if k > num_classes:
            raise ValueError(
                f"num_digits: expected digit counts in [1, {num_classes}] (distinct classes "
                f"per image), got {k}"
            )
    return tuple(int(k) for k in num_digits)


def _check_images_labels(images: object, labels: object, num_classes: int) -> None:
    v.check_floating("images", images)
    assert isinstance(images, Tensor)
    if images.dim() != 4:
        raise ValueError(
            f"images: expected a 4-D tensor (N, 1, H, W), got shape {v.shape_str(images.shape)}"
        )
    v.check_tensor("labels", labels)
    assert isinstance(labels, Tensor)
    if labels.dtype != torch.int64:
        raise TypeError(f"labels: expected dtype torch.int64, got dtype {labels.dtype}")
    if tuple(labels.shape) != (images.shape[0],):
        raise ValueError(
            f"labels: expected shape ({images.shape[0]},) (one label per image), "
            f"got shape {v.shape_str(labels.shape)}"
        )
    present = torch.bincount(labels.clamp(0, num_classes), minlength=num_classes + 1)
    if bool((labels < 0).any()) or bool((labels >= num_classes).any()):
        raise ValueError(f"labels: expected class indices in [0, {num_classes})")
    if bool((present[:num_classes] == 0).any()):
        missing = int((present[:num_classes] == 0).nonzero()[0, 0])
        raise ValueError(f"labels: expected every class to occur, got no image of class {missing}")


def multi_digit_images(
    images: Tensor,
    labels: Tensor,
    n: int,
    num_digits: Sequence[int] = (2, 3),
    num_classes: int = 10,
    seed: int = 0,
) -> tuple[Tensor, Tensor]:
    """Compose ``n`` images of several different digits side by side, with multi-hot targets.

    For each new image: draw ``k`` from ``num_digits`` (uniformly), ``k`` distinct classes
    (uniformly), for each class one image of that class from ``images`` (uniformly), and
    ``k`` of the ``max(num_digits)`` slots (uniformly); the other slots get the background
    value ``images.min()``. Only the images given are used, so a training split gives
    training images and a test split test images.

    Parameters
    ----------
    images : Tensor
        ``(M, 1, H, W)`` floating single-digit images (e.g. normalized MNIST).
    labels : Tensor
        ``(M,)`` int64 classes in ``[0, num_classes)``; every class must occur.
    n : int
        Number of images to build, ``n >= 1``.
    num_digits : sequence of int, optional
        The possible numbers of digits per image, by default ``(2, 3)`` (each in ``[1, num_classes]``).
    num_classes : int, default 10
        Number of classes ``C``.
    seed : int, default 0
        Seed of all the random choices (same seed, same data on every machine).

    Returns
    -------
    images : Tensor
        ``(n, 1, H, K * W)`` with ``K = max(num_digits)``, the dtype of ``images``.
    targets : Tensor
        ``(n, C)`` float32 multi-hot: ``targets[i, c] = 1`` when digit ``c`` is in image ``i``;
        each row sums to its ``k``.
    """
    v.check_positive_int("num_classes", num_classes, minimum=2)
    _check_images_labels(images, labels, num_classes)
    v.check_positive_int("n", n)
    v.check_int("seed", seed)
    ks = _check_num_digits(num_digits, num_classes)
    slots = max(ks)
    g = torch.Generator().manual_seed(seed)
    k = torch.tensor(ks)[torch.randint(len(ks), (n,), generator=g)]  # (n,)
    classes = torch.rand(n, num_classes, generator=g).argsort(dim=1)[:, :slots]  # distinct
    used = torch.arange(slots) < k[:, None]  # (n, slots): the first k classes are used
    order = labels.argsort(stable=True)  # image indices grouped by class
    counts = torch.bincount(labels, minlength=num_classes)
    starts = counts.cumsum(0) - counts
    pick = (torch.rand(n, slots, generator=g) * counts[classes]).long()
    index = order[starts[classes] + pick]  # (n, slots) image indices of those classes
    slot_of = torch.rand(n, slots, generator=g).argsort(dim=1)  # where each digit goes
    _, c, h, w = images.shape
    tiles = images[index]  # (n, slots, 1, H, W)
    tiles[~used] = images.min()
    placed = torch.empty_like(tiles)
    placed.scatter_(1, slot_of[:, :, None, None, None].expand_as(tiles), tiles)
    composed = placed.permute(0, 2, 3, 1, 4).reshape(n, c, h, slots * w)
    targets = torch.zeros(n, num_classes)
    targets.scatter_(1, classes, used.float())
    return composed, targets
