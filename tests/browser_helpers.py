"""Helpers for the browser API (/api) tests: signed console calls to set users up, sign-ins,
URL-safe base64 keys."""

from __future__ import annotations

import base64
import json
import time

import console_example
import requests

XRW = {"X-Requested-With": "junction-console"}


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def console(gw, method, path, data=None):
    """A console API (/api/v1) call signed with the root key, as the document's client signs."""
    url = f"{gw.url}/api/v1{path}"
    req = requests.Request(method, url, json=data).prepare()
    ts = int(time.time())
    host = url.split("/")[2]
    signature = console_example.sign(gw.secret_key, ts, method, f"/api/v1{path}", {"Host": host}, None, req.body or b"")
    token = {"access_key": gw.access_key, "timestamp": ts, "signature": signature, "version": 1}
    req.headers["Authorization"] = base64.b64encode(json.dumps(token).encode()).decode()
    return requests.Session().send(req)


def make_user(gw, name, password, *, rules=(), policies=()):
    """A user of the root account with a password, per-path rules and attached policies."""
    body = {"name": name, "password": password, "rules": list(rules), "policies": list(policies)}
    response = console(gw, "POST", "/accounts/root/users", body)
    assert response.status_code == 201, response.text
    return response.json()


def user_key(gw, name):
    response = console(gw, "POST", f"/accounts/root/users/{name}/keys", {})
    assert response.status_code == 201, response.text
    return response.json()


def signed_in(gw, username, password) -> requests.Session:
    """A requests session holding the s4_auth_token cookie, sending X-Requested-With like the app."""
    session = requests.Session()
    response = session.post(f"{gw.url}/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    session.headers.update(XRW)
    session.token = response.json()["token"]  # type: ignore[attr-defined]
    return session


def admin(gw) -> requests.Session:
    """The gateway's root, signed in with its access key and secret (as MinIO's console does)."""
    return signed_in(gw, gw.access_key, gw.secret_key)
