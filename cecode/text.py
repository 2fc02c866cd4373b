"""Tiny Shakespeare for the language-model chapter: a verified file, a character vocabulary, splits.

**Where the text lives.** The file is ``<data folder>/tinyshakespeare/input.txt`` (1,115,394 bytes
of ASCII text), in the same data folder as MNIST (:func:`cecode.downloads.data_dir`): the value of the
environment variable ``CECODE_DATA_DIR`` if it is set, else ``~/.cache/cecode/data``. A ``root``
argument overrides both. The file handling is :func:`cecode.downloads.ensure_file`'s.

**Download rule** (as for MNIST). ``download=None`` (the default) downloads the file only into the
default folder (``CECODE_DATA_DIR`` unset, no ``root``); ``True`` downloads into any folder;
``False`` never downloads. The source is the file ``data/tinyshakespeare/input.txt`` of Andrej
Karpathy's ``char-rnn`` repository on GitHub (:data:`TINYSHAKESPEARE_URL`), the corpus of char-rnn
and nanoGPT's ``shakespeare_char``. A download goes to a temporary file next to the target, is
checked against :data:`TINYSHAKESPEARE_SHA256` and only then renamed into place.

**Verification.** The file is checked against its SHA-256 before it is read (once per process,
until its size or modification time changes). A wrong checksum raises
:class:`cecode.downloads.CorruptDataError`; a missing file that may not be downloaded raises
:class:`FileNotFoundError` and a failed download :class:`cecode.downloads.DownloadError`, each
with a message that names the folder and how to fix it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor

from cecode import _validate as v
from cecode import downloads

__all__ = [
    "TINYSHAKESPEARE_URL",
    "TINYSHAKESPEARE_SHA256",
    "TINYSHAKESPEARE_BYTES",
    "CharVocabulary",
    "TextSplits",
    "ensure_tinyshakespeare",
    "load_tinyshakespeare",
    "split_by_position",
    "tinyshakespeare",
    "next_token_windows",
]

#: The address readers get the file from (char-rnn's copy, the one nanoGPT's ``prepare.py`` downloads).
TINYSHAKESPEARE_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
)
#: SHA-256 of ``tinyshakespeare/input.txt``.
TINYSHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
#: Size of ``tinyshakespeare/input.txt`` in bytes.
TINYSHAKESPEARE_BYTES = 1_115_394


def ensure_tinyshakespeare(
    root: str | os.PathLike | None = None, download: bool | None = None
) -> Path:
    """Make sure a verified ``<root>/tinyshakespeare/input.txt`` exists and return its path.

    Parameters
    ----------
    root : str or os.PathLike, optional
        The data folder (the one containing ``tinyshakespeare/``); default
        :func:`cecode.downloads.data_dir`.
    download : bool or None, optional
        ``True``: download if missing; ``False``: never; ``None`` (default): only into the
        default folder (``CECODE_DATA_DIR`` unset and no ``root``).

    Returns
    -------
    pathlib.Path
        The path of the verified ``input.txt``.

    Raises
    ------
    FileNotFoundError
        If the file is missing and may not be downloaded; the message says how to fix it.
    cecode.downloads.DownloadError
        If the download fails; the message gives each reason and the three ways to fix it.
    cecode.downloads.CorruptDataError
        If the file's SHA-256 is wrong.
    """
    return downloads.ensure_file(
        "tinyshakespeare",
        "input.txt",
        [TINYSHAKESPEARE_URL],
        sha256=TINYSHAKESPEARE_SHA256,
        root=root,
        download=download,
        what="Tiny Shakespeare",
    )


def load_tinyshakespeare(
    root: str | os.PathLike | None = None, download: bool | None = None
) -> str:
    """Return the whole verified text of Tiny Shakespeare (1,115,394 characters).

    Parameters
    ----------
    root, download
        As in :func:`ensure_tinyshakespeare`.

    Returns
    -------
    str
        The text, decoded as ASCII.
    """
    return ensure_tinyshakespeare(root, download).read_text(encoding="ascii")


class CharVocabulary:
    """The sorted set of characters of a text; token ``i`` is the ``i``-th character.

    Parameters
    ----------
    text : str
        A non-empty text whose distinct characters form the vocabulary (``V`` of them).

    Attributes
    ----------
    chars : str
        The ``V`` characters in code-point order.
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text: expected a str, got {type(text).__name__}")
        if not text:
            raise ValueError("text: expected a non-empty str, got ''")
        self.chars = "".join(sorted(set(text)))
        self._index = {c: i for i, c in enumerate(self.chars)}
        self._table = torch.full((max(map(ord, self.chars)) + 1,), -1, dtype=torch.int64)
        self._table[torch.tensor([ord(c) for c in self.chars])] = torch.arange(len(self.chars))

    def __len__(self) -> int:
        """Return ``V``, the number of characters."""
        return len(self.chars)

    def __repr__(self) -> str:
        """Return ``CharVocabulary(V=...)``."""
        return f"CharVocabulary(V={len(self)})"

    def encode(self, text: str) -> Tensor:
        """Return the token ids of ``text``: an int64 tensor of shape ``(len(text),)``.

        Raises
        ------
        ValueError
            If ``text`` holds a character that is not in the vocabulary.
        """
        if not isinstance(text, str):
            raise TypeError(f"text: expected a str, got {type(text).__name__}")
        missing = next((i for i, c in enumerate(text) if c not in self._index), None)
        if missing is not None:
            raise ValueError(
                f"text: expected characters of the vocabulary, got {text[missing]!r} "
                f"at position {missing}"
            )
        if not text:
            return torch.zeros(0, dtype=torch.int64)
        codes = torch.frombuffer(bytearray(text.encode("utf-32-le")), dtype=torch.int32)
        return self._table[codes.long()]

    def decode(self, ids: Tensor | list[int]) -> str:
        """Return the text of token ids (a 1-D tensor or a list of ints in ``[0, V)``)."""
        if isinstance(ids, Tensor):
            ids = ids.reshape(-1).tolist()
        if not isinstance(ids, list):
            raise TypeError(
                f"ids: expected a 1-D tensor or a list of int, got {type(ids).__name__}"
            )
        bad = [i for i in ids if not isinstance(i, int) or not 0 <= i < len(self.chars)]
        if bad:
            raise ValueError(f"ids: expected token ids in [0, {len(self.chars)}), got {bad[0]!r}")
        return "".join(self.chars[i] for i in ids)


