"""The console's Notifications page in a real browser (Debian's headless Chromium, Playwright):
an administrator registers a webhook and adds a bucket notification with the keyboard, a write
through S3 then reaches a real receiver on 127.0.0.1, and the page's test button reports the
endpoint's answer."""

from __future__ import annotations

import uuid

import pytest
from browser_fixtures import DESKTOP, browser, gw, shots, sign_in  # noqa: F401  (fixtures)
from conftest import boto_client
from notify_helpers import Receiver


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.close()


def test_notifications_page(gw, browser, receiver, shots):
    s3 = boto_client(gw)
    bucket = f"ui-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, gw, gw.access_key, gw.secret_key)
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("heading", name="Notifications").wait_for()
    # register the receiver as a webhook: fields by their labels, submitted with Enter
    page.get_by_label("Webhook id", exact=True).fill("ui-hook")
    page.get_by_label("URL", exact=True).fill(receiver.url)
    page.get_by_label("URL", exact=True).press("Enter")
    page.get_by_role("cell", name="arn:junction:sqs::ui-hook:webhook").wait_for()
    # a notification for the bucket: created objects under in/, by the webhook's id
    page.get_by_label("Bucket", exact=True).select_option(bucket)
    page.get_by_role("table", name=f"Notifications of {bucket}").wait_for()
    page.get_by_label("Id", exact=True).fill("incoming")
    page.get_by_label("Webhook URL or registered webhook id").fill("ui-hook")
    page.get_by_label("s3:ObjectRemoved:*").uncheck()
    page.get_by_label("Key prefix").fill("in/")
    page.get_by_label("Key prefix").press("Enter")
    row = page.get_by_role("row", name="incoming")
    row.get_by_text("prefix in/").wait_for()
    assert "s3:ObjectCreated:*" in row.inner_text() and "s3:ObjectRemoved" not in row.inner_text()
    # the same configuration S3 reads, and a write through S3 reaches the receiver
    (config,) = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert config["Id"] == "incoming" and config["QueueArn"] == "arn:junction:sqs::ui-hook:webhook"
    s3.put_object(Bucket=bucket, Key="out/skipped.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="in/file.txt", Body=b"x")
    (record,) = receiver.wait_records(bucket, 1)
    assert record["s3"]["object"]["key"] == "in/file.txt"
    # the test button, reached and pressed with the keyboard
    test_button = page.get_by_role("button", name="Send a test event for incoming")
    test_button.focus()
    page.keyboard.press("Enter")
    page.locator("#notice", has_text="accepted the test event").wait_for()
    page.screenshot(path=str(shots / "notifications.png"), full_page=True)
    context.close()
