import CairnCore
import Storage
import Wire

/// The person a console session acts for, as each request finds them.
public struct ConsoleCaller: Sendable {
    public var accessKeyId: String
    public var principal: Principal
    public var accountId: String
    public var region: String
    public var sourceIPAddress: String
    /// The `Host` the browser used (queue URLs and the like are built from it).
    public var host: String

    public init(accessKeyId: String, principal: Principal, accountId: String, region: String, sourceIPAddress: String,
                host: String) {
        self.accessKeyId = accessKeyId
        self.principal = principal
        self.accountId = accountId
        self.region = region
        self.sourceIPAddress = sourceIPAddress
        self.host = host
    }

    /// The ARN shown as who is signed in.
    public var displayName: String { principal.arn ?? accessKeyId }
}

/// What a sign-in attempt came to; it is recorded (`ConsoleLogin`) either way.
public enum ConsoleSignInOutcome: Sendable {
    case signedIn(ConsoleCaller)
    /// Unknown key, wrong secret, or a key that cannot sign in: the person sees one message for all of them.
    case refused
    /// The attempt could not be recorded: no one signs in unrecorded.
    case unavailable
}

/// The console's way into Cairn: it checks keys and runs operations as the signed-in person through the same
/// authorization and recorder as any API call. Implemented by the server's gateway.
public protocol ConsoleBackend: Sendable {
    /// Checks an access key's secret and records the attempt as `ConsoleLogin`.
    func signIn(accessKeyId: String, secret: String, region: String, sourceIPAddress: String, userAgent: String,
                host: String) async -> ConsoleSignInOutcome
    /// The person behind a session's access key; nil when the key no longer works (deleted, deactivated).
    func caller(accessKeyId: String, region: String, sourceIPAddress: String, host: String) async -> ConsoleCaller?
    /// Follows event history for the caller: the events committed after `afterSeq` that the lookup attributes of
    /// `lookup` match, oldest first, and the sequence number to continue from (without `afterSeq`: none, and where
    /// history ends now). Each call checks that the caller may `cloudtrail:LookupEvents`; the polls are not recorded
    /// (the page that starts a tail made a recorded LookupEvents).
    func tail(_ lookup: JSONValue, afterSeq: Int64?, as caller: ConsoleCaller) async
        -> Result<(events: [JSONValue], lastSeq: Int64), AWSError>
    /// The last `minutes` of the caller's event history counted per minute and source, with the most frequent names
    /// and users, for a caller allowed to `cloudtrail:LookupEvents` (aggregates are not an API; they are not recorded).
    func summary(minutes: Int, as caller: ConsoleCaller) async -> Result<AuditSummary, AWSError>
    /// What became of the deliveries to the targets of these rules, for those the caller may
    /// `events:ListTargetsByRule` (the page listed their targets through recorded calls; the counts are not an API).
    func deliveryCounts(ruleArns: [String], as caller: ConsoleCaller) async -> Result<[TargetDeliveryCounts], AWSError>
    /// Runs one operation of a JSON-protocol service as the caller, authorized and recorded as any call is.
    func call(_ signingName: String, _ operation: String, _ input: JSONValue, as caller: ConsoleCaller) async
        -> Result<JSONValue, AWSError>
    /// Runs one operation of a REST service (S3, S3 Control, AWS Batch) as the caller: the request as a client would
    /// send it, without a signature; authorized and recorded as any call is. Errors come back as the service's error.
    func callREST(_ signingName: String, _ method: String, _ path: String, query: String, headers: [String: String],
                  body: [UInt8], as caller: ConsoleCaller) async -> Result<ConsoleRESTResponse, AWSError>
    /// When an AWS Batch job entered each status and what each attempt wrote to stdout and stderr, for a caller allowed
    /// to `batch:DescribeJobs` it (the page described the job through a recorded call; this is not an API).
    func batchJobRun(jobId: String, as caller: ConsoleCaller) async -> Result<ConsoleJobRun, AWSError>
}

/// An AWS Batch job's timeline and output.
public struct ConsoleJobRun: Sendable {
    /// Status and when the job entered it (epoch milliseconds), oldest first.
    public var statusChanges: [(status: String, at: Int64)]
    /// Each attempt's output kept on this node, first attempt first.
    public var outputs: [ConsoleJobOutput]
    /// Another node ran the job: its output is on that node's disk.
    public var ranElsewhere: String?

    public init(statusChanges: [(status: String, at: Int64)], outputs: [ConsoleJobOutput], ranElsewhere: String?) {
        self.statusChanges = statusChanges
        self.outputs = outputs
        self.ranElsewhere = ranElsewhere
    }
}

/// The end of what one attempt wrote.
public struct ConsoleJobOutput: Sendable {
    public var attempt: Int
    public var stdout: String
    public var stderr: String
    /// The output was longer than shown: these are its last bytes.
    public var truncated: Bool

    public init(attempt: Int, stdout: String, stderr: String, truncated: Bool) {
        self.attempt = attempt
        self.stdout = stdout
        self.stderr = stderr
        self.truncated = truncated
    }
}

/// A REST operation's answer, read whole.
public struct ConsoleRESTResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

extension ConsoleBackend {
    /// An AWS Batch (rest-json) operation: `POST /v1/<operation>` with a JSON body, its JSON answer.
    func batch(_ operation: String, _ input: JSONValue, as caller: ConsoleCaller) async -> Result<JSONValue, AWSError> {
        await callREST("batch", "POST", "/v1/" + operation.lowercased(), query: "", headers: ["content-type": "application/json"],
                       body: input.serialized(), as: caller)
            .map { (try? JSONValue.parse($0.body)) ?? .object([]) }
    }
}
