"""A small typed client of the native API (requests + botocore's SigV4 signer, service `jcs`).

Used by the tests and shown in the README (`from gateway.client import NativeClient`).
Uploads are encoded into a spooled temporary file (memory stays bounded) and sent
streaming; by default botocore signs the SHA-256 of that body (the gateway verifies it when
the body has arrived, before committing), or with `payload="unsigned"` the request
carries `x-amz-content-sha256: UNSIGNED-PAYLOAD`.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal, TypedDict
from urllib.parse import quote

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FileSource = bytes | Path | IO[bytes]
Payload = Literal["signed", "unsigned", "hash"]
SPOOL_LIMIT = 8 * 1024 * 1024


class BucketInfo(TypedDict):
    bucketID: int
    name: str
    createTime: str


class PackageInfo(TypedDict):
    packageID: int
    name: str
    bucketID: int
    createTime: str


class ObjectInfo(TypedDict):
    objectID: int
    packageID: int
    path: str
    size: str
    fileHash: str
    redundancy: dict[str, str]
    createTime: str
    updateTime: str


class NativeError(Exception):
    """A non-OK envelope (or a non-JSON error) from the gateway."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.code, self.message, self.status = code, message, status


def encode_query(params: dict[str, Any]) -> str:
    """Percent-encode exactly as SigV4 canonicalises ('+' and ' ' both escaped)."""
    items = [(k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in params.items() if v is not None]
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in items)


