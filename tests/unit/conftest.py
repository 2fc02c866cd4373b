"""The unit lane (``make test-fast``): one torch thread, so timings and results do not depend
on how busy the shared cores are (they varied 5x with the default thread count)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Pin ``torch.set_num_threads(1)`` for the whole unit lane; restore it afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
