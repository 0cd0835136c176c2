/// The one error that goes on the wire: AWS's code, HTTP status and message, encoded for the request's protocol.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Who is at fault, as the query protocol's `<Type>` says.
    public enum Fault: String, Sendable { case sender = "Sender", receiver = "Receiver" }

    public var code: String
    public var status: Int
    public var message: String
    public var fault: Fault
    /// For awsQueryCompatible JSON services (SQS): the legacy query code sent in `x-amzn-query-error`.
    public var queryCode: String?
    /// Extra members for XML error bodies (S3's `<Key>`, `<BucketName>`).
    public var extra: [(String, String)]
    /// Response headers an S3 error carries (a 304's `ETag` and `Last-Modified`).
    public var headers: [(String, String)]

    public init(code: String, status: Int = 400, message: String, fault: Fault? = nil, queryCode: String? = nil,
                extra: [(String, String)] = [], headers: [(String, String)] = []) {
        self.code = code
        self.status = status
        self.message = message
        self.fault = fault ?? (status >= 500 ? .receiver : .sender)
        self.queryCode = queryCode
        self.extra = extra
        self.headers = headers
    }

    public static func == (lhs: AWSError, rhs: AWSError) -> Bool {
        lhs.code == rhs.code && lhs.status == rhs.status && lhs.message == rhs.message
    }

    public var description: String { "\(code) (\(status)): \(message)" }

    /// A server fault; the message carries only the request id, details go to the log.
    public static func internalFailure(requestId: String) -> AWSError {
        AWSError(code: "InternalFailure", status: 500,
                 message: "We encountered an internal error. Please try again. (request \(requestId))")
    }

    /// The operation is not one this service knows.
    public static func unknownOperation(_ name: String) -> AWSError {
        AWSError(code: "UnknownOperationException", status: 400, message: "The operation \(name) is not supported.")
    }

    /// A generic validation failure.
    public static func validation(_ message: String) -> AWSError {
        AWSError(code: "ValidationException", status: 400, message: message)
    }

    /// The request body is not what the protocol expects.
    public static func serialization(_ message: String) -> AWSError {
        AWSError(code: "SerializationException", status: 400, message: message)
    }
}
