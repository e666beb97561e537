"""The console's settings, access keys and volumes pages in a real browser (Debian's headless
Chromium through Playwright, as tests/test_browser_ui.py): an administrator changes a setting
and adds an S3 endpoint (moto) after testing it; a user makes and deletes its own key with the
keyboard only and sees the settings read-only; an administrator manages a volume's exports and
quotas. Every page is checked for horizontal overflow at 1,280 px and at a phone's 390 px.

Screenshots go to $JUNCTION_SCREENSHOTS when set (docs/screenshots/ was made that way).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from backend_fixtures import start_moto
from browser_fixtures import DESKTOP, PHONE, browser, gw, shots  # noqa: F401  (fixtures)
from browser_helpers import admin, b64, console, make_user


def sign_in(browser, gw, username, password, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(gw.url + "/console/#/login")
    page.get_by_label("User name (or access key)").fill(username)
    page.get_by_label("Password (or secret key)").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Buckets").wait_for()
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


def fits(page, width: int) -> None:
    """Nothing on the page is wider than the window (no sideways scrolling)."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page is {scroll_width} px wide in a {width} px window"


def open_page(page, link: str, heading: str) -> None:
    nav = page.get_by_role("navigation", name="Main")
    if not nav.is_visible():
        page.get_by_role("button", name="Menu").click()
    nav.get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=heading, exact=True).wait_for()


def test_administrator_changes_settings_and_adds_an_endpoint(gw, browser, shots, tmp_path):
    context, page = sign_in(browser, gw, gw.access_key, gw.secret_key)
    open_page(page, "Settings", "Settings")
    per_page = page.get_by_label("Files per page")
    assert per_page.input_value() == "100"
    assert "10–1000" in page.locator(f"#{per_page.get_attribute('aria-describedby')}").inner_text()
    per_page.fill("25")
    page.get_by_label("Concurrent transfers").fill("4")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_role("status").filter(has_text="Settings saved.").wait_for()
    values = admin(gw).get(f"{gw.url}/api/settings").json()["settings"]
    assert values["maxFilesPerPage"] == 25 and values["maxConcurrentTransfers"] == 4

    moto = start_moto(tmp_path)
    try:
        bucket = moto.new_bucket()
        page.get_by_label("Name", exact=True).fill("archive")
        page.get_by_label("Endpoint URL").fill(moto.url)
        page.get_by_label("Region").fill(moto.region)
        page.get_by_label("Bucket", exact=True).fill(bucket)
        page.get_by_label("Access key id").fill(moto.access_key)
        page.get_by_label("Secret access key").fill(moto.secret_key)
        page.get_by_label("path-style addressing").check()
        page.get_by_role("button", name="Test connection").click()
        page.get_by_text("Connection successful").wait_for()
        page.get_by_role("button", name="Save endpoint").click()
        page.get_by_role("cell", name=bucket).wait_for()
        assert page.get_by_label("Secret access key").input_value() == ""  # the form is cleared
        assert moto.secret_key not in page.content()
        fits(page, DESKTOP["width"])
        page.screenshot(path=str(shots / "settings.png"), full_page=True)
        # edit: the form is filled from the row (no secret), saved without one keeps the stored secret
        page.get_by_role("button", name="Edit endpoint archive").click()
        assert page.get_by_label("Endpoint URL").input_value() == moto.url
        page.get_by_label("Working directory").fill("junction")
        page.get_by_role("button", name="Save endpoint").click()
        page.get_by_role("cell", name="junction", exact=True).wait_for()
        page.get_by_role("button", name="Test connection").click()  # the form is empty now: a clear refusal
        page.locator(".error").wait_for()
    finally:
        moto.stop()
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


