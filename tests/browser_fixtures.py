"""Fixtures the console's tests share: a gateway per test module, its root signed in to the
browser API, a fresh bucket, and Debian's headless Chromium driven by Playwright (no browser
download) with a folder for screenshots.

Import the fixtures a module uses by name, as tests/backend_fixtures.py's are:
`from browser_fixtures import gw, root  # noqa: F401  (fixtures)`.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from browser_helpers import admin
from conftest import start_gateway, stop_gateway

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def gw(tmp_path_factory, request):
    """One gateway for the test module, its data dir named after the module."""
    gateway = start_gateway(tmp_path_factory.mktemp(request.module.__name__.removeprefix("test_")))
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def root(gw):
    """The gateway's root signed in to the browser API (a requests session with its cookie)."""
    return admin(gw)


@pytest.fixture
def bkt(gw, root) -> str:
    """A new bucket made through the browser API."""
    name = f"web-{uuid.uuid4().hex[:10]}"
    assert root.post(f"{gw.url}/api/buckets", json={"bucketName": name}).status_code == 201
    return name


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (make test does)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: $JUNCTION_SCREENSHOTS when set (docs/screenshots/ was made that way)."""
    target = Path(os.environ.get("JUNCTION_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    target.mkdir(parents=True, exist_ok=True)
    return target


def sign_in(page, gw, username, password) -> None:
    """Sign `page` in from the gateway's root URL, as a person opening it would."""
    page.goto(gw.url + "/")  # a browser opening / lands on the console's sign-in
    page.wait_for_url(re.compile(r"/console/#/login$"))
    page.get_by_label("User name (or access key)").fill(username)
    page.get_by_label("Password (or secret key)").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Buckets").wait_for()
