"""Run every client's scenarios against fresh gateways and print the compatibility table.

    python -m conformance.run [--only rclone,minio] [--big-mib 300] [--files 1000] [--keep]

Starts two gateways (plain HTTP, and TLS with a self-signed certificate for boto3's https
path), installs missing clients (see install.py), runs the common scenarios then each
client's extras, prints scenario x client -> ok/FAIL/-, every failure with the client's
words, and a last line `N passed, M failed`. Exit status 1 on any failure. A full run also
writes conformance/last-run.md (pasted into the README) and last-run.json.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as `python conformance/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from conformance import data as testdata  # noqa: E402
from conformance import install, report  # noqa: E402
from conformance.clients import DRIVERS  # noqa: E402
from conformance.data import PAGED_KEYS  # noqa: E402
from conformance.framework import GATEWAY_ERRORS, Context, Driver, Endpoint, Failed, NotApplicable, Outcome  # noqa: E402
from conformance.report import ClientResult  # noqa: E402
from conformance.scenarios import COMMON  # noqa: E402
from conformance.server import GatewayProcess  # noqa: E402

HERE = Path(__file__).resolve().parent


def admin_client(ep: Endpoint):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=ep.url,
        aws_access_key_id=ep.access_key,
        aws_secret_access_key=ep.secret_key,
        region_name="us-east-1",
        verify=str(ep.ca_file) if ep.ca_file else None,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )


def attempt(fn, *args) -> Outcome:
    started = time.monotonic()
    try:
        note = fn(*args)
        return Outcome("pass", time.monotonic() - started, note or "")
    except NotApplicable as exc:
        return Outcome("n/a", time.monotonic() - started, str(exc))
    except Exception as exc:  # noqa: BLE001 - any client or check error is this scenario's failure
        detail = str(exc) if isinstance(exc, AssertionError) else f"{type(exc).__name__}: {exc}"
        return Outcome("fail", time.monotonic() - started, " ".join(detail.split())[:600])


def run_client(driver: Driver) -> ClientResult:
    result = ClientResult(driver.name)
    reason = driver.available()
    if reason:
        result.skipped = reason
        print(f"== {driver.name}: skipped ({reason})", flush=True)
        return result
    setup = attempt(driver.setup)
    if setup.status != "pass":
        result.outcomes["setup"] = setup
        return result
    try:
        result.version = _version(driver)
        print(f"== {driver.name} {result.version}", flush=True)
        bucket = driver.ctx.new_bucket("cf-" + "".join(c for c in driver.name if c.isalnum())[:20])
        scenarios = [(name, fn, (driver, bucket)) for name, fn in COMMON.items()]
        scenarios += [(name, fn, (bucket,)) for name, fn in driver.extras().items()]
        scenarios.append((GATEWAY_ERRORS, no_gateway_errors, (driver, time.time())))
        for name, fn, args in scenarios:
            outcome = attempt(fn, *args)
            result.outcomes[name] = outcome
            mark = report.MARK[outcome.status]
            print(f"   {mark:<4} {name:<34} {outcome.seconds:6.1f}s  {outcome.detail}", flush=True)
    finally:
        teardown = attempt(driver.teardown)
        if teardown.status == "fail":
            result.outcomes["teardown"] = teardown
    return result


def make_paged_bucket(admin) -> str:
    """One read-only bucket per gateway with more keys than a listing page holds."""
    name = f"cf-paged-{uuid.uuid4().hex[:8]}"
    admin.create_bucket(Bucket=name)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: admin.put_object(Bucket=name, Key=key, Body=key.encode()), PAGED_KEYS))
    return name


def no_gateway_errors(driver: Driver, since: float) -> str | None:
    """Clients retry 5xx answers quietly, so a green scenario could hide a gateway error."""
    errors = driver.ctx.gateway_errors(since)
    if errors:
        raise Failed(f"{len(errors)} while this client ran, e.g. {errors[:3]}")
    return None


def _version(driver: Driver) -> str:
    try:
        return driver.version()
    except Exception as exc:  # noqa: BLE001 - a version we cannot read is noted, not fatal
        return f"unknown ({exc})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated client names (substring match)")
    parser.add_argument("--big-mib", type=int, default=300, help="size of the multipart file")
    parser.add_argument("--files", type=int, default=1000, help="files in the synced tree")
    parser.add_argument("--workdir", default="", help="scratch directory (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory and gateway data")
    parser.add_argument("--upgrade", action="store_true", help="reinstall the venv clients at their latest")
    parser.add_argument("--no-install", action="store_true", help="use only what is installed")
    args = parser.parse_args(argv)

    started = time.monotonic()
    tools = install.Tools() if args.no_install else install.ensure(upgrade=args.upgrade)
    for what, why in tools.problems.items():
        print(f"!! could not install {what}: {why}", flush=True)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="junction-conformance-"))
    work.mkdir(parents=True, exist_ok=True)
    wanted = [s.strip().lower() for s in args.only.split(",") if s.strip()]
    drivers = [d for d in DRIVERS if not wanted or any(w in d.name.lower() for w in wanted)]

    print(f"making test data in {work} ({args.big_mib} MiB file, {args.files}-file tree)", flush=True)
    data = testdata.make(work / "data", args.big_mib, args.files)
    plain, tls = GatewayProcess(work / "gw-http"), GatewayProcess(work / "gw-https", tls=True)
    results: list[ClientResult] = []
    try:
        endpoints = {False: plain.start(), True: tls.start()}
        paged = {tls_: make_paged_bucket(admin_client(ep)) for tls_, ep in endpoints.items()}
        for cls in drivers:
            ep = endpoints[cls.uses_tls]
            ctx = Context(ep, work / "clients" / cls.__name__, data, admin_client(ep), tools, paged[cls.uses_tls])
            ctx.work.mkdir(parents=True, exist_ok=True)
            results.append(run_client(cls(ctx)))
    finally:
        plain.stop()
        tls.stop()
    seconds = time.monotonic() - started

    print("\n" + report.text_table(results))
    details = report.failure_details(results)
    if details:
        print("\nfailures and skips:")
        for line in details:
            print(f"  {line}")
    full = not wanted and args.big_mib == 300 and args.files == 1000
    out_dir = HERE if full else work
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    report.write(results, seconds, when, out_dir / "last-run.md", out_dir / "last-run.json")
    print(f"\nresults: {out_dir / 'last-run.md'} ({seconds:.0f} s)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    passed, failed, skipped = report.totals(results)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
