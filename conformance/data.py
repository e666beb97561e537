"""Test files on disk, made once per run and shared by every client (read-only).

The big file is written a MiB at a time from os.urandom (random, so no layer can cheat by
compressing or deduplicating), never held in memory; its SHA-256 is computed once while
writing, so downloads are compared hash to hash.
"""

from __future__ import annotations

import hashlib
import os
import random
from dataclasses import dataclass
from pathlib import Path

from conformance.framework import MiB

# Names users really have: accents, CJK, spaces (also doubled and trailing before the dot).
UNICODE_NAMES = ["ünïcödé/naïve résumé.txt", "日本語/ファイル 名.txt", "spaces/two  spaces .txt", "emoji/🎉 party.txt"]
# Characters that URL encoders and signers get wrong: + % # ? and friends.
SPECIAL_NAMES = [
    "chars/a+b.txt",
    "chars/100% sure.txt",
    "chars/%2F not a slash.txt",
    "chars/hash#tag.txt",
    "chars/what?.txt",
    "chars/amp&eq=semi;.txt",
    "chars/(round) [square] {curly}.txt",
    "chars/tilde~star*at@.txt",
    "chars/quote'apos.txt",
]

# More keys than one listing page (1,000), with awkward names right at the page boundary so
# that continuation tokens and v1 markers have to carry them.
PAGED_KEYS = [f"page/{i:04d}.txt" for i in range(1100)] + [
    "page/0999 ü+%#?.txt",
    "page/0999~tilde.txt",
    "page/1000 日本.txt",
    "page/sub dir/a b.txt",
]


@dataclass
class TestData:
    root: Path
    small: Path
    small_sha: str
    big: Path
    big_sha: str
    big_size: int
    empty: Path
    tree: Path
    tree_files: dict[str, int]  # relative path -> size
    named: Path  # files laid out under UNICODE_NAMES and SPECIAL_NAMES


def _random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as fh:
        left = size
        while left:
            block = os.urandom(min(MiB, left))
            digest.update(block)
            fh.write(block)
            left -= len(block)
    return digest.hexdigest()


def make(root: Path, big_mib: int, tree_files: int) -> TestData:
    root.mkdir(parents=True, exist_ok=True)
    small = root / "small.bin"
    small_sha = _random_file(small, 100_000 + 7)
    big = root / "big.bin"
    big_size = big_mib * MiB + 12345  # not a multiple of any part size
    big_sha = _random_file(big, big_size)
    empty = root / "empty.bin"
    empty.write_bytes(b"")

    rng = random.Random(1234)
    tree = root / "tree"
    files: dict[str, int] = {}
    for i in range(tree_files):
        rel = f"d{i % 20:02d}/sub{i % 3}/f{i:04d}.txt"
        size = rng.randint(0, 2000)
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(rng.randbytes(size))
        files[rel] = size

    named = root / "named"
    for name in UNICODE_NAMES + SPECIAL_NAMES:
        (named / name).parent.mkdir(parents=True, exist_ok=True)
        (named / name).write_bytes(f"content of {name}\n".encode())
    return TestData(root, small, small_sha, big, big_sha, big_size, empty, tree, files, named)
