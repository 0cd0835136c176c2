import ArgumentParser
import CairnCore
import CairnServer
import Foundation
import Logging
import ServiceLifecycle
import Hummingbird
import Metrics
import Prometheus

/// `cairn serve`: runs the server until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start Cairn. Every setting also reads a CAIRN_* variable.")

    @Option(help: "Address to listen on (CAIRN_HOST).")
    var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (CAIRN_PORT, default 4566).")
    var port: Int?
    @Option(name: .customLong("data-dir"), help: "Where the database, objects and credentials live (CAIRN_DATA_DIR, default ./cairn-data).")
    var dataDir: String?
    @Option(name: .customLong("database-url"),
            help: "Keep everything in PostgreSQL instead of SQLite in the data directory: postgres://USER:PASSWORD@HOST:PORT/DATABASE, ?sslmode=require for TLS (CAIRN_DATABASE_URL). Several nodes may share one database.")
    var databaseURL: String?
    @Option(name: .customLong("database-pool-size"), help: "PostgreSQL connections this node may open for its work, plus half as many for queue claims (CAIRN_DATABASE_POOL_SIZE, default 10).")
    var databasePoolSize: Int?
    @Option(name: .customLong("objects-dir"),
            help: "Keep object bodies as files here (a directory several nodes may share) instead of in PostgreSQL, or instead of <data-dir>/objects with SQLite (CAIRN_OBJECTS_DIR).")
    var objectsDir: String?
    @Option(name: .customLong("lease-seconds"),
            help: "Seconds an event delivery a node claimed stays its own; after that, if the node died, another delivers it (CAIRN_LEASE_SECONDS, default 30).")
    var leaseSeconds: Int?
    @Option(help: "Default region for Cairn's own work (CAIRN_REGION, default us-east-1).")
    var region: String?
    @Option(name: .customLong("account-id"), help: "The default account's 12-digit id (CAIRN_ACCOUNT_ID, default 000000000000).")
    var accountId: String?
    @Flag(name: .customLong("accept-any-credentials"),
          help: "Map any unknown access key to the default account's root without checking signatures (CAIRN_ACCEPT_ANY_CREDENTIALS=1). Off by default.")
    var acceptAnyCredentials = false
    @Option(name: .customLong("authorization"),
            help: "Whether IAM policies decide every request: on or off (CAIRN_AUTHORIZATION, default on). Off lets every authenticated principal do anything in its account.")
    var authorization: String?
    @Option(name: .customLong("event-retention-days"), help: "Days of event history to keep (CAIRN_EVENT_RETENTION_DAYS, default 90).")
    var eventRetentionDays: Int?
    @Option(name: .customLong("delivery-retry-base-ms"),
            help: "First retry delay of a failed event delivery in ms; later ones double with jitter (CAIRN_DELIVERY_RETRY_BASE_MS, default 1000).")
    var deliveryRetryBaseMs: Int?
    @Option(name: .customLong("trail-delivery-interval"),
            help: "Seconds between trail log file deliveries (CAIRN_TRAIL_DELIVERY_INTERVAL, default 300; AWS delivers about every 5 minutes).")
    var trailDeliveryInterval: Double?
    @Option(name: .customLong("digest-interval"),
            help: "Seconds each trail digest file covers (CAIRN_DIGEST_INTERVAL, default 3600, as in AWS).")
    var digestInterval: Double?
    @Option(name: .customLong("batch-jobs-confirm-by-default"),
            help: "Whether an S3 Batch Operations job created without ConfirmationRequired waits in Suspended: true or false (CAIRN_BATCH_JOBS_CONFIRM_BY_DEFAULT, default true, as the S3 guide's CLI walkthrough shows).")
    var batchJobsConfirmByDefault: String?
    @Option(name: .customLong("batch-operations-hold-file"),
            help: ArgumentHelp("For tests: while this file exists, S3 Batch Operations jobs hold: in Preparing when it is empty, else once they have attempted the number of tasks it holds.", visibility: .hidden))
    var batchOperationsHoldFile: String?
    @Option(name: .customLong("batch-runner"),
            help: "How AWS Batch jobs run: 'none' (they wait in RUNNABLE) or 'local' (their commands run as local processes; only for trusted callers) (CAIRN_BATCH_RUNNER, default none).")
    var batchRunner: String?
    @Option(name: .customLong("batch-work-dir"),
            help: "Where local Batch job commands run, one directory per attempt; outside the data directory (CAIRN_BATCH_WORK_DIR, default <temp>/cairn-batch-<uid>).")
    var batchWorkDir: String?
    @Option(name: .customLong("batch-run-as"),
            help: "The unprivileged user local Batch job commands run as; required when Cairn runs as root (CAIRN_BATCH_RUN_AS).")
    var batchRunAs: String?
    @Option(name: .customLong("http-target-deny"), parsing: .singleValue,
            help: "A CIDR block API destinations and SNS http(s) subscriptions may not reach, besides the link-local and metadata ranges that are always denied; repeatable (CAIRN_HTTP_TARGET_DENY, comma-separated).")
    var httpTargetDeny: [String] = []
    @Option(name: .customLong("connection-idle-timeout"),
            help: "Seconds a connection may send nothing, mid-request or between requests, before it is closed (CAIRN_CONNECTION_IDLE_TIMEOUT, default 60).")
    var connectionIdleTimeout: Double?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (CAIRN_LOG_LEVEL, default info).")
    var logLevel: String?

    func validate() throws {
        let c = try resolved()
        guard c.accountId.count == 12, c.accountId.allSatisfy(\.isNumber) else {
            throw ValidationError("--account-id must be 12 digits, got '\(c.accountId)'.")
        }
        guard (0...65535).contains(c.port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard c.eventRetentionDays >= 1 else { throw ValidationError("--event-retention-days must be at least 1.") }
    }

    /// Flags first, then `CAIRN_*` variables, then defaults.
    func resolved() throws -> CairnConfiguration {
        let env = ProcessInfo.processInfo.environment
        var c = CairnConfiguration()
        c.host = host ?? env["CAIRN_HOST"] ?? c.host
        if let p = port ?? env["CAIRN_PORT"].flatMap(Int.init) { c.port = p }
        c.dataDirectory = dataDir ?? env["CAIRN_DATA_DIR"] ?? c.dataDirectory
        c.region = region ?? env["CAIRN_REGION"] ?? c.region
        c.databaseURL = databaseURL ?? env["CAIRN_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let size = databasePoolSize ?? env["CAIRN_DATABASE_POOL_SIZE"].flatMap(Int.init) {
            guard (2...1000).contains(size) else { throw ValidationError("--database-pool-size must be between 2 and 1000.") }
            c.databasePoolSize = size
        }
        c.objectsDirectory = objectsDir ?? env["CAIRN_OBJECTS_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        if let seconds = leaseSeconds ?? env["CAIRN_LEASE_SECONDS"].flatMap(Int.init) {
            guard (5...3600).contains(seconds) else { throw ValidationError("--lease-seconds must be between 5 and 3600.") }
            c.leaseSeconds = seconds
        }
        if let url = c.databaseURL, !(url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")) {
            throw ValidationError("--database-url takes postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
        }
        c.accountId = accountId ?? env["CAIRN_ACCOUNT_ID"] ?? c.accountId
        c.acceptAnyCredentials = acceptAnyCredentials || ["1", "true", "yes"].contains(env["CAIRN_ACCEPT_ANY_CREDENTIALS"]?.lowercased() ?? "")
        if let text = authorization ?? env["CAIRN_AUTHORIZATION"] {
            switch text.lowercased() {
            case "on", "true", "1": c.authorization = true
            case "off", "false", "0": c.authorization = false
            default: throw ValidationError("--authorization takes on or off.")
            }
        }
        if let d = eventRetentionDays ?? env["CAIRN_EVENT_RETENTION_DAYS"].flatMap(Int.init) { c.eventRetentionDays = d }
        if let ms = deliveryRetryBaseMs ?? env["CAIRN_DELIVERY_RETRY_BASE_MS"].flatMap(Int.init) {
            guard ms >= 1 else { throw ValidationError("--delivery-retry-base-ms must be at least 1.") }
            c.deliveryRetryBase = .milliseconds(ms)
        }
        if let seconds = trailDeliveryInterval ?? env["CAIRN_TRAIL_DELIVERY_INTERVAL"].flatMap(Double.init) {
            guard seconds >= 1 else { throw ValidationError("--trail-delivery-interval must be at least 1 second.") }
            c.trailDeliveryInterval = seconds
        }
        if let seconds = digestInterval ?? env["CAIRN_DIGEST_INTERVAL"].flatMap(Double.init) {
            guard seconds >= 1 else { throw ValidationError("--digest-interval must be at least 1 second.") }
            c.digestInterval = seconds
        }
        if let text = batchJobsConfirmByDefault ?? env["CAIRN_BATCH_JOBS_CONFIRM_BY_DEFAULT"] {
            switch text.lowercased() {
            case "true", "1", "yes": c.s3BatchConfirmationByDefault = true
            case "false", "0", "no": c.s3BatchConfirmationByDefault = false
            default: throw ValidationError("--batch-jobs-confirm-by-default takes true or false.")
            }
        }
        if let text = batchRunner ?? env["CAIRN_BATCH_RUNNER"] {
            guard let runner = CairnConfiguration.BatchRunner(rawValue: text) else {
                throw ValidationError("--batch-runner takes none or local.")
            }
            c.batchRunner = runner
        }
        if let seconds = connectionIdleTimeout ?? env["CAIRN_CONNECTION_IDLE_TIMEOUT"].flatMap(Double.init) {
            guard seconds >= 1, seconds <= 3600 else { throw ValidationError("--connection-idle-timeout must be between 1 and 3600 seconds.") }
            c.connectionIdleTimeout = seconds
        }
        c.batchWorkDirectory = batchWorkDir ?? env["CAIRN_BATCH_WORK_DIR"] ?? c.batchWorkDirectory
        c.batchOperationsHoldFile = batchOperationsHoldFile
        c.batchRunAs = batchRunAs ?? env["CAIRN_BATCH_RUN_AS"]
        let deny = httpTargetDeny.isEmpty
            ? (env["CAIRN_HTTP_TARGET_DENY"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            : httpTargetDeny
        let ranges = try deny.filter { !$0.isEmpty }.map { text in
            guard let range = AddressRange(cidr: text) else {
                throw ValidationError("--http-target-deny takes a CIDR block such as 10.0.0.0/8 or fd00::/8, got '\(text)'.")
            }
            return range
        }
        c.outboundPolicy = OutboundPolicy(extraDenied: ranges)
        if let text = logLevel ?? env["CAIRN_LOG_LEVEL"] {
            guard let level = Logger.Level(rawValue: text) else { throw ValidationError("Unknown log level '\(text)'.") }
            c.logLevel = level
        }
        return c
    }

    func run() async throws {
        let configuration = try resolved()
        let dataDirectory = URL(fileURLWithPath: configuration.dataDirectory).standardizedFileURL.path
        let absolute = {
            var c = configuration
            c.dataDirectory = dataDirectory
            return c
        }()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        // Counters (records, commits, deliveries by result) in Prometheus text at /_cairn/metrics.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let app = try await buildApplication(absolute, metrics: registry) { port in
            var lines = ["Cairn \(CairnVersion.string) listening on http://\(absolute.host):\(port)",
                         "credentials: \(absolute.credentialsPath) (profile default)",
                         "  export AWS_ENDPOINT_URL=http://\(absolute.host):\(port)",
                         "  export AWS_SHARED_CREDENTIALS_FILE=\(absolute.credentialsPath) AWS_CONFIG_FILE=\(absolute.configPath)"]
            if absolute.acceptAnyCredentials { lines.append("accepting any credentials for account \(absolute.accountId)") }
            if !absolute.authorization { lines.append("authorization is off: IAM policies are not enforced") }
            // Unbuffered, so scripts waiting for the line see it at once.
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        try await app.application.runService()
        FileHandle.standardOutput.write(Data("Cairn stopped\n".utf8))
    }
}