def split_by_position(ids: Tensor, val_fraction: float = 0.1) -> tuple[Tensor, Tensor]:
    """Split a token sequence by position: the first part trains, the last ``val_fraction`` validates.

    Parameters
    ----------
    ids : Tensor
        Token ids, shape ``(L,)``.
    val_fraction : float, default 0.1
        Fraction in ``(0, 1)`` of the positions that go to validation (the end of the text).

    Returns
    -------
    tuple of Tensor
        ``ids[:n]`` and ``ids[n:]`` with ``n = int((1 - val_fraction) * L)``.
    """
    v.check_tensor("ids", ids)
    if ids.dim() != 1 or ids.dtype != torch.int64:
        raise ValueError(
            f"ids: expected a 1-D int64 tensor, got {v.shape_str(ids.shape)} of dtype {ids.dtype}"
        )
    v.check_real("val_fraction", val_fraction, 0.0, 1.0, low_open=True)
    if val_fraction == 1.0:
        raise ValueError(f"val_fraction: expected a float in (0, 1), got {val_fraction}")
    n = int((1.0 - val_fraction) * len(ids))
    return ids[:n], ids[n:]


class TextSplits(NamedTuple):
    """What :func:`tinyshakespeare` returns."""

    #: The character vocabulary of the whole text.
    vocab: CharVocabulary
    #: Token ids of the training part (the first 90 % by default), int64.
    train: Tensor
    #: Token ids of the validation part (the rest), int64.
    val: Tensor


def tinyshakespeare(
    root: str | os.PathLike | None = None,
    download: bool | None = None,
    val_fraction: float = 0.1,
) -> TextSplits:
    """Tiny Shakespeare as character ids, split by position into training and validation.

    Parameters
    ----------
    root, download
        As in :func:`ensure_tinyshakespeare`.
    val_fraction : float, default 0.1
        As in :func:`split_by_position`.

    Returns
    -------
    TextSplits
        ``(vocab, train, val)``; with the defaults ``V = 65``, 1,003,854 training and
        111,540 validation characters.
    """
    v.check_real("val_fraction", val_fraction, 0.0, 1.0, low_open=True)  # before reading
    text = load_tinyshakespeare(root, download)
    vocab = CharVocabulary(text)
    train, val = split_by_position(vocab.encode(text), val_fraction)
    return TextSplits(vocab, train, val)


def next_token_windows(ids: Tensor, context: int) -> tuple[Tensor, Tensor]:
    """All windows of ``context`` tokens and the token that follows each (the target).

    Parameters
    ----------
    ids : Tensor
        Token ids, shape ``(L,)`` with ``L > context``.
    context : int
        Window length ``K >= 1``.

    Returns
    -------
    tuple of Tensor
        ``inputs (L - K, K)`` with row ``i`` = ``ids[i : i + K]``, and ``target (L - K,)`` with
        ``target[i] = ids[i + K]`` (the inputs shifted by one, as in every language model).
        ``inputs`` is a view of ``ids`` (no copy).
    """
    v.check_tensor("ids", ids)
    v.check_positive_int("context", context)
    if ids.dim() != 1 or len(ids) <= context:
        raise ValueError(
            f"ids: expected a 1-D tensor longer than context={context}, "
            f"got shape {v.shape_str(ids.shape)}"
        )
    return ids[:-1].unfold(0, context, 1), ids[context:]
