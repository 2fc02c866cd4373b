"""What ``model.parameters()`` holds: summaries, counting, freezing, optimizer parameter groups.

Name patterns in :func:`freeze`, :func:`unfreeze` and :func:`summary` are shell-style
wildcards matched with :func:`fnmatch.fnmatchcase` against the full parameter name from
``model.named_parameters()``: ``"fc1.*"`` matches ``fc1.weight`` and ``fc1.bias``, ``"*.bias"``
every bias, ``"*"`` everything. (``*`` also matches dots; use ``?`` for one character.)
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from html import escape

from torch import nn

from cecode import _validate as v

__all__ = [
    "ParameterRow",
    "ParameterTable",
    "summary",
    "count_parameters",
    "freeze",
    "unfreeze",
    "no_weight_decay_groups",
]


@dataclass(frozen=True)
class ParameterRow:
    """One parameter: its name, shape, number of elements and whether it is trainable."""

    name: str
    shape: tuple[int, ...]
    count: int
    trainable: bool


class ParameterTable:
    """A small table of a model's parameters with a deterministic text (and HTML) representation.

    Attributes
    ----------
    rows : list of ParameterRow
        One row per parameter, in ``named_parameters()`` order.
    """

    def __init__(self, rows: list[ParameterRow]):
        if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
            raise TypeError(f"rows: expected a list of ParameterRow, got {type(rows).__name__}")
        self.rows = list(rows)
        for row in self.rows:
            if not isinstance(row, ParameterRow):
                raise TypeError(
                    f"rows: expected a list of ParameterRow, got a {type(row).__name__}"
                )

    @property
    def total(self) -> int:
        """Number of parameter elements."""
        return sum(r.count for r in self.rows)

    @property
    def trainable(self) -> int:
        """Number of parameter elements with ``requires_grad=True``."""
        return sum(r.count for r in self.rows if r.trainable)

    def __len__(self) -> int:
        """Return the number of rows (parameters)."""
        return len(self.rows)

    def _cells(self) -> list[tuple[str, str, str, str]]:
        return [
            (r.name, str(list(r.shape)), f"{r.count:,}", "yes" if r.trainable else "no")
            for r in self.rows
        ]

    def __repr__(self) -> str:
        """Return the aligned text table with a total line."""
        header = ("name", "shape", "count", "trainable")
        cells = self._cells()
        widths = [max(len(row[i]) for row in [header, *cells]) for i in range(4)]

        def line(row):
            return "  ".join(
                row[i].rjust(widths[i]) if i == 2 else row[i].ljust(widths[i]) for i in range(4)
            ).rstrip()

        rule = "-" * len(line(header))
        footer = f"total {self.total:,} parameters, {self.trainable:,} trainable"
        return "\n".join([line(header), rule, *map(line, cells), rule, footer])

    __str__ = __repr__

    def _repr_html_(self) -> str:
        body = "".join(
            "<tr>"
            + "".join(
                f'<td style="text-align:{"right" if i == 2 else "left"}">{escape(c)}</td>'
                for i, c in enumerate(row)
            )
            + "</tr>"
            for row in self._cells()
        )
        return (
            "<table><thead><tr><th>name</th><th>shape</th><th>count</th><th>trainable</th></tr>"
            f"</thead><tbody>{body}</tbody></table>"
            f"<p>total {self.total:,} parameters, {self.trainable:,} trainable</p>"
        )


def summary(model: nn.Module) -> ParameterTable:
    """Tabulate ``model.named_parameters()``: name, shape, count, trainable.

    Parameters
    ----------
    model : nn.Module
        Any module.

    Returns
    -------
    ParameterTable
        Prints as an aligned text table with a total; renders as HTML in Jupyter.
    """
    v.check_module("model", model)
    return ParameterTable(
        [
            ParameterRow(name, tuple(p.shape), p.numel(), p.requires_grad)
            for name, p in model.named_parameters()
        ]
    )


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Count the parameter elements, the sum of ``p.numel()`` over ``model.parameters()``.

    Parameters
    ----------
    model : nn.Module
        Any module (shared parameters are counted once, as ``parameters()`` yields them once).
    trainable_only : bool
        Count only parameters with ``requires_grad=True``.

    Returns
    -------
    int
    """
    v.check_module("model", model)
    v.check_bool("trainable_only", trainable_only)
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _set_requires_grad(model: nn.Module, patterns: tuple[str, ...], value: bool) -> list[str]:
    v.check_module("model", model)
    if not patterns:
        raise ValueError("patterns: expected at least one name pattern such as 'fc1.*', got none")
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise TypeError(f"patterns: expected str name patterns, got {type(pattern).__name__}")
    names = [name for name, _ in model.named_parameters()]
    affected = []
    for name, p in model.named_parameters():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
            p.requires_grad_(value)
            affected.append(name)
    if not affected:
        raise ValueError(
            f"patterns: expected a pattern that matches a parameter name ({names}), "
            f"got {list(patterns)}"
        )
    return affected


def freeze(model: nn.Module, *patterns: str) -> list[str]:
    """Set ``requires_grad=False`` on the parameters whose names match any of ``patterns``.

    Parameters
    ----------
    model : nn.Module
        The model, changed in place.
    *patterns : str
        Shell-style wildcards (``fnmatch``), e.g. ``"fc1.*"``.

    Returns
    -------
    list of str
        Names of the parameters frozen, in ``named_parameters()`` order.

    Raises
    ------
    ValueError
        If no pattern is given or nothing matches (the message lists the names).
    """
    return _set_requires_grad(model, patterns, False)


def unfreeze(model: nn.Module, *patterns: str) -> list[str]:
    """Set ``requires_grad=True`` on the parameters whose names match any of ``patterns``.

    Parameters
    ----------
    model : nn.Module
        The model, changed in place.
    *patterns : str
        Shell-style wildcards (``fnmatch``).

    Returns
    -------
    list of str
        Names of the parameters unfrozen.

    Raises
    ------
    ValueError
        If no pattern is given or nothing matches.
    """
    return _set_requires_grad(model, patterns, True)


_NORM_TYPES = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)


def no_weight_decay_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Optimizer parameter groups: weight decay on weights, none on biases and normalization layers.

    Parameters
    ----------
    model : nn.Module
        The model; only trainable parameters are included.
    weight_decay : float
        Decay for the first group.

    Returns
    -------
    list of dict
        ``[{"params": [...], "weight_decay": weight_decay, "names": [...]},
        {"params": [...], "weight_decay": 0.0, "names": [...]}]``, ready for
        ``torch.optim.AdamW(groups, lr=...)`` (the ``names`` entries are kept by the optimizer).
    """
    v.check_module("model", model)
    v.check_real("weight_decay", weight_decay, low=0.0)
    no_decay = set()
    for module_name, module in model.named_modules():
        for param_name, _ in module.named_parameters(recurse=False):
            full = f"{module_name}.{param_name}" if module_name else param_name
            if isinstance(module, _NORM_TYPES) or param_name == "bias":
                no_decay.add(full)
    decay_names, other_names = [], []
    decay, other = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (other_names if name in no_decay else decay_names).append(name)
        (other if name in no_decay else decay).append(p)
    return [
        {"params": decay, "weight_decay": float(weight_decay), "names": decay_names},
        {"params": other, "weight_decay": 0.0, "names": other_names},
    ]