class NativeClient:
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        region: str = "us-east-1",
        session: requests.Session | None = None,
        verify: bool = True,
        timeout: float = 300,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.credentials = Credentials(access_key, secret_key)
        self.region = region
        self.session = session or requests.Session()
        self.verify = verify
        self.timeout = timeout

    # ------------------------------------------------------------ transport

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: bytes | IO[bytes] = b"",
        headers: dict[str, str] | None = None,
        stream: bool = False,
        sign: bool = True,
    ) -> requests.Response:
        """Send one request, SigV4-signed for service `jcs` unless `sign` is False."""
        url = self.endpoint + path + (f"?{encode_query(query)}" if query else "")
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        if sign:
            SigV4Auth(self.credentials, "jcs", self.region).add_auth(request)
        return self.session.request(
            method,
            url,
            headers=dict(request.headers.items()),
            data=body,
            stream=stream,
            verify=self.verify,
            timeout=self.timeout,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        json_body: Any = None,
        body: bytes | IO[bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send a request and return the envelope's `data`, raising NativeError on a non-OK code."""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        return unwrap(self.request(method, path, query=query, body=body if body is not None else b"", headers=headers))

    # ------------------------------------------------------------ buckets

    def create_bucket(self, name: str, user_id: int = 1) -> BucketInfo:
        body = {"userID": user_id, "name": name}
        bucket: BucketInfo = self.call("POST", "/v1/bucket/create", json_body=body)["bucket"]
        return bucket

    def get_bucket(self, name: str) -> BucketInfo:
        bucket: BucketInfo = self.call("GET", "/v1/bucket/getByName", query={"name": name})["bucket"]
        return bucket

    def list_buckets(self) -> list[BucketInfo]:
        buckets: list[BucketInfo] = self.call("GET", "/v1/bucket/listAll")["buckets"]
        return buckets

    def delete_bucket(self, bucket_id: int) -> None:
        self.call("POST", "/v1/bucket/delete", json_body={"bucketID": bucket_id})

    # ------------------------------------------------------------ packages

    def create_package(self, bucket_id: int, name: str) -> PackageInfo:
        body = {"bucketID": bucket_id, "name": name}
        package: PackageInfo = self.call("POST", "/v1/package/create", json_body=body)["package"]
        return package

    def get_package(self, bucket_name: str, package_name: str) -> PackageInfo:
        query = {"bucketName": bucket_name, "packageName": package_name}
        package: PackageInfo = self.call("GET", "/v1/package/getByFullName", query=query)["package"]
        return package

    def list_packages(self, bucket_id: int) -> list[PackageInfo]:
        query = {"bucketID": bucket_id}
        packages: list[PackageInfo] = self.call("GET", "/v1/package/listBucketPackages", query=query)["packages"]
        return packages

    def delete_package(self, package_id: int) -> None:
        self.call("POST", "/v1/package/delete", json_body={"packageID": package_id})

    # ------------------------------------------------------------ objects

    def upload(
        self,
        package_id: int,
        files: Iterable[tuple[str, FileSource]],
        *,
        affinity: int | None = None,
        payload: Payload = "signed",
    ) -> list[ObjectInfo]:
        info: dict[str, Any] = {"packageID": package_id}
        if affinity is not None:
            info["affinity"] = affinity
        fields = [("files", path, source) for path, source in files]
        uploaded: list[ObjectInfo] = self._form("/v1/object/upload", info, fields, payload)["uploadeds"]
        return uploaded

    def download(self, object_id: int, *, offset: int | None = None, length: int | None = None) -> bytes:
        resp = self.download_stream(object_id, offset=offset, length=length)
        return resp.content

    def download_stream(
        self, object_id: int, *, offset: int | None = None, length: int | None = None
    ) -> requests.Response:
        query = {"objectID": object_id, "offset": offset, "length": length}
        return check(self.request("GET", "/v1/object/download", query=query, stream=True))

    def download_by_path(self, path: str, *, offset: int | None = None, length: int | None = None) -> bytes:
        query = {"path": path, "offset": offset, "length": length}
        return check(self.request("GET", "/v1/object/downloadByPath", query=query)).content

    def list_by_path(
        self,
        package_id: int,
        path: str = "",
        *,
        is_prefix: bool = False,
        no_recursive: bool = False,
        max_keys: int | None = None,
        continuation_token: str | None = None,
    ) -> dict[str, Any]:
        query = {
            "packageID": package_id,
            "path": path,
            "isPrefix": is_prefix,
            "noRecursive": no_recursive,
            "maxKeys": max_keys,
            "continuationToken": continuation_token,
        }
        data: dict[str, Any] = self.call("GET", "/v1/object/listByPath", query=query)
        return data

    def package_objects(self, package_id: int) -> list[ObjectInfo]:
        objects: list[ObjectInfo] = self.call("GET", "/v1/object/getPackageObjects", query={"packageID": package_id})[
            "objects"
        ]
        return objects

    def move(self, movings: list[dict[str, Any]]) -> list[int]:
        moved: list[int] = self.call("POST", "/v1/object/move", json_body={"movings": movings})["successes"]
        return moved

    def delete(self, object_ids: list[int]) -> None:
        self.call("POST", "/v1/object/delete", json_body={"objectIDs": object_ids})

    def clone(self, clonings: list[dict[str, Any]]) -> list[ObjectInfo]:
        objects: list[ObjectInfo] = self.call("POST", "/v1/object/clone", json_body={"clonings": clonings})["objects"]
        return objects

    # ------------------------------------------------------------ multipart

    def new_multipart_upload(self, package_id: int, path: str) -> ObjectInfo:
        body = {"packageID": package_id, "path": path}
        obj: ObjectInfo = self.call("POST", "/v1/object/newMultipartUpload", json_body=body)["object"]
        return obj

    def upload_part(self, object_id: int, index: int, data: FileSource, *, payload: Payload = "signed") -> None:
        self._form("/v1/object/uploadPart", {"objectID": object_id, "index": index}, [("file", "part", data)], payload)

    def complete_multipart_upload(self, object_id: int, indexes: list[int]) -> ObjectInfo:
        body = {"objectID": object_id, "indexes": indexes}
        obj: ObjectInfo = self.call("POST", "/v1/object/completeMultipartUpload", json_body=body)["object"]
        return obj

    # ------------------------------------------------------------ user spaces

    def create_user_space(
        self,
        name: str,
        storage: dict[str, Any],
        credential: dict[str, Any],
        *,
        shard_max_size: int | None = 0,
        features: list[Any] | None = None,
        working_dir: str = "",
    ) -> dict[str, Any]:
        """`shard_max_size=None` creates a space without a shard store (no objects land there)."""
        body = {
            "name": name,
            "storage": storage,
            "credential": credential,
            "features": features or [],
            "workingDir": working_dir,
            "shardStore": None if shard_max_size is None else {"maxSize": shard_max_size},
        }
        data: dict[str, Any] = self.call("POST", "/v1/userSpace/create", json_body=body)["userSpace"]
        return data

    def update_user_space(self, space_id: int, **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.call("POST", "/v1/userSpace/update", json_body={"userSpaceID": space_id, **fields})[
            "userSpace"
        ]
        return data

    def get_user_space(self, space_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self.call("GET", "/v1/userSpace/get", query={"userSpaceID": space_id})["userSpace"]
        return data

    def delete_user_space(self, space_id: int) -> None:
        self.call("POST", "/v1/userSpace/delete", json_body={"userSpaceID": space_id})

    def test_user_space(self, storage: dict[str, Any], credential: dict[str, Any], working_dir: str = "") -> None:
        self.call(
            "POST",
            "/v1/userSpace/test",
            json_body={"storage": storage, "credential": credential, "workingDir": working_dir},
        )

    def import_package(
        self, space_id: int, path: str, bucket_id: int, name: str, *, space_affinity: int = 0, wait: bool = True
    ) -> dict[str, Any]:
        """createPackage: returns `package`, `jobID` (and `result` when waited for)."""
        body = {
            "userSpaceID": space_id,
            "path": path,
            "bucketID": bucket_id,
            "name": name,
            "spaceAffinity": space_affinity,
            "async": not wait,
        }
        data: dict[str, Any] = self.call("POST", "/v1/userSpace/createPackage", json_body=body)
        return data

    def export_package(self, space_id: int, package_id: int, root_path: str, *, wait: bool = True) -> dict[str, Any]:
        body = {"userSpaceID": space_id, "packageID": package_id, "rootPath": root_path, "async": not wait}
        data: dict[str, Any] = self.call("POST", "/v1/userSpace/downloadPackage", json_body=body)
        return data

    # ------------------------------------------------------------ sync tasks and jobs

    def create_sync_task(self, spec: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = self.call("POST", "/v1/spaceSyncer/createTask", json_body=spec)["task"]
        return data

    def get_sync_task(self, task_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self.call("GET", "/v1/spaceSyncer/getTask", query={"taskID": task_id})["task"]
        return data

    def cancel_sync_task(self, task_id: int) -> None:
        self.call("POST", "/v1/spaceSyncer/cancelTask", json_body={"taskID": task_id})

    def get_job(self, job_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self.call("GET", "/v1/job/get", query={"jobID": job_id})["job"]
        return data

    def job_events(self, job_id: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """Follow a job's Server-Sent Events: yields (event, job record) until the `end` event."""
        resp = self.request("GET", "/v1/job/events", query={"jobID": job_id}, stream=True)
        if not resp.headers.get("Content-Type", "").startswith("text/event-stream"):
            unwrap(resp)
        event = ""
        for line in resp.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                yield event, json.loads(line[6:])

    # ------------------------------------------------------------ form bodies

    def _form(
        self, path: str, info: dict[str, Any], fields: list[tuple[str, str, FileSource]], payload: Payload
    ) -> Any:
        with build_form(info, fields) as (body, content_type, digest):
            headers = {"Content-Type": content_type}
            if payload == "unsigned":
                headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
            elif payload == "hash":
                headers["X-Amz-Content-SHA256"] = digest
            return self.call("POST", path, body=body, headers=headers)


class build_form:
    """Context manager: encode a multipart/form-data body into a spooled temp file.

    Yields (file positioned at 0, Content-Type with boundary, hex SHA-256 of the body).
    """

    def __init__(self, info: dict[str, Any], fields: list[tuple[str, str, FileSource]]) -> None:
        self.info, self.fields = info, fields
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)

    def __enter__(self) -> tuple[IO[bytes], str, str]:
        boundary = uuid.uuid4().hex
        digest = hashlib.sha256()

        def put(data: bytes) -> None:
            digest.update(data)
            self.file.write(data)

        put(
            f'--{boundary}\r\nContent-Disposition: form-data; name="info"\r\n'
            f"Content-Type: application/json\r\n\r\n".encode()
        )
        put(json.dumps(self.info).encode())
        for name, filename, source in self.fields:
            put(
                f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{quote(filename, safe="")}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            )
            if isinstance(source, bytes):
                put(source)
            else:
                handle = open(source, "rb") if isinstance(source, Path) else source
                try:
                    while chunk := handle.read(1024 * 1024):
                        put(chunk)
                finally:
                    if isinstance(source, Path):
                        handle.close()
        put(f"\r\n--{boundary}--\r\n".encode())
        self.file.seek(0)
        return self.file, f"multipart/form-data; boundary={boundary}", digest.hexdigest()

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def check(resp: requests.Response) -> requests.Response:
    """Raise NativeError unless the response is a success (downloads are raw bytes)."""
    if resp.status_code == 200 and not resp.headers.get("Content-Type", "").startswith("application/json"):
        return resp
    unwrap(resp)
    return resp


def unwrap(resp: requests.Response) -> Any:
    try:
        envelope = resp.json()
    except ValueError:
        raise NativeError("OperationFailed", resp.text[:200], resp.status_code) from None
    if not isinstance(envelope, dict) or envelope.get("code") != "OK":
        code = envelope.get("code", "OperationFailed") if isinstance(envelope, dict) else "OperationFailed"
        message = envelope.get("message", "") if isinstance(envelope, dict) else ""
        raise NativeError(code, message, resp.status_code)
    return envelope.get("data")
