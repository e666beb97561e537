"""The clients a run covers, in table order (one module per client)."""

from __future__ import annotations

from conformance.clients.awscli import AwsCliV1, AwsCliV2
from conformance.clients.boto3_sdk import Boto3, Boto3Tls
from conformance.clients.minio_py import MinioPy
from conformance.clients.rclone import Rclone
from conformance.clients.s3cmd import S3cmdDebian, S3cmdPip
from conformance.clients.s3fs_fsspec import S3fsFsspec
from conformance.clients.s3fs_fuse import S3fsFuse

DRIVERS = [AwsCliV1, AwsCliV2, Boto3, Boto3Tls, Rclone, S3cmdDebian, S3cmdPip, MinioPy, S3fsFsspec, S3fsFuse]
