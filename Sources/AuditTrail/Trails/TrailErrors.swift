import Wire

/// CloudTrail's trail error codes.
enum TrailError {
    static func notFound(_ name: String, account: String, region: String) -> AWSError {
        AWSError(code: "TrailNotFoundException", status: 400,
                 message: "Unknown trail: \(name) for the user: \(account)")
    }
    static func alreadyExists(_ name: String, account: String) -> AWSError {
        AWSError(code: "TrailAlreadyExistsException", status: 400,
                 message: "Trail \(name) already exists for customer: \(account)")
    }
    static func invalidName(_ message: String) -> AWSError {
        AWSError(code: "InvalidTrailNameException", status: 400, message: message)
    }
    static func bucketMissing(_ bucket: String) -> AWSError {
        AWSError(code: "S3BucketDoesNotExistException", status: 400, message: "S3 bucket \(bucket) does not exist.")
    }
    static func insufficientPolicy(_ bucket: String) -> AWSError {
        AWSError(code: "InsufficientS3BucketPolicyException", status: 400,
                 message: "Incorrect S3 bucket policy is detected for bucket: \(bucket)")
    }
    static func invalidPrefix(_ message: String) -> AWSError {
        AWSError(code: "InvalidS3PrefixException", status: 400, message: message)
    }
    static func invalidTopic(_ name: String) -> AWSError {
        AWSError(code: "InvalidSnsTopicNameException", status: 400, message: "SNS Topic \(name) does not exist.")
    }
    static func invalidSelectors(_ message: String) -> AWSError {
        AWSError(code: "InvalidEventSelectorsException", status: 400, message: message)
    }
    static func combination(_ message: String) -> AWSError {
        AWSError(code: "InvalidParameterCombinationException", status: 400, message: message)
    }
    static func invalidTimeRange(_ message: String) -> AWSError {
        AWSError(code: "InvalidTimeRangeException", status: 400, message: message)
    }
    static func resourceNotFound(_ arn: String) -> AWSError {
        AWSError(code: "ResourceNotFoundException", status: 400, message: "Resource \(arn) does not exist.")
    }
    static func invalidTag(_ message: String) -> AWSError {
        AWSError(code: "InvalidTagParameterException", status: 400, message: message)
    }
}
