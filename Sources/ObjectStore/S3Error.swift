import Wire

/// S3's error codes (`<Error><Code>`), with AWS's statuses and messages.
public enum S3Error {
    public static func noSuchBucket(_ bucket: String) -> AWSError {
        AWSError(code: "NoSuchBucket", status: 404, message: "The specified bucket does not exist", extra: [("BucketName", bucket)])
    }
    public static func noSuchKey(_ key: String) -> AWSError {
        AWSError(code: "NoSuchKey", status: 404, message: "The specified key does not exist.", extra: [("Key", key)])
    }
    public static func noSuchUpload(_ id: String) -> AWSError {
        AWSError(code: "NoSuchUpload", status: 404,
                 message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
                 extra: [("UploadId", id)])
    }
    public static func noSuchBucketPolicy(_ bucket: String) -> AWSError {
        AWSError(code: "NoSuchBucketPolicy", status: 404, message: "The bucket policy does not exist", extra: [("BucketName", bucket)])
    }
    public static func bucketAlreadyOwnedByYou(_ bucket: String) -> AWSError {
        AWSError(code: "BucketAlreadyOwnedByYou", status: 409,
                 message: "Your previous request to create the named bucket succeeded and you already own it.",
                 extra: [("BucketName", bucket)])
    }
    public static func bucketAlreadyExists(_ bucket: String) -> AWSError {
        AWSError(code: "BucketAlreadyExists", status: 409,
                 message: "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                 extra: [("BucketName", bucket)])
    }
    public static func bucketNotEmpty(_ bucket: String) -> AWSError {
        AWSError(code: "BucketNotEmpty", status: 409, message: "The bucket you tried to delete is not empty",
                 extra: [("BucketName", bucket)])
    }
    public static func invalidBucketName(_ bucket: String) -> AWSError {
        AWSError(code: "InvalidBucketName", status: 400, message: "The specified bucket is not valid.", extra: [("BucketName", bucket)])
    }
    public static func accessDenied(_ message: String = "Access Denied") -> AWSError {
        AWSError(code: "AccessDenied", status: 403, message: message)
    }
    public static func keyTooLong(_ size: Int) -> AWSError {
        AWSError(code: "KeyTooLongError", status: 400, message: "Your key is too long",
                 extra: [("Size", String(size)), ("MaxSizeAllowed", "1024")])
    }
    public static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> AWSError {
        var extra: [(String, String)] = []
        if let name { extra.append(("ArgumentName", name)) }
        if let value { extra.append(("ArgumentValue", value)) }
        return AWSError(code: "InvalidArgument", status: 400, message: message, extra: extra)
    }
    public static func invalidRequest(_ message: String) -> AWSError {
        AWSError(code: "InvalidRequest", status: 400, message: message)
    }
    public static let malformedXML = AWSError(
        code: "MalformedXML", status: 400,
        message: "The XML you provided was not well-formed or did not validate against our published schema")
    public static func invalidTag(_ message: String) -> AWSError { AWSError(code: "InvalidTag", status: 400, message: message) }
    public static func invalidDigest() -> AWSError {
        AWSError(code: "InvalidDigest", status: 400, message: "The Content-MD5 you specified was invalid.")
    }
    public static func badDigest(_ message: String = "The Content-MD5 you specified did not match what we received.") -> AWSError {
        AWSError(code: "BadDigest", status: 400, message: message)
    }
    public static let preconditionFailed = AWSError(
        code: "PreconditionFailed", status: 412, message: "At least one of the pre-conditions you specified did not hold",
        extra: [("Condition", "If-Match")])
    public static func invalidRange(size: Int64, requested: String) -> AWSError {
        AWSError(code: "InvalidRange", status: 416, message: "The requested range is not satisfiable",
                 extra: [("RangeRequested", requested), ("ActualObjectSize", String(size))])
    }
    public static let invalidStorageClass = AWSError(code: "InvalidStorageClass", status: 400,
                                                     message: "The storage class you specified is not valid")
    public static func invalidPart(_ message: String) -> AWSError { AWSError(code: "InvalidPart", status: 400, message: message) }
    public static let invalidPartOrder = AWSError(
        code: "InvalidPartOrder", status: 400, message: "The list of parts was not in ascending order. Parts must be ordered by part number.")
    public static func entityTooSmall() -> AWSError {
        AWSError(code: "EntityTooSmall", status: 400, message: "Your proposed upload is smaller than the minimum allowed object size.")
    }
    public static func entityTooLarge(_ max: Int64) -> AWSError {
        AWSError(code: "EntityTooLarge", status: 400, message: "Your proposed upload exceeds the maximum allowed size",
                 extra: [("MaxSizeAllowed", String(max))])
    }
    public static let missingContentLength = AWSError(
        code: "MissingContentLength", status: 411, message: "You must provide the Content-Length HTTP header.")
    public static func malformedPolicy(_ message: String) -> AWSError {
        AWSError(code: "MalformedPolicy", status: 400, message: message)
    }
    public static func notImplemented(_ what: String) -> AWSError {
        AWSError(code: "NotImplemented", status: 501,
                 message: "A header or query you provided implies functionality that is not implemented: \(what).")
    }
    public static let methodNotAllowed = AWSError(
        code: "MethodNotAllowed", status: 405, message: "The specified method is not allowed against this resource.")
    public static let invalidURI = AWSError(code: "InvalidURI", status: 400, message: "Couldn't parse the specified URI.")
}
