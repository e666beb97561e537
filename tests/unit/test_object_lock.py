"""The Object Lock rules as pure functions: lock values, header validation, default retention,
which retention changes an active retention allows, and the `is_locked` predicate."""

from __future__ import annotations

import time

import pytest

from gateway.core.object_lock import LockRequest, _may_replace, is_locked, validate_default_retention
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import ObjectInfo
from gateway.domain.object_lock import COMPLIANCE, DAY, GOVERNANCE, DefaultRetention, LockConfig, LockState

NOW = 1_900_000_000.0


def version(lock: LockState | None) -> ObjectInfo:
    return ObjectInfo(
        id=1, bucket_id=1, package_id=1, package="", path="k", key="k", size=0, etag="", sha256="",
        content_type="", headers={}, meta={}, checksums={}, checksum_type="", parts_count=0, redundancy="none",
        created=NOW, updated=NOW, lock=lock,
    )  # fmt: skip


def code_of(fn, *args) -> ErrorCode:
    with pytest.raises(JunctionError) as err:
        fn(*args)
    return err.value.code


def test_is_locked_by_unexpired_retention_or_legal_hold():
    assert not is_locked(version(None), NOW)
    assert is_locked(version(LockState(GOVERNANCE, NOW + 1)), NOW)
    assert not is_locked(version(LockState(COMPLIANCE, NOW)), NOW)  # expired at that instant
    assert is_locked(version(LockState(legal_hold=True)), NOW)
    assert not is_locked(version(LockState(legal_hold=False)), NOW)
    assert is_locked(version(LockState(COMPLIANCE, time.time() + 60)))  # now by default


def test_lock_values_round_trip_as_json():
    for lock in (LockState(GOVERNANCE, NOW, None), LockState("", 0.0, False), LockState(COMPLIANCE, NOW + 5, True)):
        assert LockState.from_json(lock.to_json()) == lock
    assert LockState.from_json(None) is None
    assert LockState().empty and not LockState(legal_hold=False).empty
    for config in (
        LockConfig(),
        LockConfig(DefaultRetention(GOVERNANCE, days=3)),
        LockConfig(DefaultRetention(COMPLIANCE, years=2)),
    ):
        assert LockConfig.from_json(config.to_json()) == config


def test_default_retention_periods():
    assert DefaultRetention(GOVERNANCE, days=2).until(NOW) == NOW + 2 * DAY
    assert DefaultRetention(COMPLIANCE, years=1).until(NOW) == NOW + 365 * DAY
    assert validate_default_retention(GOVERNANCE, 1, None) == DefaultRetention(GOVERNANCE, 1, None)
    assert code_of(validate_default_retention, GOVERNANCE, 1, 1) == ErrorCode.MalformedXML
    assert code_of(validate_default_retention, GOVERNANCE, None, None) == ErrorCode.MalformedXML
    assert code_of(validate_default_retention, "governance", 1, None) == ErrorCode.MalformedXML
    assert code_of(validate_default_retention, COMPLIANCE, 0, None) == ErrorCode.InvalidRetentionPeriod
    assert code_of(validate_default_retention, COMPLIANCE, 36501, None) == ErrorCode.InvalidRetentionPeriod
    assert code_of(validate_default_retention, COMPLIANCE, None, 101) == ErrorCode.InvalidRetentionPeriod


def test_lock_headers_are_validated():
    assert LockRequest().state(NOW) is None
    state = LockRequest(GOVERNANCE, "2031-03-01T00:00:00Z", "ON").state(NOW)
    assert state is not None and (state.mode, state.legal_hold) == (GOVERNANCE, True)
    assert LockRequest(legal_hold="OFF").state(NOW) == LockState(legal_hold=False)
    for request in (
        LockRequest(mode=GOVERNANCE),
        LockRequest(retain_until="2031-03-01T00:00:00Z"),
        LockRequest("WORM", "2031-03-01T00:00:00Z"),
        LockRequest(GOVERNANCE, "next tuesday"),
        LockRequest(GOVERNANCE, "2000-01-01T00:00:00Z"),
        LockRequest(legal_hold="on"),
    ):
        assert code_of(request.state, NOW) == ErrorCode.InvalidArgument, request


@pytest.mark.parametrize(
    ("current", "mode", "until", "bypass", "allowed"),
    [
        (GOVERNANCE, GOVERNANCE, NOW + 20, False, True),  # extend
        (GOVERNANCE, GOVERNANCE, NOW + 5, False, False),  # shorten
        (GOVERNANCE, GOVERNANCE, NOW + 5, True, True),
        (GOVERNANCE, COMPLIANCE, NOW + 20, False, False),  # change mode
        (GOVERNANCE, COMPLIANCE, NOW + 20, True, True),
        (GOVERNANCE, "", 0.0, False, False),  # remove
        (GOVERNANCE, "", 0.0, True, True),
        (COMPLIANCE, COMPLIANCE, NOW + 20, False, True),
        (COMPLIANCE, COMPLIANCE, NOW + 5, True, False),
        (COMPLIANCE, GOVERNANCE, NOW + 20, True, False),
        (COMPLIANCE, "", 0.0, True, False),
    ],
)
def test_which_changes_an_active_retention_allows(current, mode, until, bypass, allowed):
    assert _may_replace(LockState(current, NOW + 10), mode, until, bypass) is allowed
