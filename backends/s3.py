"""S3 adapter: blobs in a bucket of any S3-compatible endpoint (AWS, MinIO, moto, Junction).

All HTTP, retry, listing and multipart work lives in `HttpObjectStore`; this module adds
what is S3-specific: SigV4 signing through botocore (payload `UNSIGNED-PAYLOAD`, with a
Content-MD5 on every body instead, so parts never need a second pass to hash), the `x-amz-`
header prefix and AWS's endpoint rules.

Storage JSON: `{"type": "S3", "region": "us-east-1", "endpoint": "http://127.0.0.1:5000",
"bucket": "name", "pathStyle": true}` - an empty endpoint means AWS
(`https://s3.<region>.amazonaws.com`, virtual-hosted); `pathStyle` defaults to true when an
endpoint is given. Optional tuning fields are read by `StoreOptions.from_storage`
(`partSize`, `connectTimeout`, `readTimeout`, `maxAttempts`, ...).
Credential JSON: `{"type": "S3" | "AK", "accessKeyId": "...", "secretAccessKey": "...",
"sessionToken": optional}`.
"""

from __future__ import annotations

from typing import Any

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from .http import HttpObjectStore, HttpRequest, StoreOptions, access_key_pair, location_fields

CREDENTIAL_TYPES = ("S3", "AK")
_UNSIGNED_PAYLOAD = Config(s3={"payload_signing_enabled": False})


class SigV4Signer:
    """Adds AWS Signature V4 headers (Authorization, X-Amz-Date, X-Amz-Content-SHA256)."""

    def __init__(self, access_key: str, secret_key: str, region: str, token: str | None = None) -> None:
        self._auth = S3SigV4Auth(Credentials(access_key, secret_key, token), "s3", region)

    def __call__(self, request: HttpRequest) -> None:
        aws = AWSRequest(method=request.method, url=request.url, headers=request.headers)
        aws.context["client_config"] = _UNSIGNED_PAYLOAD  # bodies are streamed parts: hash nothing twice
        self._auth.add_auth(aws)
        request.headers = dict(aws.headers.items())

    def __repr__(self) -> str:  # never let the credentials reach a log line
        return "SigV4Signer(...)"


class S3Backend(HttpObjectStore):
    """Blob store in one bucket (under a key prefix) of an S3-compatible endpoint."""

    kind = "S3"
    list_style = "v2"

    def __init__(
        self,
        *,
        endpoint: str,
        region: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        session_token: str | None = None,
        working_dir: str = "",
        path_style: bool | None = None,
        options: StoreOptions | None = None,
    ) -> None:
        region = region or "us-east-1"
        if path_style is None:
            path_style = bool(endpoint)
        if not endpoint:
            endpoint = f"https://s3.{region}.amazonaws.com"
        elif "://" not in endpoint:
            endpoint = f"https://{endpoint}"
        self.region = region
        super().__init__(
            endpoint=endpoint,
            bucket=bucket,
            working_dir=working_dir,
            signer=SigV4Signer(access_key, secret_key, region, session_token),
            header_prefix="x-amz-",
            path_style=path_style,
            options=options,
        )

    def __repr__(self) -> str:
        return f"S3Backend(endpoint={self.endpoint!r}, bucket={self.bucket!r})"


def build_s3(storage: dict[str, Any], credential: dict[str, Any], working_dir: str) -> S3Backend:
    """Registry factory: user-space storage/credential JSON to an S3Backend."""
    access_key, secret_key = access_key_pair(credential, "S3", CREDENTIAL_TYPES)
    return S3Backend(
        **location_fields(storage),
        access_key=access_key,
        secret_key=secret_key,
        session_token=credential.get("sessionToken") or None,
        working_dir=working_dir or "",
        options=StoreOptions.from_storage(storage),
    )
