"""A stream's batches gathered into chunks of whole rows, for the one pass of :mod:`.reading`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["Chunks"]


class Chunks:
    """A stream's batches copied into chunks of whole ``step`` rows, each handed to ``read``.

    A loader's batches are often small (256 to 4096 draws); read one at a time, each of the
    ``B`` batches' symmetric products would take a quarter of one, at a lower rate, and each
    would add a ``d x d`` merge: at d = 2048, 5 * 10^4 draws in batches of 4096 took 1.3 times
    as long as the array. Gathered, a stream is read in the chunks of the array itself. The
    block grows by doubling to ``step`` rows (a short stream allocates at most twice its draws)
    and holds one dtype (a new dtype hands on what it holds first); a batch's whole chunks are
    read where they lie. The rows are copied: a loader may reuse its buffer.
    """

    def __init__(self, read: Callable[[np.ndarray], None]) -> None:
        self.read = read
        self.block: np.ndarray | None = None
        self.held = 0

    def add(self, rows: np.ndarray, step: int) -> None:
        """Takes the next ``rows`` of the stream, handing on each chunk of ``step`` rows it fills."""
        if self.block is not None and rows.dtype != self.block.dtype:
            self.flush()
        start = 0
        while start < rows.shape[0]:
            if self.held == 0 and rows.shape[0] - start >= step:  # whole chunks: read in place
                whole = (rows.shape[0] - start) // step * step
                self.read(rows[start : start + whole])
                start += whole
                continue
            block = self._room(rows, step, rows.shape[0] - start)
            take = min(block.shape[0] - self.held, rows.shape[0] - start)
            block[self.held : self.held + take] = rows[start : start + take]
            self.held, start = self.held + take, start + take
            if self.held == step:
                self.read(block)
                self.held = 0

    def _room(self, rows: np.ndarray, step: int, coming: int) -> np.ndarray:
        """The block, grown (by doubling, to ``step`` rows) where it is full."""
        block = self.block
        if block is None or self.held == block.shape[0]:
            size = min(step, max(2 * (0 if block is None else block.shape[0]), self.held + coming))
            grown = np.empty((size, rows.shape[1]), rows.dtype)
            if block is not None:
                grown[: self.held] = block[: self.held]
            self.block = block = grown
        return block

    def flush(self) -> None:
        """Hands on the rows held."""
        if self.held:
            assert self.block is not None
            self.read(self.block[: self.held])
        self.block, self.held = None, 0
