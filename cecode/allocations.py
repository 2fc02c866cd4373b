"""Which tensors PyTorch operations create: exact, machine-independent memory accounting.

Resident memory depends on the allocator, the thread count and the machine; the tensors that
operations return do not. :class:`TensorCreationRecorder` sees every operation PyTorch runs inside
its ``with`` block (also inside custom autograd functions, and in the backward pass when the block
calls ``backward()``) and records what they return, so chapters and tests can assert memory claims
exactly: "the chunked loss never creates a tensor as large as the logits" (chapter 9), "the naive
cross-entropy creates more full-size buffers than the combined one" (chapter 2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from cecode import _validate as v

__all__ = ["TensorCreationRecorder", "largest_tensor_created"]


def _real_tensors(tree: Any) -> list[Tensor]:
    """Return the tensors in a nested structure of arguments or results (not meta tensors)."""
    return [t for t in tree_flatten(tree)[0] if isinstance(t, Tensor) and t.device.type != "meta"]


class TensorCreationRecorder(TorchDispatchMode):
    """Record the tensors that the operations run inside the ``with`` block return.

    Parameters
    ----------
    min_buffer_bytes : int, optional
        If given, also collect every *new buffer* of at least this many bytes: the storage of a
        returned tensor that none of the operation's inputs shares (so views and in-place results
        do not count). Those buffers are kept alive until the recorder is discarded, so that a
        freed address reused by a later buffer is not mistaken for the same one; set it only for
        small experiments.

    Attributes
    ----------
    largest_bytes : int
        Size in bytes of the largest tensor any operation returned (a view counts with its own
        ``numel() * element_size()``).

    Examples
    --------
    >>> x = torch.randn(100, 10)
    >>> with TensorCreationRecorder(min_buffer_bytes=x.nbytes) as recorder:
    ...     y = x.exp()   # one new (100, 10) buffer
    ...     y.mul_(2)     # in place: no new buffer
    >>> recorder.new_buffer_count, recorder.largest_bytes
    (1, 4000)
    """

    def __init__(self, min_buffer_bytes: int | None = None) -> None:
        super().__init__()
        if min_buffer_bytes is not None:
            v.check_positive_int("min_buffer_bytes", min_buffer_bytes, minimum=0)
        self.min_buffer_bytes = min_buffer_bytes
        self.largest_bytes = 0
        self._new_buffers: dict[int, object] = {}

    @property
    def new_buffer_count(self) -> int:
        """Number of distinct new buffers of at least ``min_buffer_bytes`` (0 if not requested)."""
        return len(self._new_buffers)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[override]
        """Run the operation ``func`` and record the tensors it returns."""
        out = func(*args, **(kwargs or {}))
        results = _real_tensors(out)
        for t in results:
            self.largest_bytes = max(self.largest_bytes, t.numel() * t.element_size())
        if self.min_buffer_bytes is not None:
            self._collect_new_buffers(results, _real_tensors((args, kwargs)))
        return out

    def _collect_new_buffers(self, results: list[Tensor], inputs: list[Tensor]) -> None:
        input_addresses = {t.untyped_storage().data_ptr() for t in inputs}
        for t in results:
            storage = t.untyped_storage()
            address = storage.data_ptr()
            if address not in input_addresses and storage.nbytes() >= self.min_buffer_bytes:
                self._new_buffers.setdefault(address, storage)


def largest_tensor_created(fn: Callable[[], Any]) -> int:
    """Bytes of the largest tensor any PyTorch operation returns while ``fn()`` runs.

    Unlike a resident-memory measurement this number is exactly reproducible, so a test or a
    notebook can assert it.

    Parameters
    ----------
    fn : callable
        A function of no arguments, e.g. ``lambda: loss_fn(h, w, y).backward()``.

    Returns
    -------
    int
        The size in bytes of the largest tensor created (views count with their own size).
    """
    v.check_callable("fn", fn)
    with TensorCreationRecorder() as recorder:
        fn()
    return recorder.largest_bytes
