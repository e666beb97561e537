"""The common scenarios, written once against the Driver interface.

Each takes the driver and the bucket made for it, drives the client, then checks what the
gateway holds through ``ctx.admin`` and what comes back by hashing files on disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from conformance.data import PAGED_KEYS, SPECIAL_NAMES, UNICODE_NAMES
from conformance.framework import Driver, NotApplicable, check, sha256_file

CommonScenario = Callable[[Driver, str], "str | None"]


def make_bucket(d: Driver, bucket: str) -> str | None:
    name = f"mb-{bucket}"[:63]
    d.make_bucket(name)
    d.ctx.admin.head_bucket(Bucket=name)  # raises if the client did not really make it
    return None


def small_round_trip(d: Driver, bucket: str) -> str | None:
    data = d.ctx.data
    d.upload(data.small, bucket, "small/file.bin")
    size = d.ctx.keys(bucket, "small/").get("small/file.bin")
    check(size == data.small.stat().st_size, f"stored size {size}, expected {data.small.stat().st_size}")
    out = d.ctx.scratch("small") / "file.bin"
    d.download(bucket, "small/file.bin", out)
    check(sha256_file(out) == data.small_sha, "downloaded bytes differ from the upload")
    return None


def big_round_trip(d: Driver, bucket: str) -> str | None:
    data = d.ctx.data
    started = time.monotonic()
    d.upload_big(data.big, bucket, "big/file.bin")
    up = time.monotonic() - started
    head = d.ctx.admin.head_object(Bucket=bucket, Key="big/file.bin")
    check(head["ContentLength"] == data.big_size, f"stored size {head['ContentLength']}, expected {data.big_size}")
    etag = head["ETag"].strip('"')
    if data.big_size > d.multipart_above:
        check("-" in etag, f"ETag {etag} is not a multipart ETag: the client did not upload in parts")
    out = d.ctx.scratch("big") / "file.bin"
    started = time.monotonic()
    d.download(bucket, "big/file.bin", out)
    down = time.monotonic() - started
    check(sha256_file(out) == data.big_sha, "downloaded bytes differ from the upload")
    out.unlink()
    mib = data.big_size / 2**20
    parts = f"{etag.split('-')[1]} parts" if "-" in etag else "single PUT"
    return f"{parts}; up {mib / up:.0f} MiB/s, down {mib / down:.0f} MiB/s"


def listing(d: Driver, bucket: str) -> str | None:
    for key in ["ls/a.txt", "ls/b.txt", "ls/d1/x.txt", "ls/d1/d2/y.txt", "ls/d3/z.txt"]:
        d.ctx.put(bucket, key, key.encode())
    top = d.listing(bucket, "ls/")
    check(
        top.keys == {"ls/a.txt", "ls/b.txt"} and top.prefixes == {"ls/d1/", "ls/d3/"},
        f"ls/ listed keys {sorted(top.keys)} prefixes {sorted(top.prefixes)}",
    )
    sub = d.listing(bucket, "ls/d1/")
    check(
        sub.keys == {"ls/d1/x.txt"} and sub.prefixes == {"ls/d1/d2/"},
        f"ls/d1/ listed keys {sorted(sub.keys)} prefixes {sorted(sub.prefixes)}",
    )
    root = d.listing(bucket, "")
    check("ls/" in root.prefixes, f"bucket root listed prefixes {sorted(root.prefixes)}")
    return None


def paged_listing(d: Driver, bucket: str) -> str | None:
    listed = d.list_all(d.ctx.paged_bucket, "page/")
    want = set(PAGED_KEYS)
    check(
        listed == want,
        f"listed {len(listed)} of {len(want)} keys; missing {sorted(want - listed)[:3]}, "
        f"unexpected {sorted(listed - want)[:3]}",
    )
    return None


def overwrite(d: Driver, bucket: str) -> str | None:
    data = d.ctx.data
    d.upload(data.small, bucket, "ow/file.bin")
    d.upload(data.named / SPECIAL_NAMES[0], bucket, "ow/file.bin")  # same key, other size and bytes
    out = d.ctx.scratch("ow") / "file.bin"
    d.download(bucket, "ow/file.bin", out)
    check(out.read_bytes() == (data.named / SPECIAL_NAMES[0]).read_bytes(), "the second upload did not win")
    return None


def server_side_copy(d: Driver, bucket: str) -> str | None:
    body = d.ctx.data.small.read_bytes()  # 100 kB: far bigger than any sub-resource PUT
    d.ctx.put(bucket, "cp/src.bin", body)
    since = time.time()
    d.copy(bucket, "cp/src.bin", "cp/dst.bin")
    copied = d.ctx.admin.get_object(Bucket=bucket, Key="cp/dst.bin")["Body"].read()
    check(copied == body, f"the copy holds {len(copied)} other bytes")
    check("cp/src.bin" in d.ctx.keys(bucket, "cp/"), "the source vanished")
    check(d.ctx.server_side_copy_seen(bucket, "cp/dst.bin", since, len(body)), "the copy was not done server-side")
    return None


def delete(d: Driver, bucket: str) -> str | None:
    d.ctx.put(bucket, "rm/gone.txt", b"x")
    d.ctx.put(bucket, "rm/kept.txt", b"y")
    d.delete(bucket, "rm/gone.txt")
    keys = set(d.ctx.keys(bucket, "rm/"))
    check(keys == {"rm/kept.txt"}, f"after delete the gateway holds {sorted(keys)}")
    return None


def sync_tree(d: Driver, bucket: str) -> str | None:
    data = d.ctx.data
    started = time.monotonic()
    first = d.sync(data.tree, bucket, "sync/")
    took = time.monotonic() - started
    stored = {k.removeprefix("sync/"): v for k, v in d.ctx.keys(bucket, "sync/").items()}
    check(
        stored == data.tree_files,
        f"after sync the gateway holds {len(stored)} files "
        f"({len(set(data.tree_files) - set(stored))} missing, sizes differ for "
        f"{sum(1 for k in stored if data.tree_files.get(k) != stored[k])})",
    )
    check(first == len(data.tree_files), f"the client reported {first} transfers, expected {len(data.tree_files)}")
    again = d.sync(data.tree, bucket, "sync/")
    check(again == 0, f"re-sync transferred {again} files, expected 0")
    return f"{len(data.tree_files)} files in {took:.1f}s, re-sync 0"


def _named_round_trip(d: Driver, bucket: str, names: list[str]) -> str | None:
    named = d.ctx.data.named
    for name in names:
        d.upload(named / name, bucket, f"nm/{name}")
    stored = set(d.ctx.keys(bucket, "nm/"))
    wanted = {f"nm/{n}" for n in names}
    check(wanted <= stored, f"keys missing or renamed: {sorted(wanted - stored)}; got {sorted(stored - wanted)}")
    out = d.ctx.scratch("named")
    for i, name in enumerate(names):
        d.download(bucket, f"nm/{name}", out / f"{i}.out")
        check((out / f"{i}.out").read_bytes() == (named / name).read_bytes(), f"{name!r} came back different")
    listed = d.listing(bucket, f"nm/{names[0].split('/')[0]}/")
    first_dir = [f"nm/{n}" for n in names if n.split("/")[0] == names[0].split("/")[0]]
    check(set(first_dir) <= listed.keys, f"listing shows {sorted(listed.keys)}")
    return None


def unicode_keys(d: Driver, bucket: str) -> str | None:
    return _named_round_trip(d, bucket, UNICODE_NAMES)


def special_char_keys(d: Driver, bucket: str) -> str | None:
    return _named_round_trip(d, bucket, SPECIAL_NAMES)


def empty_file(d: Driver, bucket: str) -> str | None:
    d.upload(d.ctx.data.empty, bucket, "empty/zero.bin")
    check(d.ctx.keys(bucket, "empty/") == {"empty/zero.bin": 0}, "the empty object is missing or not empty")
    out = d.ctx.scratch("empty") / "zero.bin"
    d.download(bucket, "empty/zero.bin", out)
    check(out.exists() and out.stat().st_size == 0, "download of the empty object is missing or not empty")
    return None


def folder_marker(d: Driver, bucket: str) -> str | None:
    note = None
    try:
        d.make_folder(bucket, "fm/made/")
        made = d.ctx.keys(bucket, "fm/made/", markers=True)
        check(made == {"fm/made/": 0}, f"the client's folder is not a zero-byte `fm/made/`: {made}")
    except NotApplicable as exc:  # the client cannot make one; how it lists one is still tested
        note = f"listing only ({exc})"
    d.ctx.put(bucket, "fm/dir/")
    d.ctx.put(bucket, "fm/dir/inner.txt", b"inside")
    top = d.listing(bucket, "fm/")
    check("fm/dir/" in top.prefixes, f"fm/ listed prefixes {sorted(top.prefixes)}, keys {sorted(top.keys)}")
    inner = d.listing(bucket, "fm/dir/")
    check(inner.keys - {"fm/dir/"} == {"fm/dir/inner.txt"}, f"fm/dir/ listed {sorted(inner.keys)}")
    return note


COMMON: dict[str, CommonScenario] = {
    "make bucket": make_bucket,
    "put/get small": small_round_trip,
    "put/get big (multipart)": big_round_trip,
    "list prefixes/folders": listing,
    "list all, 1,100+ keys (paged)": paged_listing,
    "overwrite": overwrite,
    "copy (server-side)": server_side_copy,
    "delete": delete,
    "sync tree + re-sync": sync_tree,
    "unicode/space keys": unicode_keys,
    "keys with + % # ? etc.": special_char_keys,
    "empty file": empty_file,
    "folder marker dir/": folder_marker,
}
