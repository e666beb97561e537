"""POST Object: browser-form uploads (`POST /<bucket>`, multipart/form-data, signed policy).

The authentication lives in the form, not in headers: the handler skips SigV4 for these
requests (see `is_form_upload`) and this module establishes the principal from the policy
signature; a form with neither policy nor signature is an anonymous upload. Fields before
the `file` part are read (bounded), checked against the policy, and only then is the file
part streamed into the core — never buffered whole. Anything after the file part is ignored,
as S3 does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from urllib.parse import quote, unquote, urlencode, urlsplit

from aiohttp import BodyPartReader, MultipartReader, web
from multidict import CIMultiDict

from gateway.core.checksums import algorithm_from_header
from gateway.core.objects import Expectations, ObjectAttrs, WriteConditions, checksum_algorithm
from gateway.core.sse.request import parse_write
from gateway.core.storage_classes import parse_storage_class, with_storage_class
from gateway.core.tagging import MAX_OBJECT_TAGS, validate_tags
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.text import require_header_safe
from gateway.logs import ACCESS_KEY
from s3xml import tagging as tagging_documents
from s3xml.documents import post_response, quoted
from s3xml.xml import MalformedXML

from .acl import object_acl_for_write
from .context import READ_PIECE, STORED_HEADERS, S3Call
from .encryption import sse_headers
from .post_policy import Policy, check_form, check_length, is_anonymous, parse_policy, verify_signature
from .responses import xml
from .tagging import tag_context

MAX_FIELDS_BYTES = 64 * 1024  # all fields before the file part together
MAX_FIELDS = 200


def is_form_upload(
    method: str, bucket: str | None, key: str | None, query: Mapping[str, str], headers: Mapping[str, str]
) -> bool:
    """A browser-form POST on a bucket: authenticated by its form, not by a SigV4 header."""
    content_type = (headers.get("Content-Type") or "").lower()
    return (
        method == "POST"
        and bucket is not None
        and key is None
        and "Authorization" not in headers
        and "delete" not in query
        and "uploads" not in query
        and content_type.startswith("multipart/form-data")
    )


async def post_object(call: S3Call) -> web.StreamResponse:
    assert call.bucket is not None
    await call.continue_upload()  # the form carries the signature: it must be read to check it
    try:
        reader = await call.request.multipart()
    except (ValueError, AssertionError, KeyError):
        raise JunctionError(ErrorCode.MalformedPOSTRequest) from None
    fields, file_part = await _read_fields(reader)
    anonymous = is_anonymous(fields)
    if anonymous:  # the identity stays the anonymous one: the write must be open to anyone
        bucket = await call.core.buckets.get(call.bucket)
        await call.authorize("s3:PutObject", bucket, fields.get("key", "").replace("${filename}", "x"))
    else:
        access_key = await verify_signature(fields, call.core.secret_for)
        call.request[ACCESS_KEY] = access_key
        call.identity = await call.core.resolve(access_key)  # the form acts as its signer
        call.form_signed = True
    if "key" not in fields:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
            argument="key",
        )
    fields["key"] = fields["key"].replace("${filename}", file_part.filename or "")
    policy = None if anonymous else parse_policy(fields["policy"])
    if policy is not None:
        check_form(policy, fields, bucket=call.bucket)
    for name in ("success_action_redirect", "redirect"):  # becomes the Location header: checked before storing
        require_header_safe(fields.get(name, ""), name)
    if not fields["key"]:
        raise JunctionError(ErrorCode.InvalidArgument, "User key must have a length greater than 0.", argument="key")
    bucket = await call.core.buckets.get(call.bucket)
    tags = _tags(fields)
    # the encryption fields ask what the same headers of a PUT ask (field names are case-insensitive)
    sse = parse_write(CIMultiDict(fields), secure=call.request.secure, allow_http=call.core.sse.allow_http)
    extra = tag_context(tags) | ({"s3:x-amz-acl": (fields["acl"],)} if "acl" in fields else {})
    await call.authorize("s3:PutObject", bucket, fields["key"], extra=extra)
    acl = await object_acl_for_write(call, bucket, canned_field=fields.get("acl"))
    obj = await call.core.objects.put(
        call.bucket,
        fields["key"],
        _file_stream(file_part, policy),
        length=None,
        attrs=_attrs(fields),
        expect=_expectations(fields),
        conditions=WriteConditions(no_overwrite=call.identity.no_overwrite),
        tags=tags,
        sse=sse,
        acl=acl,
        event="Post",
    )
    return _success(call, fields, obj.etag, sse_headers(obj.encryption, sse))


async def _read_fields(reader: MultipartReader) -> tuple[dict[str, str], BodyPartReader]:
    """Form fields up to the file part (names lowercased), and the file part itself."""
    fields: dict[str, str] = {}
    budget = MAX_FIELDS_BYTES
    while True:
        part = await _next_part(reader)
        if part is None:
            raise JunctionError(ErrorCode.IncorrectNumberOfFilesInPostRequest)
        name = (part.name or "").lower()
        if name == "file":
            return fields, part
        if not name or name in fields or len(fields) >= MAX_FIELDS:
            raise JunctionError(
                ErrorCode.MalformedPOSTRequest,
                "The body of your POST request is not well-formed "
                "multipart/form-data (a field is unnamed or repeated).",
            )
        data = await _read_value(part, budget)
        budget -= len(data)
        try:
            fields[name] = data.decode()
        except UnicodeDecodeError:
            raise JunctionError(
                ErrorCode.MalformedPOSTRequest, f"The form field {name!r} is not valid UTF-8."
            ) from None


async def _next_part(reader: MultipartReader) -> BodyPartReader | None:
    try:
        part = await reader.next()
    except (ValueError, AssertionError):
        raise JunctionError(ErrorCode.MalformedPOSTRequest) from None
    if part is not None and not isinstance(part, BodyPartReader):
        raise JunctionError(ErrorCode.MalformedPOSTRequest, "Nested multipart bodies are not allowed in a POST upload.")
    return part


async def _read_value(part: BodyPartReader, budget: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = await part.read_chunk(8192)
        except ValueError:
            raise JunctionError(ErrorCode.MalformedPOSTRequest) from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > budget:
            raise JunctionError(
                ErrorCode.MaxPostPreDataLengthExceededError,
            )
        chunks.append(chunk)


async def _file_stream(part: BodyPartReader, policy: Policy | None) -> AsyncIterator[bytes]:
    """The file part's bytes as they arrive, content-length-range (if signed) enforced on the way."""
    size = 0
    while True:
        try:
            chunk = await part.read_chunk(READ_PIECE)
        except ValueError:
            raise JunctionError(ErrorCode.IncompleteBody, "The POST body ended before the file part did.") from None
        if not chunk:
            break
        size += len(chunk)
        if policy is not None:
            check_length(policy, size, final=False)
        yield chunk
    if policy is not None:
        check_length(policy, size, final=True)


