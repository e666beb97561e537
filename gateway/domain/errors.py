"""The one catalogue of errors the gateway reports, and the exception that carries them.

Every failure a client can see is an `ErrorCode`: named after the S3 error code where S3 has
one (S3 is the lingua franca), or after the Junction concept it concerns (packages, user
spaces, exports...). Each front end maps every code to its own dialect: `s3xml.errors` (S3
status), `gateway.native.envelope` (native code and status) and `gateway.console.errors`
(console status); `tests/unit/test_error_catalogue.py` fails when a mapping is missing.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every error code; the value is what the S3 front end puts in `<Code>`."""

    AccessDenied = "AccessDenied"
    AllAccessDisabled = "AllAccessDisabled"
    AuthorizationHeaderMalformed = "AuthorizationHeaderMalformed"
    AuthorizationQueryParametersError = "AuthorizationQueryParametersError"
    BadDigest = "BadDigest"
    BadRequest = "BadRequest"
    BucketAlreadyExists = "BucketAlreadyExists"
    BucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou"
    BucketNotEmpty = "BucketNotEmpty"
    CORSResponse = "CORSResponse"
    ConditionalRequestConflict = "ConditionalRequestConflict"
    CorruptedObject = "CorruptedObject"
    EntityTooLarge = "EntityTooLarge"
    EntityTooSmall = "EntityTooSmall"
    ExpiredToken = "ExpiredToken"
    IllegalLocationConstraintException = "IllegalLocationConstraintException"
    InvalidLocationConstraint = "InvalidLocationConstraint"
    InvalidStorageClass = "InvalidStorageClass"
    IncompleteBody = "IncompleteBody"
    InsufficientStorage = "InsufficientStorage"
    IncorrectNumberOfFilesInPostRequest = "IncorrectNumberOfFilesInPostRequest"
    InternalError = "InternalError"
    InvalidAccessKeyId = "InvalidAccessKeyId"
    InvalidArgument = "InvalidArgument"
    InvalidBucketName = "InvalidBucketName"
    InvalidBucketState = "InvalidBucketState"
    InvalidDigest = "InvalidDigest"
    InvalidEncryptionAlgorithmError = "InvalidEncryptionAlgorithmError"
    InvalidPart = "InvalidPart"
    InvalidPartNumber = "InvalidPartNumber"
    InvalidPartOrder = "InvalidPartOrder"
    InvalidPolicyDocument = "InvalidPolicyDocument"
    InvalidRange = "InvalidRange"
    InvalidRequest = "InvalidRequest"
    InvalidRetentionPeriod = "InvalidRetentionPeriod"
    InvalidTag = "InvalidTag"
    InvalidURI = "InvalidURI"
    KeyTooLongError = "KeyTooLongError"
    MalformedACLError = "MalformedACLError"
    MalformedJSON = "MalformedJSON"
    OwnershipControlsNotFoundError = "OwnershipControlsNotFoundError"
    InvalidBucketAclWithObjectOwnership = "InvalidBucketAclWithObjectOwnership"
    AccessControlListNotSupported = "AccessControlListNotSupported"
    MalformedPolicy = "MalformedPolicy"
    UnresolvableGrantByEmailAddress = "UnresolvableGrantByEmailAddress"
    UnexpectedContent = "UnexpectedContent"
    MalformedPOSTRequest = "MalformedPOSTRequest"
    MalformedXML = "MalformedXML"
    MaxPostPreDataLengthExceededError = "MaxPostPreDataLengthExceededError"
    MetadataTooLarge = "MetadataTooLarge"
    MethodNotAllowed = "MethodNotAllowed"
    MissingContentLength = "MissingContentLength"
    MissingSecurityHeader = "MissingSecurityHeader"
    NoSuchBucket = "NoSuchBucket"
    NoSuchBucketPolicy = "NoSuchBucketPolicy"
    NoSuchCORSConfiguration = "NoSuchCORSConfiguration"
    NoSuchExport = "NoSuchExport"
    NoSuchJob = "NoSuchJob"
    NoSuchKey = "NoSuchKey"
    NoSuchLifecycleConfiguration = "NoSuchLifecycleConfiguration"
    NoSuchObjectLockConfiguration = "NoSuchObjectLockConfiguration"
    NoSuchPackage = "NoSuchPackage"
    NoSuchPublicAccessBlockConfiguration = "NoSuchPublicAccessBlockConfiguration"
    NoSuchQuota = "NoSuchQuota"
    NoSuchAccount = "NoSuchAccount"
    NoSuchUser = "NoSuchUser"
    NoSuchAccessKey = "NoSuchAccessKey"
    NoSuchPolicy = "NoSuchPolicy"
    EntityAlreadyExists = "EntityAlreadyExists"
    DeleteConflict = "DeleteConflict"
    NoSuchRoute = "NoSuchRoute"
    NoSuchTagSet = "NoSuchTagSet"
    NoSuchTask = "NoSuchTask"
    NoSuchUpload = "NoSuchUpload"
    NoSuchUserSpace = "NoSuchUserSpace"
    NoSuchVersion = "NoSuchVersion"
    NoSuchVolume = "NoSuchVolume"
    NoSuchWebsiteConfiguration = "NoSuchWebsiteConfiguration"
    NotFound = "NotFound"
    NotImplemented = "NotImplemented"
    NotModified = "NotModified"
    ObjectAlreadyExists = "ObjectAlreadyExists"
    ObjectLockConfigurationNotFoundError = "ObjectLockConfigurationNotFoundError"
    OperationAborted = "OperationAborted"
    OperationFailed = "OperationFailed"
    PackageAlreadyExists = "PackageAlreadyExists"
    PreconditionFailed = "PreconditionFailed"
    QuotaExceeded = "QuotaExceeded"
    QuotaExists = "QuotaExists"
    ReplicationConfigurationNotFoundError = "ReplicationConfigurationNotFoundError"
    RequestHeaderSectionTooLarge = "RequestHeaderSectionTooLarge"
    RequestTimeout = "RequestTimeout"
    RequestTimeTooSkewed = "RequestTimeTooSkewed"
    ServerSideEncryptionConfigurationNotFoundError = "ServerSideEncryptionConfigurationNotFoundError"
    ServiceUnavailable = "ServiceUnavailable"
    SignatureDoesNotMatch = "SignatureDoesNotMatch"
    SlowDown = "SlowDown"
    StorageTestFailed = "StorageTestFailed"
    Unauthorized = "Unauthorized"
    Unsigned = "Unsigned"
    UserSpaceAlreadyExists = "UserSpaceAlreadyExists"
    UserSpaceNotEmpty = "UserSpaceNotEmpty"
    XAmzContentSHA256Mismatch = "XAmzContentSHA256Mismatch"