def test_user_manages_its_own_keys_with_the_keyboard(gw, browser, shots):
    make_user(gw, "walker", "walker-password-1", policies=["read-only"])
    context, page = sign_in(browser, gw, "walker", "walker-password-1", viewport=PHONE)
    page.goto(gw.url + "/console/#/keys")
    page.get_by_role("heading", name="Your keys").wait_for()
    assert page.get_by_role("heading", name="Keys of the account's users").count() == 0  # not its to manage
    # keyboard only: Tab from the page heading to the button, Enter presses it
    button = page.get_by_role("button", name="Create a key for me")
    for _ in range(30):
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the Create button cannot be reached with Tab")
    page.keyboard.press("Enter")
    secret = page.locator(".secret")
    secret.wait_for()
    access_key = secret.locator("code").nth(0).inner_text()
    page.locator("td code", has_text=access_key).wait_for()  # (a phone's cells are named "Access key ...")
    fits(page, PHONE["width"])
    page.screenshot(path=str(shots / "keys-phone.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Delete key {access_key}").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Nothing here yet.").wait_for()

    # settings: read-only for a user
    page.goto(gw.url + "/console/#/settings")
    page.get_by_role("heading", name="Limits").wait_for()
    assert page.get_by_label("Files per page").is_disabled()
    assert (
        page.get_by_role("button", name="Save settings").count() == 0
        or not page.get_by_role("button", name="Save settings").is_visible()
    )
    page.get_by_text("these values are read-only").wait_for()
    fits(page, PHONE["width"])
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_volume_exports_and_quotas(gw, browser, shots, viewport):
    name = f"vol-{viewport['width']}"
    assert admin(gw).post(f"{gw.url}/api/buckets", json={"bucketName": name}).status_code == 201
    context, page = sign_in(browser, gw, gw.access_key, gw.secret_key, viewport=viewport)
    open_page(page, "Volumes & quotas", "Volumes, exports & quotas")
    page.get_by_role("link", name=f"Manage volume {name}").click()
    page.get_by_role("heading", name=f"Volume {name}").wait_for()
    # an export: its secret once, then a row
    page.get_by_label("Description").fill("for the backup host")
    page.get_by_label("read-only").check()
    page.get_by_role("button", name="Create export").click()
    page.locator(".secret").wait_for()
    export_key = page.locator(".secret code").nth(0).inner_text()
    page.locator("td code", has_text=export_key).wait_for()
    page.locator("td", has_text=re.compile(r"^readonly$")).wait_for()
    # a quota: created, listed with its usage, changed, deleted
    page.get_by_label("Path (starts with /)").fill("/reports")
    page.get_by_label("Size limit in bytes (empty: unlimited)").fill("1048576")
    page.get_by_role("button", name="Create quota").click()
    page.locator("td", has_text=re.compile(r"^/reports$")).wait_for()
    page.locator("td", has_text=re.compile(r"^1\.0 MiB$")).wait_for()
    fits(page, viewport["width"])
    page.screenshot(path=str(shots / f"volume-{viewport['width']}.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept("2097152"))
    page.get_by_role("button", name="Change quota of /reports").click()
    page.locator("td", has_text=re.compile(r"^2\.0 MiB$")).wait_for()
    volume_id = re.search(r"#/volumes/(\d+)", page.url).group(1)
    quotas = console(gw, "GET", f"/volumes/{volume_id}/quotas").json()
    assert [(q["path"], q["size"]) for q in quotas] == [("/reports", 2097152)]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete quota of /reports").click()
    page.get_by_role("status").filter(has_text="Quota of /reports deleted.").wait_for()
    assert console(gw, "GET", f"/volumes/{volume_id}/quotas").json() == []
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"^Delete export \d+$")).click()
    page.get_by_role("status").filter(has_text=re.compile(r"Export \d+ deleted\.")).wait_for()
    assert console(gw, "GET", f"/volumes/{volume_id}/exports").json() == []
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href], [role=button]')]
  .filter((el) => !el.closest('[hidden]'))
  .filter((el) => {
    const labelled = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .map((id) => (document.getElementById(id) || {}).textContent || '').join('');
    const labels = el.labels ? [...el.labels].map((l) => l.textContent).join('') : '';
    const own = ['BUTTON', 'A'].includes(el.tagName) ? el.textContent : '';
    return !`${el.getAttribute('aria-label') || ''}${labelled}${labels}${own}`.trim();
  })
  .map((el) => el.outerHTML.slice(0, 160))"""
PAGES = [
    "buckets",
    "b/{bucket}",
    "transfers",
    "spaces",
    "volumes",
    "users",
    "keys",
    "notifications",
    "audit",
    "settings",
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_every_page_names_its_controls_and_fits_the_window(gw, browser, viewport):
    """Accessibility floor on every page of the console: each control has a name a screen
    reader can say (a label, aria-label or its text), each page one h1; nothing scrolls sideways."""
    bucket = f"a11y-{viewport['width']}"
    admin(gw).post(f"{gw.url}/api/buckets", json={"bucketName": bucket})
    context, page = sign_in(browser, gw, gw.access_key, gw.secret_key, viewport=viewport)
    for name in PAGES:
        page.goto(f"{gw.url}/console/#/{name.format(bucket=bucket)}")
        page.locator("#page h1").wait_for()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(UNNAMED_CONTROLS) == [], f"#/{name}: controls without an accessible name"
        assert page.locator("h1").count() == 1, f"#/{name}"
        fits(page, viewport["width"])
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


def test_object_tags_are_edited_in_the_details_panel(gw, browser):
    session = admin(gw)
    session.post(f"{gw.url}/api/buckets", json={"bucketName": "tagged"})
    form = {"file": ("report.txt", b"numbers")}
    assert session.post(f"{gw.url}/api/objects/upload/tagged/{b64('report.txt')}", files=form).status_code == 200
    context, page = sign_in(browser, gw, gw.access_key, gw.secret_key)
    page.goto(f"{gw.url}/console/#/b/tagged")
    page.get_by_role("button", name="Details of report.txt").click()
    details = page.get_by_role("complementary", name="Object details")
    details.get_by_label("Tags (key=value, separated by commas)").fill("project=alpha, stage=final")
    details.get_by_role("button", name="Save tags").click()
    page.get_by_role("status").filter(has_text="Tags of report.txt saved.").wait_for()
    details.get_by_text("project=alpha, stage=final").first.wait_for()  # the panel re-reads the object
    tags = session.get(f"{gw.url}/api/objects/view/tagged/{b64('report.txt')}").json()["tags"]
    assert tags == {"project": "alpha", "stage": "final"}
    details.get_by_label("Tags (key=value, separated by commas)").fill("aws:reserved=1")
    details.get_by_role("button", name="Save tags").click()
    page.get_by_role("status").filter(has_text="InvalidTag").wait_for()
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()