def _attrs(fields: Mapping[str, str]) -> ObjectAttrs:
    headers = {name: fields[name] for name in STORED_HEADERS if fields.get(name)}
    headers = with_storage_class(headers, parse_storage_class(fields.get("x-amz-storage-class")))
    meta = {name[len("x-amz-meta-") :]: value for name, value in fields.items() if name.startswith("x-amz-meta-")}
    return ObjectAttrs(content_type=fields.get("content-type", ""), headers=headers, meta=meta)


def _tags(fields: Mapping[str, str]) -> dict[str, str] | None:
    """The `tagging` field: a Tagging XML document (not the header's query-string form)."""
    if "tagging" not in fields:
        return None
    try:
        pairs = tagging_documents.parse_tagging(fields["tagging"].encode())
    except MalformedXML as exc:
        raise JunctionError(
            ErrorCode.MalformedXML, f"The tagging field is not a valid Tagging document: {exc}"
        ) from None
    return validate_tags(pairs, limit=MAX_OBJECT_TAGS)


def _expectations(fields: Mapping[str, str]) -> Expectations:
    expect = Expectations(content_md5=fields.get("content-md5"))
    for name, value in fields.items():
        alg = algorithm_from_header(name)
        if alg:
            expect.checksums[alg] = value.strip()
    alg = checksum_algorithm(fields.get("x-amz-checksum-algorithm"))
    if alg:
        expect.algorithms.append(alg)
    return expect


def _success(call: S3Call, fields: Mapping[str, str], etag: str, encryption: dict[str, str]) -> web.StreamResponse:
    assert call.bucket is not None
    key = fields["key"]
    location = _location(call, key)
    headers = {"ETag": quoted(etag), "Location": location, **encryption}
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    if redirect and urlsplit(redirect).scheme in ("http", "https"):
        extra = urlencode([("bucket", call.bucket), ("key", key), ("etag", quoted(etag))])
        headers["Location"] = redirect + ("&" if urlsplit(redirect).query else "?") + extra
        return web.Response(status=303, headers=headers)
    status = fields.get("success_action_status", "204")
    if status == "201":
        return xml(post_response(location, call.bucket, key, etag), 201, headers=headers)
    return web.Response(status=200 if status == "200" else 204, headers=headers)


def _location(call: S3Call, key: str) -> str:
    """The new object's URL, in the addressing style the form was posted with."""
    assert call.bucket is not None
    request = call.request
    base = f"{request.scheme}://{request.host}"
    path = unquote(request.raw_path.split("?", 1)[0]).lstrip("/")
    prefix = f"/{quote(call.bucket)}" if path.split("/", 1)[0] == call.bucket else ""
    return f"{base}{prefix}/{quote(key)}"