# The request itself is malformed (an argument, the body, its encoding or checksum): a 400 in
# every front end (the native API's `BadArgument`); tests/unit/test_error_catalogue.py checks it.
MALFORMED_REQUEST: tuple[ErrorCode, ...] = (
    ErrorCode.InvalidArgument,
    ErrorCode.InvalidEncryptionAlgorithmError,
    ErrorCode.InvalidRequest,
    ErrorCode.BadRequest,
    ErrorCode.InvalidBucketName,
    ErrorCode.InvalidRetentionPeriod,
    ErrorCode.KeyTooLongError,
    ErrorCode.MetadataTooLarge,
    ErrorCode.MalformedJSON,
    ErrorCode.InvalidBucketAclWithObjectOwnership,
    ErrorCode.AccessControlListNotSupported,
    ErrorCode.MalformedPolicy,
    ErrorCode.UnresolvableGrantByEmailAddress,
    ErrorCode.UnexpectedContent,
    ErrorCode.MalformedXML,
    ErrorCode.MalformedACLError,
    ErrorCode.MalformedPOSTRequest,
    ErrorCode.IncompleteBody,
    ErrorCode.InvalidDigest,
    ErrorCode.BadDigest,
    ErrorCode.XAmzContentSHA256Mismatch,
    ErrorCode.InvalidPart,
    ErrorCode.InvalidPartOrder,
    ErrorCode.EntityTooSmall,
    ErrorCode.IllegalLocationConstraintException,
    ErrorCode.InvalidLocationConstraint,
    ErrorCode.InvalidStorageClass,
    ErrorCode.IncorrectNumberOfFilesInPostRequest,
    ErrorCode.InvalidPolicyDocument,
    ErrorCode.InvalidTag,
    ErrorCode.InvalidURI,
    ErrorCode.MaxPostPreDataLengthExceededError,
    ErrorCode.MissingSecurityHeader,
    ErrorCode.RequestHeaderSectionTooLarge,
    ErrorCode.RequestTimeout,  # the client stalled while sending its body
)

