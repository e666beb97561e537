"""Client conformance: real S3 clients, run as their users run them, against a fresh gateway.

Entry point: ``python -m conformance.run`` (or ``make conformance``). Each client module under
``conformance/clients/`` adapts one client to the small ``Driver`` interface of
``conformance/framework.py``; the common scenarios in ``conformance/scenarios.py`` are written
once against that interface, and each driver adds its own extras (rclone's mount, boto3's
checksums, ...).
"""
