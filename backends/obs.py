"""OBS adapter: blobs in a bucket of Huawei Cloud OBS.

All HTTP, retry, listing and multipart work lives in `HttpObjectStore` (shared with the S3
adapter); this module adds what is OBS-specific: the endpoint rule
(`https://obs.<region>.myhuaweicloud.com`, virtual-hosted), OBS's own header signature
(backends/obs_auth.py, with `x-obs-` headers) or, with `"signature": "S3"`, AWS SigV4 in
OBS's S3-compatible mode, ListObjects v1 (the listing OBS documents), and OBS's 100 KiB
floor for multipart parts.

Storage JSON: `{"type": "OBS", "region": "cn-north-4", "endpoint": "", "bucket": "b",
"projectID": "", "signature": "OBS" | "S3", "pathStyle": bool}` - an empty endpoint is
derived from the region and addressed virtual-hosted (`bucket.obs.<region>...`); a custom
endpoint defaults to path style. `projectID` is kept for callers that manage buckets
through Huawei's IAM-scoped APIs; the data path does not need it. Optional tuning fields
are read by `StoreOptions.from_storage` (`partSize`, `maxAttempts`, ...).
Credential JSON: `{"type": "OBS" | "AK", "accessKeyId": "...", "secretAccessKey": "...",
"securityToken": optional (temporary AK/SK)}`.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

from .base import BackendError
from .http import HttpObjectStore, HttpRequest, StoreOptions, access_key_pair, location_fields
from .obs_auth import sign_obs
from .s3 import SigV4Signer

CREDENTIAL_TYPES = ("OBS", "AK")
SIGNATURES = ("OBS", "S3")
MIN_PART_SIZE = 100 * 1024  # OBS's floor for every part but the last
DEFAULT_REGION = "cn-north-4"


class ObsSigner:
    """Adds `Date` and `Authorization: OBS AK:signature` (plus the token of temporary keys)."""

    def __init__(self, access_key: str, secret_key: str, security_token: str | None = None) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._token = security_token

    def __call__(self, request: HttpRequest) -> None:
        headers = request.headers
        headers["Date"] = formatdate(usegmt=True)  # fresh on every attempt: OBS allows 15 min of skew
        if self._token:
            headers["x-obs-security-token"] = self._token
        headers["Authorization"] = sign_obs(
            request.method,
            request.bucket,
            request.key or "",
            request.query,
            headers,
            self._access_key,
            self._secret_key,
        )

    def __repr__(self) -> str:  # never let the credentials reach a log line
        return "ObsSigner(...)"


def endpoint_for(region: str) -> str:
    """OBS's public endpoint of a region."""
    return f"https://obs.{region}.myhuaweicloud.com"


class ObsBackend(HttpObjectStore):
    """Blob store in one bucket (under a key prefix) of Huawei OBS."""

    kind = "OBS"
    list_style = "v1"

    def __init__(
        self,
        *,
        region: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        endpoint: str = "",
        security_token: str | None = None,
        signature: str = "OBS",
        working_dir: str = "",
        path_style: bool | None = None,
        project_id: str = "",
        options: StoreOptions | None = None,
    ) -> None:
        region = region or DEFAULT_REGION
        signature = (signature or "OBS").upper()
        if signature not in SIGNATURES:
            raise BackendError(f"OBS signature must be one of {', '.join(SIGNATURES)}, not {signature!r}")
        if path_style is None:
            path_style = bool(endpoint)
        if not endpoint:
            endpoint = endpoint_for(region)
        elif "://" not in endpoint:
            endpoint = f"https://{endpoint}"
        self.region = region
        self.signature = signature
        self.project_id = project_id
        if signature == "OBS":
            signer: Any = ObsSigner(access_key, secret_key, security_token)
            prefix = "x-obs-"
            self.xml_namespace = False  # OBS's documents carry no S3 namespace
        else:
            signer = SigV4Signer(access_key, secret_key, region, security_token)
            prefix = "x-amz-"
        super().__init__(
            endpoint=endpoint,
            bucket=bucket,
            working_dir=working_dir,
            signer=signer,
            header_prefix=prefix,
            path_style=path_style,
            options=options,
        )

    def __repr__(self) -> str:
        return f"ObsBackend(endpoint={self.endpoint!r}, bucket={self.bucket!r}, signature={self.signature!r})"


def build_obs(storage: dict[str, Any], credential: dict[str, Any], working_dir: str) -> ObsBackend:
    """Registry factory: user-space storage/credential JSON to an ObsBackend."""
    access_key, secret_key = access_key_pair(credential, "OBS", CREDENTIAL_TYPES)
    return ObsBackend(
        **location_fields(storage),
        access_key=access_key,
        secret_key=secret_key,
        security_token=credential.get("securityToken") or credential.get("sessionToken") or None,
        signature=str(storage.get("signature") or "OBS"),
        working_dir=working_dir or "",
        project_id=str(storage.get("projectID") or ""),
        options=StoreOptions.from_storage(storage, min_part_size=MIN_PART_SIZE),
    )