# The request names something that does not exist: a 404 in every front end (the native API's
# `DataNotFound`).
MISSING_RESOURCE: tuple[ErrorCode, ...] = (
    ErrorCode.NoSuchBucket,
    ErrorCode.NoSuchKey,
    ErrorCode.NoSuchVersion,
    ErrorCode.NoSuchPackage,
    ErrorCode.NoSuchUpload,
    ErrorCode.NoSuchRoute,
    ErrorCode.NoSuchUserSpace,
    ErrorCode.NoSuchJob,
    ErrorCode.NoSuchTask,
    ErrorCode.NoSuchVolume,
    ErrorCode.NoSuchExport,
    ErrorCode.NoSuchQuota,
    ErrorCode.NoSuchAccount,
    ErrorCode.NoSuchUser,
    ErrorCode.NoSuchAccessKey,
    ErrorCode.NoSuchPolicy,
    ErrorCode.NotFound,
    ErrorCode.NoSuchTagSet,
    ErrorCode.OwnershipControlsNotFoundError,
    ErrorCode.NoSuchCORSConfiguration,
    ErrorCode.NoSuchBucketPolicy,
    ErrorCode.NoSuchLifecycleConfiguration,
    ErrorCode.NoSuchPublicAccessBlockConfiguration,
    ErrorCode.NoSuchWebsiteConfiguration,
    ErrorCode.ObjectLockConfigurationNotFoundError,
    ErrorCode.NoSuchObjectLockConfiguration,
    ErrorCode.ReplicationConfigurationNotFoundError,
    ErrorCode.ServerSideEncryptionConfigurationNotFoundError,
)

MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.AccessDenied: "Access Denied",
    ErrorCode.AllAccessDisabled: "All access to this object has been disabled.",
    ErrorCode.AuthorizationHeaderMalformed: "The authorization header is malformed.",
    ErrorCode.AuthorizationQueryParametersError: "Error parsing the X-Amz-Credential parameter.",
    ErrorCode.BadDigest: "The Content-MD5 or checksum value that you specified did not match what the server received.",
    ErrorCode.BadRequest: "Bad Request",
    ErrorCode.BucketAlreadyExists: "The requested bucket name is not available.",
    ErrorCode.BucketAlreadyOwnedByYou: (
        "Your previous request to create the named bucket succeeded and you already own it."
    ),
    ErrorCode.BucketNotEmpty: "The bucket you tried to delete is not empty.",
    ErrorCode.CORSResponse: "This CORS request is not allowed.",
    ErrorCode.ConditionalRequestConflict: (
        "A conflicting operation occurred. If using PutObject you can retry the request. If using multipart upload "
        "you should initiate another CreateMultipartUpload request and re-upload each part."
    ),
    ErrorCode.EntityTooLarge: "Your proposed upload exceeds the maximum allowed object size.",
    ErrorCode.EntityTooSmall: "Your proposed upload is smaller than the minimum allowed object size.",
    ErrorCode.ExpiredToken: "The provided token has expired.",
    ErrorCode.IllegalLocationConstraintException: (
        "The location constraint is incompatible for the region specific endpoint this request was sent to."
    ),
    ErrorCode.InvalidLocationConstraint: "The specified location-constraint is not valid.",
    ErrorCode.InvalidStorageClass: "The storage class you specified is not valid.",
    ErrorCode.IncompleteBody: "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    ErrorCode.IncorrectNumberOfFilesInPostRequest: "POST requires exactly one file upload per request.",
    ErrorCode.InsufficientStorage: "The storage has no room left for this write; retry once space is freed.",
    ErrorCode.InternalError: "We encountered an internal error. Please try again.",
    ErrorCode.InvalidAccessKeyId: "The AWS access key ID you provided does not exist in our records.",
    ErrorCode.InvalidArgument: "Invalid Argument",
    ErrorCode.InvalidEncryptionAlgorithmError: (
        "The encryption request you specified is not valid. The valid value is AES256."
    ),
    ErrorCode.CorruptedObject: (
        "The object's stored data failed its integrity check (tampered with or truncated in its user space)."
    ),
    ErrorCode.InvalidBucketName: "The specified bucket is not valid.",
    ErrorCode.InvalidBucketState: "The request is not valid with the current state of the bucket.",
    ErrorCode.InvalidDigest: "The Content-MD5 you specified is not valid.",
    ErrorCode.InvalidPart: "One or more of the specified parts could not be found.",
    ErrorCode.InvalidPartNumber: "The requested partnumber is not satisfiable",
    ErrorCode.InvalidPartOrder: "The list of parts was not in ascending order.",
    ErrorCode.InvalidPolicyDocument: (
        "The content of the form does not meet the conditions specified in the policy document."
    ),
    ErrorCode.InvalidRange: "The requested range is not satisfiable",
    ErrorCode.InvalidRequest: "Invalid Request",
    ErrorCode.InvalidRetentionPeriod: "Default retention period must be a positive integer value.",
    ErrorCode.InvalidTag: "The tag provided was not a valid tag.",
    ErrorCode.InvalidURI: "Couldn't parse the specified URI.",
    ErrorCode.KeyTooLongError: "Your key is too long.",
    ErrorCode.MalformedACLError: (
        "The XML you provided was not well-formed or did not validate against our published schema."
    ),
    ErrorCode.MalformedJSON: "The JSON you provided was not well-formed.",
    ErrorCode.OwnershipControlsNotFoundError: "The bucket ownership controls were not found.",
    ErrorCode.InvalidBucketAclWithObjectOwnership: (
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting."
    ),
    ErrorCode.AccessControlListNotSupported: "The bucket does not allow ACLs.",
    ErrorCode.MalformedPolicy: "The policy document is not valid.",
    ErrorCode.UnexpectedContent: "This request does not support content",
    ErrorCode.UnresolvableGrantByEmailAddress: "The email address you provided does not match any account on record.",
    ErrorCode.MalformedPOSTRequest: "The body of your POST request is not well-formed multipart/form-data.",
    ErrorCode.MalformedXML: (
        "The XML you provided was not well-formed or did not validate against our published schema."
    ),
    ErrorCode.MaxPostPreDataLengthExceededError: "Your POST request fields preceding the upload file were too large.",
    ErrorCode.MetadataTooLarge: "Your metadata headers exceed the maximum allowed metadata size.",
    ErrorCode.MethodNotAllowed: "The specified method is not allowed against this resource.",
    ErrorCode.MissingContentLength: "You must provide the Content-Length HTTP header.",
    ErrorCode.MissingSecurityHeader: "Your request is missing a required header.",
    ErrorCode.NoSuchBucket: "The specified bucket does not exist",
    ErrorCode.NoSuchBucketPolicy: "The bucket policy does not exist",
    ErrorCode.NoSuchCORSConfiguration: "The CORS configuration does not exist",
    ErrorCode.NoSuchExport: "The specified export does not exist.",
    ErrorCode.NoSuchJob: "The specified job does not exist.",
    ErrorCode.NoSuchKey: "The specified key does not exist.",
    ErrorCode.NoSuchLifecycleConfiguration: "The lifecycle configuration does not exist",
    ErrorCode.NoSuchObjectLockConfiguration: "The specified object does not have a ObjectLock configuration",
    ErrorCode.NoSuchPackage: "The specified package does not exist.",
    ErrorCode.NoSuchPublicAccessBlockConfiguration: "The public access block configuration was not found",
    ErrorCode.NoSuchQuota: "The specified quota does not exist.",
    ErrorCode.NoSuchAccount: "The specified account does not exist.",
    ErrorCode.NoSuchUser: "The specified user does not exist.",
    ErrorCode.NoSuchAccessKey: "The specified access key does not exist.",
    ErrorCode.NoSuchPolicy: "The specified policy does not exist.",
    ErrorCode.EntityAlreadyExists: "An entity with this name already exists.",
    ErrorCode.DeleteConflict: "The entity cannot be deleted while others depend on it.",
    ErrorCode.NoSuchRoute: "The requested API route does not exist.",
    ErrorCode.NoSuchTagSet: "The TagSet does not exist",
    ErrorCode.NoSuchTask: "The specified sync task does not exist.",
    ErrorCode.NoSuchUpload: "The specified multipart upload does not exist.",
    ErrorCode.NoSuchUserSpace: "The specified user space does not exist.",
    ErrorCode.NoSuchVersion: "The specified version does not exist.",
    ErrorCode.NoSuchVolume: "The specified volume does not exist.",
    ErrorCode.NoSuchWebsiteConfiguration: "The specified bucket does not have a website configuration",
    ErrorCode.NotFound: "The requested resource does not exist.",
    ErrorCode.NotImplemented: "A header or query you provided implies functionality that is not implemented.",
    ErrorCode.NotModified: "Not Modified",
    ErrorCode.ObjectAlreadyExists: "An object already exists at the destination.",
    ErrorCode.ObjectLockConfigurationNotFoundError: "Object Lock configuration does not exist for this bucket",
    ErrorCode.OperationAborted: (
        "A conflicting conditional operation is currently in progress against this resource. Try again."
    ),
    ErrorCode.OperationFailed: "The operation could not be completed.",
    ErrorCode.PackageAlreadyExists: "The package already exists.",
    ErrorCode.PreconditionFailed: "At least one of the preconditions you specified did not hold.",
    ErrorCode.QuotaExceeded: "The quota of this path would be exceeded.",
    ErrorCode.QuotaExists: "A quota already exists for this path.",
    ErrorCode.ReplicationConfigurationNotFoundError: "The replication configuration was not found",
    ErrorCode.RequestHeaderSectionTooLarge: "Your request header section exceeds the maximum allowed size.",
    ErrorCode.RequestTimeout: (
        "Your socket connection to the server was not read from or written to within the timeout period."
    ),
    ErrorCode.RequestTimeTooSkewed: "The difference between the request time and the server's time is too large.",
    ErrorCode.ServerSideEncryptionConfigurationNotFoundError: "The server side encryption configuration was not found",
    ErrorCode.ServiceUnavailable: "Please reduce your request rate or retry later.",
    ErrorCode.SignatureDoesNotMatch: (
        "The request signature we calculated does not match the signature you provided. Check your key and "
        "signing method."
    ),
    ErrorCode.SlowDown: "Please reduce your request rate.",
    ErrorCode.StorageTestFailed: "The user space failed its storage test.",
    ErrorCode.Unauthorized: "Authentication is required.",
    ErrorCode.Unsigned: "The request is not signed.",
    ErrorCode.UserSpaceAlreadyExists: "The user space already exists.",
    ErrorCode.UserSpaceNotEmpty: "The user space still holds object blocks.",
    ErrorCode.XAmzContentSHA256Mismatch: "The provided 'x-amz-content-sha256' header does not match what was computed.",
}
"""The default message of each code, used when a raise site has nothing more specific to say."""


class JunctionError(Exception):
    """A failure the client should see, identified by its catalogue code."""

    def __init__(self, code: ErrorCode, message: str = "", **detail: object) -> None:
        super().__init__(message or MESSAGES[code])
        self.code = code
        self.message = message
        self.detail = detail

    @property
    def text(self) -> str:
        """The message to show: the raise site's own, else the catalogue's default."""
        return self.message or MESSAGES[self.code]


def no_such_bucket(name: str) -> JunctionError:
    return JunctionError(ErrorCode.NoSuchBucket, bucket=name)


def no_such_key(key: str) -> JunctionError:
    return JunctionError(ErrorCode.NoSuchKey, key=key)


def no_such_upload(upload_id: str) -> JunctionError:
    return JunctionError(
        ErrorCode.NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, "
        "or the upload may have been aborted or completed.",
        upload_id=upload_id,
    )


def invalid_argument(message: str, **detail: object) -> JunctionError:
    return JunctionError(ErrorCode.InvalidArgument, message, **detail)
