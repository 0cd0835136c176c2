import BatchCompute
import CairnCore
import Foundation
import Logging

/// Everything `cairn serve` can be told. The CLI fills it from flags and `CAIRN_*` variables; tests build it directly.
public struct CairnConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 4566, so projects that already point `AWS_ENDPOINT_URL` at a local emulator work unchanged. 0 picks a free port.
    public var port: Int = 4566
    public var dataDirectory: String = "./cairn-data"
    /// PostgreSQL to keep everything in (`postgres://...`); nil keeps it in SQLite in the data directory.
    public var databaseURL: String?
    /// Where object bodies live as files instead (a directory several nodes may share); nil: in the database with
    /// PostgreSQL, in `<data-dir>/objects` with SQLite.
    public var objectsDirectory: String?
    /// Connections to PostgreSQL this node may open.
    public var databasePoolSize: Int = 10
    /// How long work a node claimed (an event delivery) stays its own; a node that died holding it is presumed
    /// dead after this and the others take the work over.
    public var leaseSeconds: Int = 30
    /// The default region for Cairn's own work; requests use the region of their signing scope.
    public var region: String = "us-east-1"
    public var accountId: String = "000000000000"
    /// Map unknown access keys to the default account's root, without verifying signatures.
    public var acceptAnyCredentials: Bool = false
    /// Whether IAM policies decide every request (`--authorization on`, the default). Off, every authenticated
    /// principal may do anything in its account, as in the emulators projects migrate from.
    public var authorization: Bool = true
    /// Days of event history kept before the retention service prunes it.
    public var eventRetentionDays: Int = 90
    /// Largest request body accepted by the JSON and query services.
    public var maxRequestBodyBytes: Int = 16 * 1024 * 1024
    /// Allowed clock skew between a request's `X-Amz-Date` and the server's clock.
    public var maxClockSkew: TimeInterval = 15 * 60
    /// Seconds a connection may stay silent (mid-request or between requests) before it is closed.
    public var connectionIdleTimeout: Double = 60
    public var logLevel: Logger.Level = .info
    /// Where API destinations and SNS http(s) subscriptions may not send requests (`--http-target-deny`, added to
    /// the link-local and metadata ranges that are always denied).
    public var outboundPolicy = OutboundPolicy()
    /// First retry delay of a failed event delivery; later ones double (with jitter) up to five minutes.
    public var deliveryRetryBase: Duration = .seconds(1)
    /// Seconds between trail log file deliveries.
    public var trailDeliveryInterval: Double = 300
    /// Seconds each digest file covers.
    public var digestInterval: Double = 3600
    /// How AWS Batch jobs run: not at all (they wait in RUNNABLE), or as local processes.
    public enum BatchRunner: String, Sendable { case none, local }
    public var batchRunner: BatchRunner = .none
    /// Where job commands run (one directory per attempt), outside the data directory.
    public var batchWorkDirectory: String = LocalRunner.defaultWorkDirectory
    /// The unprivileged user job commands run as; required when Cairn runs as root.
    public var batchRunAs: String?
    /// Where job attempts keep their stdout and stderr.
    public var batchLogDirectory: String { (dataDirectory as NSString).appendingPathComponent("batch-logs") }
    /// Whether an S3 Batch Operations job whose CreateJob omits `ConfirmationRequired` waits in Suspended.
    public var s3BatchConfirmationByDefault: Bool = true
    /// For tests: while this file exists, S3 Batch Operations jobs stop where its content says (see `JobRunner.Hold`).
    public var batchOperationsHoldFile: String?

    public init() {}

    /// `<data-dir>/cairn.sqlite`.
    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("cairn.sqlite") }
    /// `<data-dir>/master.key`, the key that seals access-key secrets in the database (kept apart from it).
    public var secretKeyPath: String { (dataDirectory as NSString).appendingPathComponent("master.key") }
    /// `<data-dir>/credentials`, the administrator's key in the shared-credentials format.
    public var credentialsPath: String { (dataDirectory as NSString).appendingPathComponent("credentials") }
    /// `<data-dir>/config`, an AWS config file with the region and endpoint.
    public var configPath: String { (dataDirectory as NSString).appendingPathComponent("config") }
}

/// Cairn's version, reported by `/_cairn/health` and `cairn --version`.
public enum CairnVersion {
    public static let string = "0.1.0"
}
