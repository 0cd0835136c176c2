import AuditTrail
import CairnCore
import Foundation
import Hummingbird
import Identity
import Logging
import NIOCore
import ObjectStore
import BatchOperations
import BatchCompute
import Console
import Prometheus
import Queues
import Topics
import EventBus
import Scheduler
import ServiceLifecycle
import Storage
import Wire

/// The assembled server: the application to run and what callers and tests need to reach it.
public struct CairnApplication: Sendable {
    public var application: Application<Gateway>
    public var store: SQLStore
    public var recorder: AuditRecorder
    public var identities: any IdentityStore
    public var events: any AuditEventStore
    public var registry: ServiceRegistry
}

/// Builds Cairn from a configuration: the store, the services, the lifecycle group, the HTTP server.
/// `cairn serve` and the tests call this same function.
public func buildApplication(
    _ configuration: CairnConfiguration,
    clock: any WallClock = SystemWallClock(),
    metrics: PrometheusCollectorRegistry? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> CairnApplication {
    var logger = Logger(label: "cairn")
    logger.logLevel = configuration.logLevel
    try DataDirectory.prepare(configuration.dataDirectory, logger: logger)

    let store = if let url = configuration.databaseURL {
        try await SQLStore.openPostgres(url: url, poolSize: configuration.databasePoolSize, logger: logger)
    } else {
        try await SQLStore.openSQLite(path: configuration.databasePath, logger: logger)
    }
    do {
        return try await assemble(configuration, store: store, clock: clock, metrics: metrics, logger: logger,
                                  onServerRunning: onServerRunning)
    } catch {
        // Refused to start (or failed to): the store closes before the error is reported.
        await store.close()
        throw error
    }
}

func assemble(
    _ configuration: CairnConfiguration, store: SQLStore, clock: any WallClock, metrics: PrometheusCollectorRegistry?,
    logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void
) async throws -> CairnApplication {
    let keyExisted = FileManager.default.fileExists(atPath: configuration.secretKeyPath)
    let secrets = try SecretBox.loadOrCreate(path: configuration.secretKeyPath)
    let identities = SQLIdentityStore(store: store, secrets: secrets)
    let buses = SQLEventBusStore(store: store, secrets: secrets)
    let events = SQLAuditEventStore(store: store)
    let shared = configuration.databaseURL != nil
    let bootstrap = Bootstrap(identities: identities, configuration: configuration, clock: clock, logger: logger)
    let database = shared ? "the PostgreSQL database" : configuration.databasePath
    // Nodes starting together on one database: one at a time checks its key and makes (or finds) the account and
    // its administrator.
    let written = try await store.exclusively("bootstrap") {
        do {
            // Opening every stored secret checks the key against what is sealed already.
            let sealed = try await identities.sealStoredSecrets()
            if sealed > 0 { logger.notice("sealed \(sealed) access-key secrets an earlier version stored in plaintext") }
            let connections = try await buses.sealStoredConnections()
            if connections > 0 { logger.notice("sealed \(connections) EventBridge connections an earlier version stored in plaintext") }
            // Then the first start records which key seals the database's secrets, so a node holding another key
            // is refused even before any secret exists.
            try await identities.checkSecretKey()
        } catch let e as SecretBox.WrongKey {
            // A key made just now opens nothing sealed before: leave no new key file behind to hide the loss.
            if !keyExisted { try? FileManager.default.removeItem(atPath: configuration.secretKeyPath) }
            throw StartupError(shared
                ? "\(configuration.secretKeyPath) does not open the secrets in \(database) (\(e)): every node sharing a database needs the same master.key — copy it from a node that already uses this database"
                : "\(configuration.secretKeyPath) does not open the secrets in \(database) (\(e)): restore the key file this data directory was created with")
        }
        return try await bootstrap.run(shared: shared)
    }
    if let written { logger.info("credentials written to \(written)") }
    // On a shared database each node has a name of its own (its leases); alone, it is simply the node.
    let nodeId = shared ? try DataDirectory.nodeId(configuration.dataDirectory) : "local"
    let coordinator = store.coordinator(nodeId: nodeId, logger: logger)
    if shared { logger.info("node \(nodeId) on a shared PostgreSQL database") }

    let directory = CredentialDirectory(store: identities, defaultAccountId: configuration.accountId,
                                        acceptAnyCredentials: configuration.acceptAnyCredentials,
                                        broadcast: { coordinator.broadcast(ClusterSignal.credential($0)) })
    let recorder = AuditRecorder(store: events, logger: logger)
    let queues = SQLQueueStore(store: store)
    let waiters = QueueWaiters(broadcast: { coordinator.broadcast(ClusterSignal.queue($0)) })
    let wake = DeliveryWake()
    let router = EventRouter(store: buses, clock: clock, logger: logger, wake: { wake.fire() },
                             broadcast: { coordinator.broadcast(ClusterSignal.routing($0)) })
    recorder.setRouter(router)
    let publisher = TopicPublisher(topics: SQLTopicStore(store: store), outbox: buses, clock: clock, wake: { wake.fire() })
    let batchTargets = BatchTargetSink()
    let authorizer = Authorizer(store: identities, catalog: try awsManagedPolicies(), logger: logger)
    let sqs = SQSService(store: queues, waiters: waiters, clock: clock)
    let sns = SNSService(topics: SQLTopicStore(store: store), publisher: publisher, clock: clock,
                         outboundPolicy: configuration.outboundPolicy)
    let deliveryPermissions = ServicePrincipalPermissions(authorizer: authorizer, owners: ["sqs": sqs, "sns": sns], clock: clock)
    let delivery = DeliveryService(
        store: buses, router: router, queues: SQSQueueSink(delivery: QueueDelivery(store: queues, waiters: waiters, clock: clock)),
        topics: SNSTopicSink(publisher: publisher), batch: batchTargets,
        permissions: configuration.authorization ? deliveryPermissions : nil, clock: clock, logger: logger,
        retryBase: configuration.deliveryRetryBase,
        // Other nodes add deliveries without waking this one: look for due work every second when sharing.
        leases: DeliveryLeases(owner: nodeId, duration: .seconds(configuration.leaseSeconds), recheck: shared ? .seconds(1) : .seconds(60)),
        outboundPolicy: configuration.outboundPolicy)
    wake.connect(delivery)
    let replays = ReplayRunner(store: buses, router: router, clock: clock, logger: logger, delivered: { delivery.wake() })
    let s3 = S3Service(catalog: SQLObjectCatalog(store: store), blobs: try objectBlobs(configuration, store: store, clock: clock),
                       clock: clock)
    let orphans = try await s3.sweepOrphanBlobs()
    if orphans > 0 { logger.notice("deleted \(orphans) object blobs no object refers to (left by a stop between a write and its commit)") }
    let trailStore = SQLTrailStore(store: store)
    let trailBuckets = S3TrailBuckets(s3: s3, recorder: recorder, clock: clock)
    let trailNotifier = SNSTrailNotifier(topics: SQLTopicStore(store: store), publisher: publisher)
    let signingKeys = TrailSigningKeys(store: trailStore, clock: clock)
    let trailWriter = TrailWriter(
        store: trailStore, buckets: trailBuckets, notifier: trailNotifier, keys: signingKeys, clock: clock, logger: logger,
        deliveryInterval: .milliseconds(Int64(configuration.trailDeliveryInterval * 1000)), digestInterval: configuration.digestInterval)
    let trailOperations = TrailOperations(store: trailStore, buckets: trailBuckets, notifier: trailNotifier, keys: signingKeys,
                                          clock: clock, wake: { coordinator.wake(Singletons.trailWriter, here: trailWriter.wake) })
    let jobStore = SQLJobStore(store: store)
    let jobTransitions = JobTransitions(store: jobStore, recorder: recorder, clock: clock)
    let jobRunner = JobRunner(store: jobStore, transitions: jobTransitions, s3: s3, clock: clock, logger: logger,
                              hold: configuration.batchOperationsHoldFile.map(JobRunner.Hold.init))
    let s3Control = S3ControlService(store: jobStore, transitions: jobTransitions, clock: clock,
                                     confirmationByDefault: configuration.s3BatchConfirmationByDefault,
                                     wake: { coordinator.wake(Singletons.jobRunner, here: jobRunner.wake) })
    let batchStore = SQLBatchStore(store: store)
    let batchJobs = BatchJobs(store: batchStore, events: BusBatchEvents(router: router), clock: clock)
    let batchScheduler = BatchScheduler(
        store: batchStore, jobs: batchJobs, clock: clock, logger: logger,
        runner: try localRunner(configuration, logger: logger), nodeId: nodeId)
    let batch = BatchService(store: batchStore, jobs: batchJobs, clock: clock, wake: {
        coordinator.wake(Singletons.batchScheduler, here: batchScheduler.wake)
    })
    batchTargets.connect(batch: batch, recorder: recorder, clock: clock)
    let scheduleStore = SQLScheduleStore(store: store)
    let schedulerInvoker = SchedulerInvoker(directory: directory, clock: clock)
    let scheduleRunner = ScheduleRunner(store: scheduleStore, invoker: schedulerInvoker, clock: clock, logger: logger, owner: nodeId,
                                        lease: .seconds(configuration.leaseSeconds), retryBase: configuration.deliveryRetryBase)
    let scheduler = SchedulerService(store: scheduleStore, clock: clock, changed: { scheduleRunner.wake() })
    let registry = ServiceRegistry([
        IAMService(store: identities, authorizer: authorizer, directory: directory, clock: clock),
        STSService(store: identities, catalog: authorizer.catalog, clock: clock),
        CloudTrailService(events: events, retentionDays: configuration.eventRetentionDays, clock: clock, trails: trailOperations),
        sqs,
        EventBridgeService(store: buses, router: router, clock: clock, outboundPolicy: configuration.outboundPolicy,
                           wakeReplays: { replays.wake() }),
        sns,
    ], rest: [s3Control, s3, batch, scheduler])
    var gateway = Gateway(
        registry: registry,
        authenticator: Authenticator(directory: directory, maxClockSkew: configuration.maxClockSkew),
        authorizer: configuration.authorization ? authorizer : nil,
        recorder: recorder, clock: clock, maxBodyBytes: configuration.maxRequestBodyBytes, defaultRegion: configuration.region,
        metrics: metrics, logger: logger)
    gateway.console = Console(
        backend: ConsoleGateway(gateway: gateway, directory: directory, accountId: configuration.accountId, buses: buses,
                                batch: batch, batchLogDirectory: configuration.batchLogDirectory, nodeId: nodeId),
        sessions: SQLConsoleSessionStore(store: store), clock: clock, defaultRegion: configuration.region, logger: logger)
    schedulerInvoker.connect(gateway)

    // Dependency order: store first, then the recorder and background work; the HTTP server runs last,
    // so on shutdown requests drain before the recorder stops and the store closes.
    let application = Application(
        responder: gateway,
        // A connection that sends nothing for the idle timeout mid-request (or between requests) is closed, so a
        // client trickling a body cannot hold a connection open for ever.
        server: .http1(configuration: .init(additionalChannelHandlers: [ContinueHandler()],
                                            idleTimeout: .milliseconds(Int64(configuration.connectionIdleTimeout * 1000)))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Cairn"),
        services: [
            StoreService(store: store),
            CoordinationService(coordinator: coordinator) { signal in
                let parts = signal.split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { return }
                switch parts[0] {
                case "sqs": if let id = Int64(parts[1]) { waiters.notifyHere(id) }
                case "credential": directory.invalidateHere(accessKeyId: parts[1])
                case "events": await router.peerChanged(parts[1])
                case "wake":
                    switch parts[1] {
                    case Singletons.trailWriter: trailWriter.wake()
                    case Singletons.jobRunner: jobRunner.wake()
                    case Singletons.batchScheduler: batchScheduler.wake()
                    default: break
                    }
                default: logger.debug("ignoring signal \(signal)")
                }
            },
            recorder,
            // Work that must happen once, not once per node: on one node at a time.
            Singleton(name: Singletons.eventRetention, coordinator: coordinator, service: RetentionService(
                store: events, retentionDays: configuration.eventRetentionDays, clock: clock, logger: logger)),
            Singleton(name: Singletons.messageRetention, coordinator: coordinator,
                      service: MessageRetentionService(store: queues, clock: clock, logger: logger)),
            delivery,
            // Every node fires due scheduled rules; each due time is claimed in one transaction, so it fires once.
            ScheduledRules(store: buses, clock: clock, logger: logger, delivered: { delivery.wake() }),
            // Every node advances replays; each batch claims its replay in its transaction.
            replays,
            // Every node fires due schedules (each due time claimed in one transaction) and invokes leased firings.
            scheduleRunner,
            Singleton(name: Singletons.trailWriter, coordinator: coordinator, service: trailWriter),
            Singleton(name: Singletons.jobRunner, coordinator: coordinator, service: jobRunner),
            Singleton(name: Singletons.batchScheduler, coordinator: coordinator, service: batchScheduler),
        ],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    return CairnApplication(application: application, store: store, recorder: recorder, identities: identities,
                            events: events, registry: registry)
}

/// Applies the pending migrations to the PostgreSQL database at `url` (under the lock nodes take to migrate) and
/// closes it: `cairn migrate`.
public func migrateDatabase(url: String, logger: Logger) async throws {
    let store = try await SQLStore.openPostgres(url: url, poolSize: 1, logger: logger)
    await store.close()
}

/// The AWS managed policies shipped beside the binary; a build without them cannot start.
func awsManagedPolicies() throws -> AWSManagedPolicies {
    do {
        return try AWSManagedPolicies.bundled()
    } catch let e as AWSManagedPolicies.LoadError {
        throw StartupError(e.description)
    }
}

/// Where object bodies live: in the database when nodes share PostgreSQL (unless `--objects-dir` names a shared
/// directory), else as files in the data directory (or `--objects-dir`).
func objectBlobs(_ configuration: CairnConfiguration, store: SQLStore, clock: any WallClock) throws -> any Blobs {
    if let directory = configuration.objectsDirectory {
        // Possibly shared by several nodes: leftovers are only swept once an hour old.
        return try FileBlobs(directory: directory, orphanAge: configuration.databaseURL == nil ? nil : .seconds(3600))
    }
    if configuration.databaseURL != nil { return DatabaseBlobs(store: SQLBlobChunkStore(store: store), clock: clock) }
    return try FileBlobs(directory: (configuration.dataDirectory as NSString).appendingPathComponent("objects"))
}

/// The local Batch runner when `--batch-runner local` asks for it.
func localRunner(_ configuration: CairnConfiguration, logger: Logger) throws -> LocalRunner? {
    guard configuration.batchRunner == .local else { return nil }
    do {
        let runner = try LocalRunner(logDirectory: configuration.batchLogDirectory, workDirectory: configuration.batchWorkDirectory,
                                     runAs: configuration.batchRunAs)
        logger.info("batch jobs run in \(runner.workDirectory)\(runner.runAs.map { " as \($0.name)" } ?? "")")
        return runner
    } catch let e as LocalRunner.RefusedError {
        throw StartupError(e.description)
    }
}
