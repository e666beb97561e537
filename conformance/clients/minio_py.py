"""minio-py (MinIO's Python SDK, in the project venv).

It asks GetBucketLocation before its first request to a bucket, uploads in parts above its
part size (5 MiB here, as many small-memory users set it), batches deletes with
DeleteObjects and signs presigned URLs itself.
"""

from __future__ import annotations

import io
from pathlib import Path

from conformance.framework import Driver, Listing, MiB, check, run, sha256_file


class MinioPy(Driver):
    name = "minio-py"

    def available(self) -> str | None:
        try:
            import minio  # noqa: F401
        except ImportError:
            return "minio is not installed (pip install minio)"
        return None

    def setup(self) -> None:
        from minio import Minio

        ep = self.ctx.endpoint
        self.mc = Minio(ep.host_port, access_key=ep.access_key, secret_key=ep.secret_key, secure=False)

    def version(self) -> str:
        import minio

        return minio.__version__

    def make_bucket(self, bucket: str) -> None:
        self.mc.make_bucket(bucket)

    def upload(self, local: Path, bucket: str, key: str) -> None:
        self.mc.fput_object(bucket, key, str(local))

    def upload_big(self, local: Path, bucket: str, key: str) -> None:
        self.mc.fput_object(bucket, key, str(local), part_size=5 * MiB)

    def download(self, bucket: str, key: str, local: Path) -> None:
        self.mc.fget_object(bucket, key, str(local))

    def listing(self, bucket: str, prefix: str) -> Listing:
        out = Listing()
        for obj in self.mc.list_objects(bucket, prefix=prefix or None):
            (out.prefixes if obj.is_dir else out.keys).add(obj.object_name)
        return out

    def list_all(self, bucket: str, prefix: str) -> set[str]:
        return {o.object_name for o in self.mc.list_objects(bucket, prefix=prefix, recursive=True)}

    def copy(self, bucket: str, src: str, dst: str) -> None:
        from minio.commonconfig import CopySource

        self.mc.copy_object(bucket, dst, CopySource(bucket, src))

    def delete(self, bucket: str, key: str) -> None:
        self.mc.remove_object(bucket, key)

    def make_folder(self, bucket: str, key: str) -> None:
        self.mc.put_object(bucket, key, io.BytesIO(b""), 0)

    def extras(self):
        return {
            "list recursive": self.recursive,
            "remove_objects (batch)": self.remove_objects,
            "presigned_get_object + curl": self.presigned,
            "put_object, unknown length": self.unknown_length,
            "get_object offset/length": self.ranged,
        }

    def recursive(self, bucket: str) -> str | None:
        keys = [f"rec/{d}/{i}.txt" for d in ("a", "b/c", "b/d/e") for i in range(3)]
        for key in keys:
            self.ctx.put(bucket, key, b"r")
        listed = [o.object_name for o in self.mc.list_objects(bucket, prefix="rec/", recursive=True)]
        check(listed == sorted(keys), f"recursive listing: {listed}")
        v1 = [o.object_name for o in self.mc.list_objects(bucket, prefix="rec/", recursive=True, use_api_v1=True)]
        check(v1 == listed, f"recursive listing (v1): {v1}")
        return None

    def remove_objects(self, bucket: str) -> str | None:
        from minio.deleteobjects import DeleteObject

        keys = [f"batch/{i} ü#?.txt" for i in range(120)]
        for key in keys:
            self.ctx.put(bucket, key, b"b")
        errors = list(self.mc.remove_objects(bucket, [DeleteObject(k) for k in keys]))
        check(errors == [], f"remove_objects errors: {errors[:3]}")
        check(self.ctx.keys(bucket, "batch/") == {}, "objects left after remove_objects")
        return None

    def unknown_length(self, bucket: str) -> str | None:
        """length=-1 from a stream: minio-py must cut it into parts itself."""
        with open(self.ctx.data.big, "rb") as src:
            result = self.mc.put_object(bucket, "unk/stream.bin", src, -1, part_size=5 * MiB)
        check(result.etag.count("-") == 1, f"ETag {result.etag} is not multipart")
        out = self.ctx.scratch("unk") / "got"
        self.download(bucket, "unk/stream.bin", out)
        check(sha256_file(out) == self.ctx.data.big_sha, "streamed upload came back different")
        return None

    def ranged(self, bucket: str) -> str | None:
        self.ctx.admin.upload_file(str(self.ctx.data.big), bucket, "ranged/big.bin")
        offset = 5 * MiB - 3
        resp = self.mc.get_object(bucket, "ranged/big.bin", offset=offset, length=1000)
        try:
            got = resp.read()
        finally:
            resp.close()
            resp.release_conn()
        with open(self.ctx.data.big, "rb") as fh:
            fh.seek(offset)
            check(got == fh.read(1000), "ranged read differs")
        return None

    def presigned(self, bucket: str) -> str | None:
        self.upload(self.ctx.data.small, bucket, "pre/ü x+%.bin")
        url = self.mc.presigned_get_object(bucket, "pre/ü x+%.bin")
        out = self.ctx.scratch("pre") / "got"
        run(["curl", "-sS", "-f", "-o", str(out), url])
        check(sha256_file(out) == self.ctx.data.small_sha, "presigned download differs")
        return None
