"""s3fs, the fsspec filesystem for S3 (PyPI, in its own venv: it pins aiobotocore/botocore).

Each operation runs as a short script in that venv, with the endpoint and keys passed by
environment variables, exactly the S3FileSystem calls a data-science user writes.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.framework import Driver, Listing, MiB, NotApplicable, check, clean_env, run, sha256_file

PRELUDE = """
import json, os, sys
import s3fs
fs = s3fs.S3FileSystem(key=os.environ["CF_KEY"], secret=os.environ["CF_SECRET"], use_listings_cache=False,
                       client_kwargs={"endpoint_url": os.environ["CF_URL"], "region_name": "us-east-1"})
a = sys.argv[1:]
"""


class S3fsFsspec(Driver):
    name = "s3fs (fsspec)"
    multipart_above = 100 * MiB  # put_file sends one PUT below twice its 50 MiB chunksize

    def available(self) -> str | None:
        self.python = self.ctx.tools.venv_bin("s3fs", "python")
        return None if self.python.exists() else "the s3fs venv is missing"

    def setup(self) -> None:
        ep = self.ctx.endpoint
        self.env = clean_env(CF_KEY=ep.access_key, CF_SECRET=ep.secret_key, CF_URL=ep.url)

    def py(self, code: str, *args: str) -> str:
        return run([str(self.python), "-c", PRELUDE + code, *args], env=self.env).stdout

    def version(self) -> str:
        return self.py("import fsspec; print(s3fs.__version__, '(fsspec', fsspec.__version__ + ')')").strip()

    def make_bucket(self, bucket: str) -> None:
        self.py("fs.mkdir(a[0])", bucket)

    def upload(self, local: Path, bucket: str, key: str) -> None:
        self.py("fs.put_file(a[0], a[1])", str(local), f"{bucket}/{key}")

    def download(self, bucket: str, key: str, local: Path) -> None:
        self.py("fs.get_file(a[0], a[1])", f"{bucket}/{key}", str(local))

    def listing(self, bucket: str, prefix: str) -> Listing:
        raw = self.py("print(json.dumps(fs.ls(a[0], detail=True), default=str))", f"{bucket}/{prefix}".rstrip("/"))
        out = Listing()
        for entry in json.loads(raw):
            key = entry["name"][len(bucket) + 1 :]
            if entry["type"] == "directory":
                out.prefixes.add(key.rstrip("/") + "/")
            else:
                out.keys.add(key)
        return out

    def list_all(self, bucket: str, prefix: str) -> set[str]:
        found = json.loads(self.py("print(json.dumps(fs.find(a[0])))", f"{bucket}/{prefix}".rstrip("/")))
        return {name[len(bucket) + 1 :] for name in found}

    def copy(self, bucket: str, src: str, dst: str) -> None:
        self.py("fs.copy(a[0], a[1])", f"{bucket}/{src}", f"{bucket}/{dst}")

    def delete(self, bucket: str, key: str) -> None:
        self.py("fs.rm_file(a[0])", f"{bucket}/{key}")

    def make_folder(self, bucket: str, key: str) -> None:
        raise NotApplicable("fs.mkdir below a bucket creates nothing")

    def extras(self):
        return {
            "find / du / info": self.find,
            "open + seek/read ranges": self.ranges,
            "rm recursive": self.rm_recursive,
            "open('wb') in blocks (multipart)": self.open_write,
            "put/get recursive": self.put_get_recursive,
        }

    def find(self, bucket: str) -> str | None:
        keys = {f"find/{d}/f{i}.txt": i + 1 for d in ("a", "b/c") for i in range(4)}
        for key, size in keys.items():
            self.ctx.put(bucket, key, b"f" * size)
        raw = self.py(
            "print(json.dumps([fs.find(a[0]), fs.du(a[0]), fs.info(a[0] + '/a/f2.txt')['size']]))", f"{bucket}/find"
        )
        found, du, size = json.loads(raw)
        check(found == sorted(f"{bucket}/{k}" for k in keys), f"find: {found}")
        check(du == sum(keys.values()) and size == 3, f"du {du}, info size {size}")
        return None

    def ranges(self, bucket: str) -> str | None:
        data = self.ctx.data
        self.ctx.admin.upload_file(str(data.big), bucket, "ranges/big.bin")
        offsets = [0, 1, 5 * 2**20 - 3, data.big_size // 2, data.big_size - 10]
        raw = self.py(
            "f = fs.open(a[0], 'rb', block_size=2**20)\nout = []\n"
            "for off in json.loads(a[1]):\n    f.seek(off); out.append(f.read(10).hex())\n"
            "out.append(fs.cat_file(a[0], start=100, end=120).hex())\nprint(json.dumps(out))",
            f"{bucket}/ranges/big.bin",
            json.dumps(offsets),
        )
        got = json.loads(raw)
        with open(data.big, "rb") as fh:
            want = []
            for off in offsets:
                fh.seek(off)
                want.append(fh.read(10).hex())
            fh.seek(100)
            want.append(fh.read(20).hex())
        reads = [*(f"10 bytes at {o}" for o in offsets), "cat_file 100-120"]
        check(got == want, f"range reads differ: {[r for r, g, w in zip(reads, got, want, strict=True) if g != w]}")
        return None

    def open_write(self, bucket: str) -> str | None:
        """Writes of odd sizes through a file object: s3fs flushes 5 MiB parts as they fill."""
        self.py(
            "src = open(a[0], 'rb')\nwith fs.open(a[1], 'wb', block_size=5 * 2**20) as f:\n"
            "    while chunk := src.read(1000003):\n        f.write(chunk)",
            str(self.ctx.data.big),
            f"{bucket}/ow/big.bin",
        )
        head = self.ctx.admin.head_object(Bucket=bucket, Key="ow/big.bin")
        check("-" in head["ETag"] and head["ContentLength"] == self.ctx.data.big_size, f"stored {head}")
        out = self.ctx.scratch("ow") / "got"
        self.ctx.admin.download_file(bucket, "ow/big.bin", str(out))
        check(sha256_file(out) == self.ctx.data.big_sha, "bytes written through open('wb') differ")
        return None

    def put_get_recursive(self, bucket: str) -> str | None:
        named = self.ctx.data.named
        back = self.ctx.scratch("rec")
        self.py(
            "fs.put(a[0], a[1], recursive=True)\nfs.get(a[1], a[2], recursive=True)",
            f"{named}/",
            f"{bucket}/rec/",
            f"{back}/",
        )
        for path in named.rglob("*"):
            if path.is_file():
                copy = back / path.relative_to(named)
                check(copy.exists() and copy.read_bytes() == path.read_bytes(), f"{path.relative_to(named)} differs")
        return None

    def rm_recursive(self, bucket: str) -> str | None:
        for i in range(30):
            self.ctx.put(bucket, f"rmr/{i % 3}/x{i}.txt", b"x")
        self.ctx.put(bucket, "rmr/marker/", b"")
        self.py("fs.rm(a[0], recursive=True)", f"{bucket}/rmr")
        left = self.ctx.keys(bucket, "rmr/", markers=True)
        check(left == {}, f"left behind: {sorted(left)[:5]}")
        return None
