"""Choose the handler for an S3 request from its method, target and sub-resources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.domain.errors import ErrorCode, JunctionError

from . import (
    acl,
    attributes,
    bucket_access,
    buckets,
    copy,
    cors,
    delete_objects,
    encryption,
    lifecycle,
    listing,
    multipart,
    notification,
    object_lock,
    objects,
    post_object,
    tagging,
    torrent,
    unconfigured,
    versioning,
)
from .context import S3Call

Handler = Callable[[S3Call], Awaitable[web.StreamResponse]]

# Sub-resources S3 defines that this gateway does not implement yet: a clear 501, never a
# wrong answer (e.g. treating `PUT ?tagging` as an object upload).
UNSUPPORTED = (
    "accelerate",
    "analytics",
    "intelligent-tiering",
    "inventory",
    "logging",
    "metrics",
    "replication",
    "requestPayment",
    "restore",
    "select",
    "website",
)

# Implemented sub-resources: (name, on an object?, method) -> handler; another method is 405.
SUBRESOURCES: dict[tuple[str, bool, str], Handler] = {
    ("tagging", True, "GET"): tagging.get_object_tagging,
    ("tagging", True, "PUT"): tagging.put_object_tagging,
    ("tagging", True, "DELETE"): tagging.delete_object_tagging,
    ("tagging", False, "GET"): tagging.get_bucket_tagging,
    ("tagging", False, "PUT"): tagging.put_bucket_tagging,
    ("tagging", False, "DELETE"): tagging.delete_bucket_tagging,
    ("cors", False, "GET"): cors.get_bucket_cors,
    ("cors", False, "PUT"): cors.put_bucket_cors,
    ("cors", False, "DELETE"): cors.delete_bucket_cors,
    ("lifecycle", False, "GET"): lifecycle.get_bucket_lifecycle_configuration,
    ("lifecycle", False, "PUT"): lifecycle.put_bucket_lifecycle_configuration,
    ("lifecycle", False, "DELETE"): lifecycle.delete_bucket_lifecycle,
    ("acl", False, "GET"): acl.get_bucket_acl,
    ("acl", False, "PUT"): acl.put_bucket_acl,
    ("acl", True, "GET"): acl.get_object_acl,
    ("acl", True, "PUT"): acl.put_object_acl,
    ("attributes", True, "GET"): attributes.get_object_attributes,
    ("policy", False, "GET"): bucket_access.get_bucket_policy,
    ("policy", False, "PUT"): bucket_access.put_bucket_policy,
    ("policy", False, "DELETE"): bucket_access.delete_bucket_policy,
    ("policyStatus", False, "GET"): bucket_access.get_bucket_policy_status,
    ("ownershipControls", False, "GET"): bucket_access.get_bucket_ownership_controls,
    ("ownershipControls", False, "PUT"): bucket_access.put_bucket_ownership_controls,
    ("ownershipControls", False, "DELETE"): bucket_access.delete_bucket_ownership_controls,
    ("publicAccessBlock", False, "GET"): bucket_access.get_public_access_block,
    ("publicAccessBlock", False, "PUT"): bucket_access.put_public_access_block,
    ("publicAccessBlock", False, "DELETE"): bucket_access.delete_public_access_block,
    ("object-lock", False, "GET"): object_lock.get_object_lock_configuration,
    ("object-lock", False, "PUT"): object_lock.put_object_lock_configuration,
    ("retention", True, "GET"): object_lock.get_object_retention,
    ("retention", True, "PUT"): object_lock.put_object_retention,
    ("legal-hold", True, "GET"): object_lock.get_object_legal_hold,
    ("legal-hold", True, "PUT"): object_lock.put_object_legal_hold,
    ("torrent", True, "GET"): torrent.get_object_torrent,
    ("encryption", False, "GET"): encryption.get_bucket_encryption,
    ("encryption", False, "PUT"): encryption.put_bucket_encryption,
    ("encryption", False, "DELETE"): encryption.delete_bucket_encryption,
    ("notification", False, "GET"): notification.get_bucket_notification_configuration,
    ("notification", False, "PUT"): notification.put_bucket_notification_configuration,
}
SUBRESOURCE_NAMES = tuple(dict.fromkeys(name for name, _, _ in SUBRESOURCES))


def route(call: S3Call) -> Handler:
    method = call.request.method
    if call.bucket is None:
        if method == "GET":
            return buckets.list_buckets
        raise _not_allowed(method)
    if unconfigured.absent_subresource(call):
        return unconfigured.get_unconfigured_bucket_config  # GET ?policy etc.: "none configured", as S3 says
    for name in UNSUPPORTED:
        if name in call.query:
            raise JunctionError(
                ErrorCode.NotImplemented, f"The '{name}' sub-resource is not implemented by this gateway"
            )
    for name in SUBRESOURCE_NAMES:
        if name in call.query:
            handler = SUBRESOURCES.get((name, call.key is not None, method))
            if handler is None:
                raise _not_allowed(method)
            return handler
    if call.key is None:
        return _bucket_route(call, method)
    return _object_route(call, method)


def _bucket_route(call: S3Call, method: str) -> Handler:
    q = call.query
    if method == "GET":
        if "location" in q:
            return buckets.get_bucket_location
        if "versioning" in q:
            return versioning.get_bucket_versioning
        if "versions" in q:
            return versioning.list_object_versions
        if "uploads" in q:
            return multipart.list_multipart_uploads
        return listing.list_objects_v2 if q.get("list-type") == "2" else listing.list_objects
    if method == "HEAD":
        return buckets.head_bucket
    if method == "PUT":
        if "versioning" in q:
            return versioning.put_bucket_versioning
        return buckets.create_bucket
    if method == "DELETE":
        return buckets.delete_bucket
    if method == "POST" and "delete" in q:
        return delete_objects.delete_objects
    if method == "POST" and (call.header("Content-Type") or "").lower().startswith("multipart/form-data"):
        return post_object.post_object  # browser-form upload, signed by its policy
    raise _not_allowed(method)


def _object_route(call: S3Call, method: str) -> Handler:
    q = call.query
    if method == "GET":
        return multipart.list_parts if "uploadId" in q else objects.get_object
    if method == "HEAD":
        return objects.head_object
    if method == "PUT":
        if "uploadId" in q and "partNumber" in q:
            return multipart.upload_part_copy if "x-amz-copy-source" in call.headers else multipart.upload_part
        if "x-amz-copy-source" in call.headers:
            return copy.copy_object
        return objects.put_object
    if method == "POST":
        if "uploads" in q:
            return multipart.create_multipart_upload
        if "uploadId" in q:
            return multipart.complete_multipart_upload
        raise JunctionError(ErrorCode.NotImplemented, "This POST operation is not implemented by this gateway")
    if method == "DELETE":
        return multipart.abort_multipart_upload if "uploadId" in q else objects.delete_object
    raise _not_allowed(method)


def _not_allowed(method: str) -> JunctionError:
    return JunctionError(
        ErrorCode.MethodNotAllowed, f"The specified method ({method}) is not allowed against this resource."
    )
