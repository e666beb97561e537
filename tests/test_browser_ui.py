"""The web console in a real browser: Debian's headless Chromium driven by Playwright (no
browser download). Sign in, create a bucket, upload with progress to 100 %, browse into a
folder, download and compare bytes, create a user with a read-only path rule, sign in as that
user and be refused a write there, and refused through S3 with that user's key too.

Screenshots go to $JUNCTION_SCREENSHOTS when set (docs/screenshots/ was made that way), else
to the test's temporary directory.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from backend_fixtures import start_moto
from botocore.exceptions import ClientError
from browser_fixtures import DESKTOP, PHONE, browser, gw, shots, sign_in  # noqa: F401  (fixtures)
from browser_helpers import b64
from conftest import boto_client
from space_helpers import local_space, root_of, tree, write_tree

from gateway.client import NativeClient


def test_console_end_to_end(gw, browser, shots, tmp_path):
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.goto(gw.url + "/")
    page.wait_for_url(re.compile(r"/console/#/login$"))
    page.screenshot(path=str(shots / "login.png"))
    sign_in(page, gw, gw.access_key, gw.secret_key)

    # create a bucket
    page.get_by_label("New bucket name").fill("photos")
    page.get_by_role("button", name="Create bucket").click()
    page.get_by_role("link", name="photos").wait_for()
    page.screenshot(path=str(shots / "buckets.png"))

    # into the bucket, make a folder (the page moves into it), upload there
    page.get_by_role("link", name="photos").click()
    page.get_by_label("New folder").fill("shared")
    page.get_by_role("button", name="Create folder").click()
    page.wait_for_url(re.compile(r"#/b/photos/" + re.escape(b64("shared/")) + "$"))
    page.get_by_role("heading", name="shared").wait_for()
    data = os.urandom(6 * 1024 * 1024 + 123)
    source = tmp_path / "holiday.bin"
    source.write_bytes(data)
    page.set_input_files("#file-picker", str(source))
    done = page.locator(".uploads li.done")
    done.wait_for(timeout=60_000)
    assert done.locator(".pct").inner_text().startswith("100 %")
    assert page.locator(".uploads progress").get_attribute("value") == "100"
    page.locator(".uploads .server", has_text="stored").wait_for(timeout=30_000)  # the SSE's final event
    page.get_by_role("button", name="holiday.bin", exact=True).wait_for()

    # drag and drop: a real drop event carrying a DataTransfer with a file
    dropped = page.evaluate_handle(
        "() => { const dt = new DataTransfer();"
        " dt.items.add(new File(['dropped bytes'], 'dropped.txt', {type: 'text/plain'})); return dt; }"
    )
    page.dispatch_event(".dropzone", "drop", {"dataTransfer": dropped})
    page.locator(".uploads li.done", has_text="dropped.txt").wait_for(timeout=30_000)
    assert boto_client(gw).get_object(Bucket="photos", Key="shared/dropped.txt")["Body"].read() == b"dropped bytes"

    # browse out and back in through the breadcrumbs and the folder link
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="photos").click()
    page.get_by_role("link", name="📁 shared/").click()
    page.get_by_role("button", name="holiday.bin", exact=True).wait_for()

    # download and compare the bytes
    with page.expect_download() as info:
        page.get_by_role("link", name="Download holiday.bin").click()
    assert Path(info.value.path()).read_bytes() == data
    assert info.value.suggested_filename == "holiday.bin"

    # details: metadata (and tags when allowed)
    page.get_by_role("button", name="Details of holiday.bin").click()
    details = page.get_by_role("complementary", name="Object details")
    details.get_by_text(f"{len(data)} bytes", exact=False).wait_for()
    page.screenshot(path=str(shots / "browser.png"))

    # search (startsWith) finds the file, a miss says so
    page.get_by_label("Search this folder").fill("holi")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name="holiday.bin", exact=True).wait_for()
    page.get_by_label("Search this folder").fill("nothing-like-it")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_text("No match.").wait_for()

    # a user with a read-only path rule on photos/shared/, and a key for it
    page.get_by_role("link", name="Users & paths").click()
    page.get_by_label("Name", exact=True).fill("viewer")
    page.get_by_label("Password", exact=True).fill("viewer-password-1")
    page.get_by_label("Rule bucket").fill("photos")
    page.get_by_label("Rule prefix").fill("shared/")
    page.get_by_role("button", name="Create user").click()
    page.get_by_role("cell", name="read: photos/shared/").wait_for()
    page.screenshot(path=str(shots / "users.png"))
    page.get_by_role("link", name="Access keys").click()
    page.get_by_label("For user").select_option("viewer")
    page.get_by_role("button", name="Create key").click()
    secret_card = page.locator(".secret")
    secret_card.wait_for()
    access_key = secret_card.locator("code").nth(0).inner_text()
    secret_key = secret_card.locator("code").nth(1).inner_text()
    page.screenshot(path=str(shots / "keys.png"))

    # every page's routes exist: none says "not available yet"
    page.get_by_role("link", name="Volumes & quotas").click()
    page.get_by_role("cell", name="photos").wait_for()
    page.screenshot(path=str(shots / "volumes.png"))
    for name in ("Audit log", "Notifications", "User spaces & sync"):
        page.get_by_role("link", name=name, exact=True).click()
        page.get_by_role("heading", name=name).wait_for()
        page.wait_for_load_state("networkidle")
        assert page.locator(".unavailable").count() == 0, name
    page.get_by_role("link", name="Audit log").click()
    page.get_by_role("cell", name="s3:PutObject").first.wait_for()  # the uploads above, from the audit log
    page.screenshot(path=str(shots / "audit.png"))

    # the phone layout: the menu folds away behind a button
    phone = browser.new_context(viewport=PHONE, storage_state=context.storage_state())
    small = phone.new_page()
    small.goto(f"{gw.url}/console/#/b/photos/{b64('shared/')}")
    small.get_by_role("button", name="holiday.bin", exact=True).wait_for()
    assert not small.get_by_role("navigation", name="Main").is_visible()
    small.get_by_role("button", name="Menu").click()
    assert small.get_by_role("navigation", name="Main").is_visible()
    small.screenshot(path=str(shots / "phone.png"))
    phone.close()

    # sign out; sign in as the viewer: it reads its path and is refused a write there
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"#/login$"))
    sign_in(page, gw, "viewer", "viewer-password-1")
    page.get_by_role("link", name="photos/shared/").click()  # its paths, offered on the buckets page
    page.get_by_role("button", name="holiday.bin", exact=True).wait_for()
    attempt = tmp_path / "intruder.txt"
    attempt.write_bytes(b"should not land")
    page.set_input_files("#file-picker", str(attempt))
    failed = page.locator(".uploads li.failed")
    failed.wait_for(timeout=30_000)
    assert "Access Denied" in failed.inner_text() or "AccessDenied" in failed.inner_text()
    context.close()

    # ... and through S3 with the viewer's key, the same answers
    s3 = boto_client(gw)
    s3._request_signer._credentials.access_key = access_key  # noqa: SLF001
    s3._request_signer._credentials.secret_key = secret_key  # noqa: SLF001
    assert s3.get_object(Bucket="photos", Key="shared/holiday.bin")["Body"].read() == data
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket="photos", Key="shared/intruder.txt", Body=b"no")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError):
        boto_client(gw).head_object(Bucket="photos", Key="shared/intruder.txt")


def test_transfer_to_another_space_with_live_progress(gw, browser, shots):
    """A bucket's folder to a Local user space: started from the form (submitted with the
    keyboard), followed live over SSE to 100 %, the bytes on the space's disk; then the spaces
    and sync tasks page lists the space and a sync task with its last run."""
    native = NativeClient(gw.url, gw.access_key, gw.secret_key)
    space = local_space(native, gw.data_dir)
    s3 = boto_client(gw)
    s3.create_bucket(Bucket="outbox")
    files = {"shared/big.bin": os.urandom(8 * 1024 * 1024 + 5), "shared/notes/a.txt": b"a note"}
    for key, data in files.items():
        s3.put_object(Bucket="outbox", Key=key, Body=data)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, gw, gw.access_key, gw.secret_key)
    page.get_by_role("link", name="Transfers").click()
    page.get_by_role("heading", name="Transfers").wait_for()
    page.get_by_label("From kind").select_option("s3")
    page.get_by_label("From bucket, package or space").fill("outbox")
    page.get_by_label("From path").fill("shared/")
    page.get_by_label("To kind").select_option("local")
    page.get_by_label("To bucket, package or space").fill(space["name"])
    page.get_by_role("button", name="Check conflicts").click()
    page.get_by_text("2 files (8.0 MiB); 0 already exist at the destination.").wait_for()
    page.get_by_label("To path").fill("copy/")
    page.get_by_label("To path").press("Enter")  # the keyboard submits the form
    row = page.locator("tr", has=page.locator(".transfer-status", has_text="completed"))
    row.wait_for(timeout=120_000)
    assert row.locator("progress").get_attribute("value") == "100"
    assert "2 of 2 files" in row.locator(".transfer-detail").inner_text()
    page.screenshot(path=str(shots / "transfers.png"))
    assert tree(root_of(space)) == {"copy/big.bin": files["shared/big.bin"], "copy/notes/a.txt": b"a note"}
    row.get_by_role("button", name="Clean up transfer").click()
    row.wait_for(state="detached")

    # a sync task between two spaces, and the page that lists spaces and tasks with the last run
    mirror = local_space(native, gw.data_dir)
    task = native.create_sync_task(
        {
            "trigger": {"type": "Once"},
            "mode": {"type": "Full"},
            "srcUserSpaceID": space["userSpaceID"],
            "srcPath": "copy",
            "destUserSpaceIDs": [mirror["userSpaceID"]],
            "destPathes": ["m"],
        }
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and native.get_sync_task(task["taskID"])["state"] != "done":
        time.sleep(0.1)
    page.get_by_role("link", name="User spaces & sync").click()
    page.get_by_role("heading", name="User spaces & sync tasks").wait_for()
    page.get_by_role("cell", name=space["name"], exact=True).wait_for()
    page.locator(".sync-result", has_text="succeeded: 2/2 files").wait_for()
    page.screenshot(path=str(shots / "spaces.png"))

    # on a phone: the same pages, no sideways scrolling
    phone = browser.new_context(viewport=PHONE, storage_state=context.storage_state())
    small = phone.new_page()
    for route, heading in (("transfers", "Transfers"), ("spaces", "User spaces & sync tasks")):
        small.goto(f"{gw.url}/console/#/{route}")
        small.get_by_role("heading", name=heading).wait_for()
        small.wait_for_load_state("networkidle")
        assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], route
    small.screenshot(path=str(shots / "spaces-phone.png"))
    phone.close()
    context.close()


def test_cancel_a_running_transfer_from_its_row(gw, browser, tmp_path):
    """Three hundred files to an S3 user space (moto) take a while: the row's Cancel stops it."""
    moto = start_moto(tmp_path)
    try:
        native = NativeClient(gw.url, gw.access_key, gw.secret_key)
        source = local_space(native, gw.data_dir)
        write_tree(root_of(source), {f"many/f{i:03}.bin": os.urandom(64 * 1024) for i in range(300)})
        storage = {"type": "S3", "endpoint": moto.url, "region": "us-east-1", "bucket": moto.new_bucket()}
        credential = {"type": "S3", "accessKeyId": moto.access_key, "secretAccessKey": moto.secret_key}
        target = native.create_user_space(f"s3-{os.urandom(4).hex()}", storage, credential)
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        sign_in(page, gw, gw.access_key, gw.secret_key)
        page.get_by_role("link", name="Transfers").click()
        page.get_by_label("From kind").select_option("local")
        page.get_by_label("From bucket, package or space").fill(source["name"])
        page.get_by_label("From path").fill("many/")
        page.get_by_label("To kind").select_option("local")
        page.get_by_label("To bucket, package or space").fill(target["name"])
        page.get_by_role("button", name="Start transfer").click()
        running = page.locator("tr", has=page.get_by_role("button", name=re.compile(r"^Cancel transfer")))
        row = page.locator(f'tr[data-job="{running.get_attribute("data-job")}"]')
        row.get_by_role("button", name=re.compile(r"^Cancel transfer")).click()
        row.locator(".transfer-status", has_text="cancelled").wait_for(timeout=60_000)
        done = int(re.search(r"(\d+) of 300 files", row.locator(".transfer-detail").inner_text()).group(1))
        assert done < 300
        row.get_by_role("button", name=re.compile(r"^Clean up transfer")).wait_for()
        context.close()
    finally:
        moto.stop()
