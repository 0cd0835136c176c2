import CairnCore
import Foundation
import Logging
import ServiceLifecycle
import Storage
import Synchronization

/// Moves jobs SUBMITTED → PENDING (dependencies) → RUNNABLE → STARTING → RUNNING → SUCCEEDED | FAILED, placing
/// them by queue priority and compute-environment order within each environment's vCPU capacity, running them
/// as local processes (only with `--batch-runner local`), enforcing timeouts, retrying per retryStrategy, and
/// finishing array parents when their children have.
public final class BatchScheduler: Service, Sendable {
    let store: any BatchStore
    let jobs: BatchJobs
    let clock: any WallClock
    let logger: Logger
    /// nil: jobs are not run (they wait in RUNNABLE with a reason saying so).
    /// How jobs run; nil when they do not run (`--batch-runner none`).
    let runner: LocalRunner?
    let tick: Duration
    /// How often an idle scheduler looks for work nobody woke it for.
    let idleTick: Duration
    /// This node's name (`local` on a node of its own): an attempt records where its process runs.
    let nodeId: String
    /// Processes this server started, by job id.
    let running = Mutex<[String: Running]>([:])
    /// The active jobs as last read, parsed, by job id: a pass re-reads only the jobs whose version changed, so
    /// 10,000 queued jobs are not read and parsed every 50 ms.
    let parsed = Mutex<[String: BatchJob]>([:])
    /// The active jobs' ids in the order of the last full read of their versions, and when that read began.
    let lastRead = Mutex<(order: [String], at: ContinuousClock.Instant)?>(nil)
    /// Set by `wake()` (an API call on some node changed jobs) and by a write of this scheduler that did not happen
    /// as its cache expected: the next pass reads every active job's version. Otherwise a pass works from its cache
    /// (its own moves are kept there as stored) and reads them all at least every `fullReadInterval`, for a wake
    /// that never came. Reading every version every pass read 10,000 rows a pass while 10,000 jobs waited.
    let changedElsewhere = Atomic<Bool>(true)
    static let fullReadInterval: Duration = .seconds(1)
    private let signal = WakeSignal()

    struct Running: Sendable {
        var process: LocalProcess
        var startedAt: Int64
        var deadline: Int64?
    }

    static let notRunning = "Cairn runs Batch jobs only when started with --batch-runner local (CAIRN_BATCH_RUNNER=local)."
    static let tooLarge = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job queue."

    public init(store: any BatchStore, jobs: BatchJobs, clock: any WallClock, logger: Logger, runner: LocalRunner?,
                tick: Duration = .milliseconds(50), idleTick: Duration = .seconds(2), nodeId: String = "local") {
        self.nodeId = nodeId
        self.store = store
        self.jobs = jobs
        self.clock = clock
        self.logger = logger
        self.runner = runner
        self.tick = tick
        self.idleTick = idleTick
    }

    /// Jobs changed (submitted, cancelled, terminated, their queue or environment edited): runs a pass soon, which
    /// reads them.
    public func wake() {
        changedElsewhere.store(true, ordering: .sequentiallyConsistent)
        signal.wake()
    }

    public func run() async throws {
        // With no job active and no process running there is nothing to watch: a SubmitJob wakes the scheduler
        // (on every node), so the idle tick only covers a missed wake.
        await signal.run(every: tick, whenIdle: idleTick, isIdle: { self.isIdle }) {
            do {
                // A pass that started or finished jobs is followed at once by another: short jobs are
                // reaped and their capacity reused without waiting for the tick.
                if try await self.pass() { self.signal.wake() }
            } catch {
                self.logger.passFailed("batch scheduler pass", error)
            }
        }
    }

    /// The last pass found no active job, and no process of this node runs.
    var isIdle: Bool { parsed.withLock { $0.isEmpty } && running.withLock { $0.isEmpty } }

    /// One scheduling pass; returns whether it started or finished any job.
    @discardableResult
    func pass() async throws -> Bool {
        let reaped = try await reap()
        let active = try await activeJobs()
        guard !active.isEmpty else { return reaped }
        var runnable: [BatchJob] = []
        var waiting: [BatchJob] = []
        for job in active {
            switch job.status {
            case .submitted, .pending: waiting.append(job)
            case .runnable: runnable.append(job)
            case .starting, .running:
                if running.withLock({ $0[job.row.jobId] }) == nil { try await orphaned(job) }
            default: break
            }
        }
        // The active jobs by id, and the array parents with a child still active (which cannot finish: their
        // children are not read this pass), only when some job waits on them.
        var known: [String: BatchJobRow] = [:]
        if !waiting.isEmpty { for j in active { known[j.row.jobId] = j.row } }
        let busyParents = waiting.isEmpty ? [] : Set(active.compactMap(\.row.parentId))
        var moves: [BatchJobs.Move] = []
        var parents: [BatchJob] = []
        var finished: [String: BatchJobStatus?] = [:]
        for job in waiting {
            if job.value("isArrayParent")?.boolValue == true {
                parents.append(job)
            } else if let move = try await dependencyMove(job, active: known, finished: &finished) {
                moves.append(move)
            }
        }
        // The moves of the pass's jobs share their writes: a queue of SUBMITTED jobs commits in a few transactions.
        try await move(moves)
        for job in parents { try await advanceParent(job, busy: busyParents.contains(job.row.jobId)) }
        let started = runnable.isEmpty ? false : try await place(runnable, active: active)
        return reaped || started
    }

