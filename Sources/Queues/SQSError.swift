import Wire

/// SQS's errors: json-protocol shape names with the legacy query codes botocore maps back (`aws-wire.md` §1.4).
enum SQSError {
    static func make(_ code: String, _ query: String, _ message: String, status: Int = 400) -> AWSError {
        AWSError(code: code, status: status, message: message, queryCode: query)
    }

    static func queueDoesNotExist() -> AWSError {
        make("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
    }
    static func queueNameExists(_ name: String) -> AWSError {
        make("QueueNameExists", "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute \(name)")
    }
    static func queueDeletedRecently() -> AWSError {
        make("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently",
             "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
    }
    static func invalidAttributeName(_ name: String) -> AWSError {
        make("InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute \(name).")
    }
    static func invalidAttributeValue(_ message: String) -> AWSError {
        make("InvalidAttributeValue", "InvalidAttributeValue", message)
    }
    static func invalidParameterValue(_ message: String) -> AWSError {
        make("InvalidParameterValue", "InvalidParameterValue", message)
    }
    static func missingParameter(_ message: String) -> AWSError {
        make("MissingParameter", "MissingParameter", message)
    }
    static func invalidMessageContents(_ message: String) -> AWSError {
        make("InvalidMessageContents", "InvalidMessageContents", message)
    }
    static func receiptHandleIsInvalid(_ handle: String) -> AWSError {
        make("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The input receipt handle \"\(handle)\" is not a valid receipt handle.")
    }
    static func messageNotInflight() -> AWSError {
        make("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", "The message referred to is not in flight.")
    }
    static func purgeInProgress(_ arn: String) -> AWSError {
        make("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
             "Only one PurgeQueue operation on \(arn) is allowed every 60 seconds.")
    }
    static func emptyBatch(_ entryType: String) -> AWSError {
        make("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", "There should be at least one \(entryType) in the request.")
    }
    static func tooManyEntries(_ n: Int) -> AWSError {
        make("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
             "Maximum number of entries per request are 10. You have sent \(n).")
    }
    static func idsNotDistinct(_ id: String) -> AWSError {
        make("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id \(id) repeated.")
    }
    static func invalidBatchEntryId(_ id: String) -> AWSError {
        make("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
             "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long. Got '\(id)'.")
    }
    static func batchTooLong(_ size: Int, _ max: Int) -> AWSError {
        make("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
             "Batch requests cannot be longer than \(max) bytes. You have sent \(size) bytes.")
    }
    static func overLimit(_ message: String) -> AWSError {
        make("OverLimit", "OverLimit", message)
    }
}
