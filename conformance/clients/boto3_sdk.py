"""boto3 (the project venv's, i.e. the latest release) with its default settings, over plain
HTTP and over TLS: botocore signs payloads differently on each (a signed SHA-256 over http;
over https it streams with `UNSIGNED-PAYLOAD` and aws-chunked checksum trailers), so the
flexible-checksum paths differ and both are exercised.
"""

from __future__ import annotations

import base64
import hashlib
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import botocore
from awscrt import checksums as crt
from boto3.s3.transfer import TransferConfig

from conformance.framework import Driver, Listing, MiB, check, run, sha256_file

ALGORITHMS = {
    "CRC32": lambda b: zlib.crc32(b).to_bytes(4, "big"),
    "CRC32C": lambda b: crt.crc32c(b).to_bytes(4, "big"),
    "SHA1": lambda b: hashlib.sha1(b).digest(),
    "SHA256": lambda b: hashlib.sha256(b).digest(),
    "CRC64NVME": lambda b: crt.crc64nvme(b).to_bytes(8, "big"),
}


class Boto3(Driver):
    name = "boto3 (http)"

    def setup(self) -> None:
        ep = self.ctx.endpoint
        self.s3 = boto3.session.Session().client(
            "s3",
            endpoint_url=ep.url,
            aws_access_key_id=ep.access_key,
            aws_secret_access_key=ep.secret_key,
            region_name="us-east-1",
            verify=str(ep.ca_file) if ep.ca_file else None,
        )
        self.curl_tls = ["--cacert", str(ep.ca_file)] if ep.ca_file else []

    def version(self) -> str:
        return f"{boto3.__version__} (botocore {botocore.__version__})"

    def make_bucket(self, bucket: str) -> None:
        self.s3.create_bucket(Bucket=bucket)

    def upload(self, local: Path, bucket: str, key: str) -> None:
        self.s3.upload_file(str(local), bucket, key)

    def download(self, bucket: str, key: str, local: Path) -> None:
        self.s3.download_file(bucket, key, str(local))

    def listing(self, bucket: str, prefix: str) -> Listing:
        out = Listing()
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            out.keys |= {o["Key"] for o in page.get("Contents", [])}
            out.prefixes |= {p["Prefix"] for p in page.get("CommonPrefixes", [])}
        return out

    def list_all(self, bucket: str, prefix: str) -> set[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    def copy(self, bucket: str, src: str, dst: str) -> None:
        self.s3.copy_object(Bucket=bucket, Key=dst, CopySource={"Bucket": bucket, "Key": src})

    def delete(self, bucket: str, key: str) -> None:
        self.s3.delete_object(Bucket=bucket, Key=key)

    def make_folder(self, bucket: str, key: str) -> None:
        self.s3.put_object(Bucket=bucket, Key=key, Body=b"")

    def extras(self):
        out = {f"checksum {algo}": (lambda bucket, a=algo: self.checksum(bucket, a)) for algo in ALGORITHMS}
        out.update(
            {
                "default checksum, multipart": self.multipart_default_checksum,
                "GetObject ChecksumMode (big)": self.get_big_validated,
                "managed copy (UploadPartCopy)": self.managed_copy,
                "presigned GET/PUT + curl": self.presigned_get_put,
                "presigned POST + curl -F": self.presigned_post,
                "read-after-write, 8 threads": self.read_after_write,
            }
        )
        return out

    def checksum(self, bucket: str, algo: str) -> str | None:
        body = self.ctx.data.small.read_bytes()  # 100 kB: small enough to hold
        want = base64.b64encode(ALGORITHMS[algo](body)).decode()
        key = f"ck/{algo} ü+.bin"
        put = self.s3.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm=algo)
        check(put.get(f"Checksum{algo}") == want, f"PUT answered {put.get(f'Checksum{algo}')}, expected {want}")
        head = self.s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        check(head.get(f"Checksum{algo}") == want, f"HEAD answered {head.get(f'Checksum{algo}')}")
        got = self.s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        check(got["Body"].read() == body, "GET returned different bytes")  # botocore validated on read
        check(got.get(f"Checksum{algo}") == want, f"GET answered {got.get(f'Checksum{algo}')}")
        return None

    def multipart_default_checksum(self, bucket: str) -> str | None:
        config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB)
        local = self.ctx.scratch("mp") / "part.bin"
        with open(self.ctx.data.big, "rb") as src, open(local, "wb") as dst:
            for _ in range(20):
                dst.write(src.read(MiB))
        self.s3.upload_file(str(local), bucket, "ck/multipart.bin", Config=config)
        head = self.s3.head_object(Bucket=bucket, Key="ck/multipart.bin", ChecksumMode="ENABLED")
        check(head["ETag"].endswith('-3"'), f"ETag {head['ETag']} is not 3 parts")
        stored = {k: v for k, v in head.items() if k.startswith("Checksum")}
        check("ChecksumCRC32" in stored, f"no CRC32 kept for the default-checksum multipart upload: {stored}")
        return f"{stored.get('ChecksumType', '?')} {stored['ChecksumCRC32']}"

    def get_big_validated(self, bucket: str) -> str | None:
        data = self.ctx.data
        with open(data.big, "rb") as body:  # streamed from disk by botocore
            self.s3.put_object(Bucket=bucket, Key="ck/big-single.bin", Body=body, ChecksumAlgorithm="CRC32C")
        got = self.s3.get_object(Bucket=bucket, Key="ck/big-single.bin", ChecksumMode="ENABLED")
        digest = hashlib.sha256()
        for chunk in got["Body"].iter_chunks(MiB):  # botocore checks the CRC32C at the end
            digest.update(chunk)
        check(digest.hexdigest() == data.big_sha, "streamed GET differs from the upload")
        check("ChecksumCRC32C" in got, "GET with ChecksumMode did not return the CRC32C")
        return "single PUT of the big file with CRC32C, validated on GET"

    def managed_copy(self, bucket: str) -> str | None:
        self.upload(self.ctx.data.big, bucket, "mcopy/src.bin")
        since = time.time()
        self.s3.copy({"Bucket": bucket, "Key": "mcopy/src.bin"}, bucket, "mcopy/dst.bin")
        head = self.s3.head_object(Bucket=bucket, Key="mcopy/dst.bin")
        check("-" in head["ETag"], f"ETag {head['ETag']}: not copied in parts")
        check(head["ContentLength"] == self.ctx.data.big_size, "copy has the wrong size")
        check(
            self.ctx.server_side_copy_seen(bucket, "mcopy/dst.bin", since, self.ctx.data.big_size),
            "parts were uploaded, not copied",
        )
        return None

    def read_after_write(self, bucket: str) -> str | None:
        """S3 is strongly consistent: a HEAD right after a PUT's 200 must find it, even while
        other requests run (a stale reader snapshot once broke this; rclone saw 404s)."""

        def put_then_head(i: int) -> bool:
            key = f"raw/d{i % 8}/f{i:04d}"
            self.s3.put_object(Bucket=bucket, Key=key, Body=b"r" * (i % 64))
            try:
                self.s3.head_object(Bucket=bucket, Key=key)
                return True
            except self.s3.exceptions.ClientError:
                return False

        with ThreadPoolExecutor(8) as pool:
            seen = list(pool.map(put_then_head, range(2000)))
        check(all(seen), f"{seen.count(False)} of {len(seen)} HEADs missed the object just PUT")
        return None

    def presigned_get_put(self, bucket: str) -> str | None:
        key = "pre/ü x+y%z.bin"
        put_url = self.s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
        run(["curl", "-sS", "-f", *self.curl_tls, "-X", "PUT", "-T", str(self.ctx.data.small), put_url])
        out = self.ctx.scratch("pre") / "got"
        get_url = self.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
        run(["curl", "-sS", "-f", *self.curl_tls, "-o", str(out), get_url])
        check(sha256_file(out) == self.ctx.data.small_sha, "presigned round trip changed the bytes")
        bad = run(
            [
                "curl",
                "-sS",
                *self.curl_tls,
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                get_url[:-1] + ("0" if get_url[-1] != "0" else "1"),
            ],
            check_rc=False,
        ).stdout
        check(bad == "403", f"a tampered signature got {bad}")
        return None

    def presigned_post(self, bucket: str) -> str | None:
        form = self.s3.generate_presigned_post(
            bucket, "post/${filename}", ExpiresIn=300, Conditions=[["starts-with", "$key", "post/"]]
        )
        fields = [arg for k, v in form["fields"].items() for arg in ("-F", f"{k}={v}")]
        code = run(
            [
                "curl",
                "-sS",
                *self.curl_tls,
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                *fields,
                "-F",
                f"file=@{self.ctx.data.small};filename=form upload.bin",
                form["url"],
            ]
        ).stdout
        check(code == "204", f"POST answered {code}")
        body = self.s3.get_object(Bucket=bucket, Key="post/form upload.bin")["Body"].read()
        check(hashlib.sha256(body).hexdigest() == self.ctx.data.small_sha, "POSTed object differs")
        return None


class Boto3Tls(Boto3):
    name = "boto3 (https)"
    uses_tls = True