    /// Jobs not yet SUCCEEDED or FAILED, oldest first, parsed (see `parsedJobs`); they become the cache. From the
    /// cache alone when nothing changed them elsewhere since a full read less than `fullReadInterval` ago.
    func activeJobs() async throws -> [BatchJob] {
        let now = ContinuousClock.now
        let changed = changedElsewhere.exchange(false, ordering: .sequentiallyConsistent)
        if !changed, let last = lastRead.withLock({ $0 }), now - last.at < Self.fullReadInterval {
            let cached = parsed.withLock { $0 }
            return last.order.compactMap { id in cached[id].flatMap { $0.status?.isFinal == true ? nil : $0 } }
        }
        let versions = try await store.activeJobVersions()
        let current = try await parsedJobs(versions)
        parsed.withLock { $0 = current }
        lastRead.withLock { $0 = (versions.map(\.jobId), now) }
        return versions.compactMap { v in current[v.jobId].flatMap { $0.status?.isFinal == true ? nil : $0 } }
    }

    /// The jobs of these versions, by id: from the cache where it holds the stored version (the scheduler's own
    /// moves are kept there as stored), read and parsed otherwise.
    func parsedJobs(_ versions: [BatchJobVersion]) async throws -> [String: BatchJob] {
        let cached = parsed.withLock { $0 }
        var current: [String: BatchJob] = [:]
        current.reserveCapacity(versions.count)
        var stale: [String] = []
        for v in versions {
            if let job = cached[v.jobId], job.row.updatedAt == v.updatedAt, job.row.status == v.status {
                current[v.jobId] = job
            } else {
                stale.append(v.jobId)
            }
        }
        for start in stride(from: 0, to: stale.count, by: 500) {
            for row in try await store.jobs(ids: Array(stale[start..<min(start + 500, stale.count)])) {
                current[row.jobId] = BatchJob(row)
            }
        }
        return current
    }

    /// Makes the moves (`BatchJobs.move`) and keeps the moved jobs, as stored, in the cache: the next pass does not
    /// read again what this one wrote.
    @discardableResult
    func move(_ moves: [BatchJobs.Move]) async throws -> [BatchJob?] {
        let moved = try await jobs.move(moves)
        parsed.withLock { cache in
            for case let job? in moved {
                if job.status?.isFinal == true { cache.removeValue(forKey: job.row.jobId) } else { cache[job.row.jobId] = job }
            }
        }
        // A move not made: the job is no longer what the cache holds.
        if moved.contains(where: { $0 == nil }) { changedElsewhere.store(true, ordering: .sequentiallyConsistent) }
        return moved
    }

    /// Saves a job's bookkeeping (`BatchJobs.save`); the next pass reads it again.
    func save(_ job: BatchJob) async throws {
        _ = try await jobs.save(job)
        changedElsewhere.store(true, ordering: .sequentiallyConsistent)
    }

    // MARK: Dependencies and array parents

    /// Where the job's dependencies send it: FAILED when one failed (or is gone), PENDING while one is unfinished,
    /// RUNNABLE when all succeeded; nil when it stays. `finished` keeps the statuses read this pass of the
    /// dependencies no longer active, which many jobs may share.
    func dependencyMove(_ job: BatchJob, active: [String: BatchJobRow],
                        finished: inout [String: BatchJobStatus?]) async throws -> BatchJobs.Move? {
        let deps = (job.detail["dependsOn"]?.arrayValue ?? []).compactMap { $0["jobId"]?.stringValue }
        var unmet = false
        for id in deps {
            let status: BatchJobStatus?
            if let a = active[id] {
                status = a.jobStatus
            } else if let known = finished[id] {
                status = known
            } else {
                status = try await store.job(id: id)?.jobStatus
                finished[id] = .some(status)
            }
            switch status {
            case .succeeded: continue
            case .failed, nil:
                let now = clock.nowMs()
                return BatchJobs.Move(job: job, to: .failed, reason: "Dependent Job failed") { $0.set([("stoppedAt", .int(now))]) }
            default: unmet = true
            }
        }
        if unmet { return job.status == .submitted ? BatchJobs.Move(job: job, to: .pending) : nil }
        return BatchJobs.Move(job: job, to: .runnable)
    }

