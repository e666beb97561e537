"""Who is calling, and what they may do: one check every front end applies."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from gateway.domain.errors import ErrorCode, JunctionError

READ, WRITE, DELETE, LIST, ADMIN = "read", "write", "delete", "list", "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    access_key: str
    kind: str = "root"  # root | admin | export
    bucket_id: int | None = None  # exports are confined to one bucket
    readonly: bool = False
    appendonly: bool = False
    apionly: bool = False
    iprange: str = ""

    @property
    def is_admin(self) -> bool:
        return self.kind in ("root", "admin")


def authorize(principal: Principal, action: str, *, bucket_id: int | None = None, client_ip: str | None = None) -> None:
    """Raise AccessDenied unless `principal` may perform `action` (on `bucket_id`)."""
    if principal.is_admin:
        return
    check_origin(principal, client_ip)
    if action == ADMIN:
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: this key cannot administer the gateway")
    if bucket_id is None:
        if action != LIST:
            raise JunctionError(ErrorCode.AccessDenied, "Access Denied: this key is confined to one volume")
    elif bucket_id != principal.bucket_id:
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: this key is confined to another volume")
    if principal.readonly and action in (WRITE, DELETE):
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: this key is read-only")
    if principal.appendonly and action == DELETE:
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: this key is append-only")


def check_origin(principal: Principal, client_ip: str | None) -> None:
    """Raise AccessDenied when the key is limited to address ranges and the caller is outside.

    Every front end calls this once it knows the key, whatever the request (the console has
    no per-action `authorize` for reads, so it must not rely on that to apply the range).
    """
    if principal.iprange and not principal.is_admin and not ip_allowed(principal.iprange, client_ip):
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: your address is not allowed for this key")


def ip_allowed(iprange: str, client_ip: str | None) -> bool:
    if not client_ip:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    for cidr in (part.strip() for part in iprange.split(",")):
        if cidr and address in ipaddress.ip_network(cidr, strict=False):
            return True
    return False
