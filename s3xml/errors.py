"""The S3 front end's error table: each catalogue code's HTTP status.

The `<Code>` of an S3 error document is the code's value, its `<Message>` the raise site's
message or the catalogue default (`gateway.domain.errors.MESSAGES`).
"""

from __future__ import annotations

from gateway.domain.errors import MESSAGES, ErrorCode

STATUS: dict[ErrorCode, int] = {
    ErrorCode.AccessDenied: 403,
    ErrorCode.AllAccessDisabled: 403,
    ErrorCode.AuthorizationHeaderMalformed: 400,
    ErrorCode.AuthorizationQueryParametersError: 400,
    ErrorCode.BadDigest: 400,
    ErrorCode.BadRequest: 400,
    ErrorCode.BucketAlreadyExists: 409,
    ErrorCode.BucketAlreadyOwnedByYou: 409,
    ErrorCode.BucketNotEmpty: 409,
    ErrorCode.CORSResponse: 403,
    ErrorCode.EntityTooLarge: 400,
    ErrorCode.EntityTooSmall: 400,
    ErrorCode.ExpiredToken: 400,
    ErrorCode.IllegalLocationConstraintException: 400,
    ErrorCode.IncompleteBody: 400,
    ErrorCode.IncorrectNumberOfFilesInPostRequest: 400,
    ErrorCode.InternalError: 500,
    ErrorCode.InvalidAccessKeyId: 403,
    ErrorCode.InvalidArgument: 400,
    ErrorCode.InvalidBucketName: 400,
    ErrorCode.InvalidDigest: 400,
    ErrorCode.InvalidPart: 400,
    ErrorCode.InvalidPartNumber: 416,
    ErrorCode.InvalidPartOrder: 400,
    ErrorCode.InvalidPolicyDocument: 400,
    ErrorCode.InvalidRange: 416,
    ErrorCode.InvalidRequest: 400,
    ErrorCode.InvalidTag: 400,
    ErrorCode.InvalidURI: 400,
    ErrorCode.KeyTooLongError: 400,
    ErrorCode.MalformedACLError: 400,
    ErrorCode.MalformedJSON: 400,
    ErrorCode.OwnershipControlsNotFoundError: 404,
    ErrorCode.InvalidBucketAclWithObjectOwnership: 400,
    ErrorCode.AccessControlListNotSupported: 400,
    ErrorCode.MalformedPolicy: 400,
    ErrorCode.MalformedPOSTRequest: 400,
    ErrorCode.MalformedXML: 400,
    ErrorCode.MaxPostPreDataLengthExceededError: 400,
    ErrorCode.MetadataTooLarge: 400,
    ErrorCode.MethodNotAllowed: 405,
    ErrorCode.MissingContentLength: 411,
    ErrorCode.MissingSecurityHeader: 400,
    ErrorCode.NoSuchBucket: 404,
    ErrorCode.NoSuchBucketPolicy: 404,
    ErrorCode.NoSuchCORSConfiguration: 404,
    ErrorCode.NoSuchExport: 404,
    ErrorCode.NoSuchJob: 404,
    ErrorCode.NoSuchKey: 404,
    ErrorCode.NoSuchLifecycleConfiguration: 404,
    ErrorCode.NoSuchPackage: 404,
    ErrorCode.NoSuchPublicAccessBlockConfiguration: 404,
    ErrorCode.NoSuchQuota: 404,
    ErrorCode.NoSuchRoute: 404,
    ErrorCode.NoSuchTagSet: 404,
    ErrorCode.NoSuchTask: 404,
    ErrorCode.NoSuchUpload: 404,
    ErrorCode.NoSuchUserSpace: 404,
    ErrorCode.NoSuchVersion: 404,
    ErrorCode.NoSuchVolume: 404,
    ErrorCode.NoSuchWebsiteConfiguration: 404,
    ErrorCode.NotFound: 404,
    ErrorCode.NotImplemented: 501,
    ErrorCode.NotModified: 304,
    ErrorCode.ObjectAlreadyExists: 409,
    ErrorCode.ObjectLockConfigurationNotFoundError: 404,
    ErrorCode.OperationAborted: 409,
    ErrorCode.OperationFailed: 500,
    ErrorCode.PackageAlreadyExists: 409,
    ErrorCode.PreconditionFailed: 412,
    ErrorCode.QuotaExceeded: 403,
    ErrorCode.QuotaExists: 409,
    ErrorCode.ReplicationConfigurationNotFoundError: 404,
    ErrorCode.RequestTimeTooSkewed: 403,
    ErrorCode.ServerSideEncryptionConfigurationNotFoundError: 404,
    ErrorCode.ServiceUnavailable: 503,
    ErrorCode.SignatureDoesNotMatch: 403,
    ErrorCode.SlowDown: 503,
    ErrorCode.StorageTestFailed: 502,
    ErrorCode.Unauthorized: 401,
    ErrorCode.Unsigned: 403,
    ErrorCode.UserSpaceAlreadyExists: 409,
    ErrorCode.UserSpaceNotEmpty: 409,
    ErrorCode.XAmzContentSHA256Mismatch: 400,
}


def status_of(code: ErrorCode) -> int:
    return STATUS[code]


def message_of(code: ErrorCode) -> str:
    return MESSAGES[code]
