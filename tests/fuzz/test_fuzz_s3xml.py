"""Fuzzing every S3 XML document parser (s3xml/): any body parses or raises MalformedXML or
a typed JunctionError — random bytes, and documents built from each schema's own element
names with hostile text, attributes, namespaces, entities and nesting."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from fuzz_support import as_sent, expect_typed, hostile_text
from hypothesis import given
from hypothesis import strategies as st

from gateway.core.lifecycle_config import build_config
from s3xml import acl, cors, documents, lifecycle, object_lock, tagging, versioning

PARSERS = {
    "create_bucket": documents.parse_create_bucket,
    "delete": documents.parse_delete,
    "complete": documents.parse_complete,
    "tagging": tagging.parse_tagging,
    "versioning": versioning.parse_versioning,
    "cors": cors.parse_cors,
    "acl": acl.parse_access_control_policy,
    "lifecycle": lambda body: build_config(lifecycle.parse_lifecycle(body)),  # shape, then S3's rules
    "object_lock": object_lock.parse_lock_configuration,
    "retention": object_lock.parse_retention,
    "legal_hold": object_lock.parse_legal_hold,
}
NAMES = [
    "CreateBucketConfiguration", "LocationConstraint", "Delete", "Object", "Key", "VersionId", "Quiet",
    "CompleteMultipartUpload", "Part", "PartNumber", "ETag", "ChecksumCRC32", "ChecksumSHA256", "Tagging",
    "TagSet", "Tag", "Value", "VersioningConfiguration", "Status", "MfaDelete", "CORSConfiguration", "CORSRule",
    "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds", "ID",
    "AccessControlPolicy", "Owner", "DisplayName", "AccessControlList", "Grant", "Grantee", "Permission", "URI",
    "EmailAddress", "Bucket", "ObjectLockConfiguration", "ObjectLockEnabled", "Rule", "DefaultRetention", "Mode",
    "Days", "Years", "Retention", "RetainUntilDate", "LegalHold", "LifecycleConfiguration", "Filter", "Prefix", "And",
    "ObjectSizeGreaterThan", "ObjectSizeLessThan", "Expiration", "Date", "ExpiredObjectDeleteMarker",
    "NoncurrentVersionExpiration", "NoncurrentDays", "NewerNoncurrentVersions", "AbortIncompleteMultipartUpload",
    "DaysAfterInitiation", "Transition", "NoncurrentVersionTransition", "StorageClass",
]  # fmt: skip
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
VALUES = st.one_of(
    hostile_text,
    st.sampled_from(
        [
            "1",
            "0",
            "-1",
            "10001",
            "99999999999999999999",
            "true",
            "Enabled",
            "Suspended",
            "FULL_CONTROL",
            "READ",
            "GET",
            "*",
            "CanonicalUser",
            "Group",
            '"etag"',
            "\u00b2",
            "1_0",
            "us-west-2",
            "EU",
            "GOVERNANCE",
            "COMPLIANCE",
            "ON",
            "2030-01-01T00:00:00Z",
            "Disabled",
            "GLACIER",
            "STANDARD",
            "2030-01-01T10:00:00+02:00",
            "logs/",
        ]
    ),  # fmt: skip
)


def text_node(value: str, raw: bool) -> str:
    return value if raw else escape(value.encode("utf-8", "replace").decode("utf-8", "replace"))


@st.composite
def element(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(st.sampled_from(NAMES))
    attrs = ""
    if draw(st.integers(0, 5)) == 0:
        attrs += f' xmlns="{draw(st.sampled_from([S3_NS, "urn:other", ""]))}"'
    if name == "Grantee" or draw(st.integers(0, 9)) == 0:
        kind = draw(st.sampled_from(["CanonicalUser", "Group", "AmazonCustomerByEmail", "x", ""]))
        attrs += f' xmlns:xsi="{XSI_NS}" xsi:type={quoteattr(kind)}'
    if depth < 3 and draw(st.booleans()):
        inner = "".join(draw(st.lists(element(depth + 1), max_size=4)))
    else:
        inner = text_node(draw(VALUES), raw=draw(st.integers(0, 9)) == 0)
    return f"<{name}{attrs}>{inner}</{name}>"


@st.composite
def xml_bodies(draw: st.DrawFn) -> bytes:
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.binary(max_size=300))
    prolog = draw(st.sampled_from(["", '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?>\n']))
    doctype = ""
    if choice == 1:
        doctype = '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;"><!ENTITY x SYSTEM "file:///etc/passwd">]>'
    body = prolog + doctype + draw(element())
    if choice == 1:
        body = body.replace("</", "&b;&x;</", 1)
    raw = as_sent(body)  # raw text may hold the surrogates of non-UTF-8 bytes: send those bytes
    if choice == 2 and raw:  # truncate
        raw = raw[: draw(st.integers(0, len(raw) - 1))]
    return raw


@given(body=xml_bodies(), parser=st.sampled_from(sorted(PARSERS)))
def test_xml_document(body, parser):
    expect_typed(lambda: PARSERS[parser](body))
