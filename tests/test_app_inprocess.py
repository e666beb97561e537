"""In-process checks with pytest-aiohttp: health, request ids, error documents, routing."""

import pytest
from lxml import etree

from gateway.app import create_app
from gateway.config import Config


@pytest.fixture
async def client(aiohttp_client, tmp_path):
    config = Config(data_dir=tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0)
    return await aiohttp_client(create_app(config))


async def test_health_needs_no_auth(client):
    resp = await client.get("/health")
    assert resp.status == 200
    assert (await resp.json()) == {"status": "ok"}
    assert resp.headers["x-amz-request-id"]


async def test_every_response_has_a_distinct_request_id(client):
    first = await client.get("/health")
    second = await client.get("/health")
    assert first.headers["x-amz-request-id"] != second.headers["x-amz-request-id"]


async def test_unsigned_s3_request_gets_access_denied_xml(client):
    """Anonymous requests may do only what an ACL or policy grants everyone: nothing here."""
    resp = await client.put("/some-bucket")
    assert resp.status == 403
    root = etree.fromstring(await resp.read())
    assert root.findtext("Code") == "AccessDenied"
    assert root.findtext("Resource") == "/some-bucket"
    assert root.findtext("RequestId") == resp.headers["x-amz-request-id"]
    missing = await client.get("/some-bucket/some/key")  # a bucket name's existence is no secret (as S3)
    assert missing.status == 404


async def test_malformed_authorization_header(client):
    resp = await client.get(
        "/", headers={"Authorization": "AWS4-HMAC-SHA256 garbage", "x-amz-date": "20250101T000000Z"}
    )
    assert resp.status in (400, 403)
    code = etree.fromstring(await resp.read()).findtext("Code")
    assert code in ("AuthorizationHeaderMalformed", "AccessDenied", "RequestTimeTooSkewed")
