"""The book's model: a small multilayer perceptron (MLP) for 28x28 digit images."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from cecode import _validate as v

__all__ = ["MLP"]


class MLP(nn.Sequential):
    """Flatten -> Linear(784, hidden) -> ReLU -> [Dropout] -> Linear(hidden, 10).

    The layers are named, so parameter names read ``fc1.weight``, ``fc1.bias``, ``fc2.weight``,
    ``fc2.bias``; indexing (``model[1]`` is ``fc1``) works as for any ``nn.Sequential``.
    With the default ``hidden=128`` the model has
    ``784 * 128 + 128 + 128 * 10 + 10 = 101,770`` parameters.

    Parameters
    ----------
    hidden : int
        Width of the hidden layer.
    dropout : float
        Dropout probability after the ReLU, in ``[0, 1)``; with ``0.0`` (default) there is no
        dropout layer at all.

    Notes
    -----
    Input: ``(N, 1, 28, 28)`` or ``(N, 784)``; output: raw logits ``(N, 10)`` (no softmax: the
    loss, ``F.cross_entropy``, applies ``log_softmax`` itself).
    """

    def __init__(self, hidden: int = 128, dropout: float = 0.0):
        v.check_positive_int("hidden", hidden)
        v.check_real("dropout", dropout, 0.0, 1.0, high_open=True)
        layers: OrderedDict[str, nn.Module] = OrderedDict(
            flatten=nn.Flatten(), fc1=nn.Linear(28 * 28, hidden), relu=nn.ReLU()
        )
        if dropout > 0:
            layers["dropout"] = nn.Dropout(dropout)
        layers["fc2"] = nn.Linear(hidden, 10)
        super().__init__(layers)
        self.hidden, self.dropout_p = hidden, float(dropout)
