"""A batch of a stream's pieces for one thread call (a hash, a write), gathered without copying.

Large pieces are kept as they came: joining them into one buffer copied every byte of a large
upload once more on the event loop. Small ones are joined into a bytearray, so a client that
trickles its body in tiny pieces costs one small buffer, not an object (and ~50 bytes) each.
"""

from __future__ import annotations

SMALL_PIECE = 64 * 1024  # below this a piece is copied into the batch's own buffer


class PieceBatch:
    """Pieces in order; `size` bytes in all. The pieces handed to `add` must not change
    afterwards (bytes, or a copy of the caller's buffer)."""

    __slots__ = ("_pieces", "_small", "size")

    def __init__(self) -> None:
        self._pieces: list[bytes | bytearray] = []
        self._small: bytearray | None = None
        self.size = 0

    def add(self, piece: bytes | bytearray) -> None:
        self.size += len(piece)
        if len(piece) >= SMALL_PIECE:
            self._seal()
            self._pieces.append(piece)
            return
        if self._small is None:
            self._small = bytearray()
        self._small += piece
        if len(self._small) >= SMALL_PIECE:
            self._seal()

    def take(self) -> list[bytes | bytearray]:
        """The pieces gathered so far (the batch starts empty again)."""
        self._seal()
        pieces, self._pieces, self.size = self._pieces, [], 0
        return pieces

    def _seal(self) -> None:
        if self._small:
            self._pieces.append(self._small)
        self._small = None