    /// `busy`: a child of this parent is still active (known from the pass's active jobs), so it stays PENDING.
    func advanceParent(_ job: BatchJob, busy: Bool) async throws {
        if job.status == .submitted {
            try await move([BatchJobs.Move(job: job, to: .pending)])
            return
        }
        guard !busy else { return }
        let children = try await store.children(parentId: job.row.jobId)
        guard !children.isEmpty, children.allSatisfy({ $0.jobStatus?.isFinal == true }) else { return }
        let failed = children.contains { $0.jobStatus == .failed }
        let now = clock.nowMs()
        let startedAt = children.compactMap { BatchJob($0).detail["startedAt"]?.intValue }.min() ?? now
        try await move([BatchJobs.Move(job: job, to: failed ? .failed : .succeeded,
                                       reason: failed ? "Array Child Job failed" : "All child jobs succeeded") {
            $0.set([("startedAt", .int(startedAt)), ("stoppedAt", .int(now))])
        }])
    }

    // MARK: Placement

    /// What placement needs of a job queue.
    struct Queue {
        var name: String
        var priority: Int64
        var enabled: Bool
        /// Its compute environments' ARNs, in their order.
        var environments: [String]

        init(_ doc: JSONValue) {
            name = doc["jobQueueName"]?.stringValue ?? ""
            priority = doc["priority"]?.intValue ?? 0
            enabled = doc["state"]?.stringValue == "ENABLED"
            environments = (doc["computeEnvironmentOrder"]?.arrayValue ?? [])
                .sorted { ($0["order"]?.intValue ?? 0) < ($1["order"]?.intValue ?? 0) }
                .compactMap { $0["computeEnvironment"]?.stringValue }
        }
    }

    struct Environment {
        var arn: String
        var name: String
        var capacity: Double
        var used: Double
        var enabled: Bool
    }

    /// A runnable job and where it starts.
    struct Placement {
        var job: BatchJob
        var environment: Environment
        var queueName: String
    }

    /// Starts the runnable jobs that fit; returns whether it started any.
    func place(_ runnable: [BatchJob], active: [BatchJob]) async throws -> Bool {
        guard let runner else {
            for job in runnable where job.detail["statusReason"]?.stringValue != Self.notRunning {
                var marked = job
                marked.set([("statusReason", .string(Self.notRunning))])
                try await save(marked)
            }
            return false
        }
        // Each queue and environment is read once a pass; every runnable job is looked at, so what is per job is
        // a lookup and a comparison.
        var queues: [String: Queue?] = [:]
        var environments: [String: Environment] = [:]
        func queue(_ arn: String) async throws -> Queue? {
            if let q = queues[arn] { return q }
            let q = try await store.resource(arn: arn).map { Queue(BatchService.document($0)) }
            queues[arn] = .some(q)
            return q
        }
        func environment(_ arn: String) async throws -> Environment? {
            if let e = environments[arn] { return e }
            guard let row = try await store.resource(arn: arn) else { return nil }
            let doc = BatchService.document(row)
            let capacity = doc["type"]?.stringValue == "MANAGED"
                ? Double(doc["computeResources"]?["maxvCpus"]?.intValue ?? 0)
                : Double(doc["unmanagedvCpus"]?.intValue ?? Int64(ProcessInfo.processInfo.activeProcessorCount))
            let used = active.filter { $0.status == .starting || $0.status == .running }
                .filter { $0.value("ce")?.stringValue == arn }
                .reduce(0.0) { $0 + ($1.value("vcpus")?.doubleValue ?? 1) }
            let e = Environment(arn: arn, name: row.name, capacity: capacity, used: used,
                                enabled: doc["state"]?.stringValue == "ENABLED")
            environments[arn] = e
            return e
        }
        // Higher queue priority first, then oldest first (as `runnable` already is).
        var ordered: [(queue: Queue, job: BatchJob)] = []
        for job in runnable {
            guard let q = try await queue(job.row.queueArn) else { continue }
            ordered.append((q, job))
        }
        if Set(ordered.map(\.queue.priority)).count > 1 {
            ordered.sort { $0.queue.priority != $1.queue.priority ? $0.queue.priority > $1.queue.priority : $0.job.row.createdAt < $1.job.row.createdAt }
        }
        var starts: [Placement] = []
        for (q, job) in ordered where q.enabled {
            let vcpus = job.value("vcpus")?.doubleValue ?? 1
            var chosen: Environment?
            var fitsSomewhere = false
            for arn in q.environments {
                guard let e = try await environment(arn) else { continue }
                if e.capacity >= vcpus { fitsSomewhere = true }
                if e.enabled, e.capacity - e.used >= vcpus { chosen = e; break }
            }
            guard var ce = chosen else {
                if !fitsSomewhere, job.detail["statusReason"]?.stringValue != Self.tooLarge {
                    var marked = job
                    marked.set([("statusReason", .string(Self.tooLarge))])
                    try await save(marked)
                }
                continue
            }
            ce.used += vcpus
            environments[ce.arn] = ce
            starts.append(Placement(job: job, environment: ce, queueName: q.name))
        }
        try await start(starts, runner: runner)
        return !starts.isEmpty
    }
}
