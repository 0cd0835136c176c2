import CairnCore
import Foundation
import Storage

extension BatchScheduler {
    /// RUNNABLE → STARTING → RUNNING for the placed jobs: their moves to STARTING share one write, then each command
    /// starts as a local process with Batch's environment variables, then the moves to RUNNING (or, for a command
    /// that cannot start, the end of its attempt) share another.
    func start(_ placed: [Placement], runner: LocalRunner) async throws {
        let starting = try await move(placed.map { p in
            BatchJobs.Move(job: p.job, to: .starting) { [arn = p.environment.arn] in
                $0.set([("statusReason", nil)])
                $0.setInternal([("ce", .string(arn))])
            }
        })
        // Side by side: each start waits for its new process to exec (about a millisecond here), so every core
        // starts processes. A command that cannot start ends its attempt instead.
        let toLaunch = zip(placed, starting).compactMap { p, job in job.map { (p, $0) } }
        let launched = await withTaskGroup(of: (BatchJobs.Move, LocalProcess?).self) { group in
            for (p, job) in toLaunch {
                group.addTask {
                    let now = self.clock.nowMs()
                    do {
                        let (process, running) = try self.launch(job, p, runner: runner, at: now)
                        return (running, process)
                    } catch {
                        return (self.finishing(job, startedAt: now, exitCode: nil, reason: "CannotStartContainerError: \(error)"), nil)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for ((_, process), moved) in zip(launched, try await move(launched.map(\.0))) where moved == nil {
            // Cancelled or terminated between STARTING and RUNNING: stop what was started.
            process?.killGroup()
        }
    }

    /// Starts a STARTING job's command and keeps it among the running processes; returns it with the job's move to
    /// RUNNING.
    private func launch(_ job: BatchJob, _ p: Placement, runner: LocalRunner, at now: Int64) throws -> (LocalProcess, BatchJobs.Move) {
        let attempt = Int64((job.detail["attempts"]?.arrayValue?.count ?? 0) + 1)
        let taskId = Identifiers.uuid().replacingOccurrences(of: "-", with: "").lowercased()
        let command = (job.detail["container"]?["command"]?.arrayValue ?? []).compactMap(\.stringValue)
        var env: [String: String] = [:]
        for key in ["PATH", "HOME", "LANG", "TMPDIR", "USER"] { if let v = LocalProcess.inherited[key] { env[key] = v } }
        if let user = runner.runAs {
            env["HOME"] = user.home
            env["USER"] = user.name
            env["LOGNAME"] = user.name
        }
        for e in job.detail["container"]?["environment"]?.arrayValue ?? [] {
            if let name = e["name"]?.stringValue { env[name] = e["value"]?.stringValue ?? "" }
        }
        env["AWS_BATCH_JOB_ID"] = job.row.jobId
        env["AWS_BATCH_JOB_ATTEMPT"] = String(attempt)
        env["AWS_BATCH_CE_NAME"] = p.environment.name
        env["AWS_BATCH_JQ_NAME"] = p.queueName
        if let index = job.value("arrayIndex")?.intValue { env["AWS_BATCH_JOB_ARRAY_INDEX"] = String(index) }

        guard !command.isEmpty else {
            throw LocalProcess.SpawnError(description: "the job has no command: Cairn runs the container's command as a local process and does not pull or run images")
        }
        let logs = try runner.makeLogDirectory(jobId: job.row.jobId, attempt: attempt)
        let directory = try runner.makeWorkDirectory(jobId: job.row.jobId, attempt: attempt)
        let process = try LocalProcess.spawn(command: command, environment: env, directory: directory,
                                             stdout: logs + "/stdout", stderr: logs + "/stderr", runAs: runner.runAs)
        let timeout = job.detail["timeout"]?["attemptDurationSeconds"]?.intValue
        running.withLock { $0[job.row.jobId] = Running(process: process, startedAt: now, deadline: timeout.map { now + $0 * 1000 }) }
        let logStream = "\(job.value("definitionName")?.stringValue ?? "job")/default/\(taskId)"
        let internals: [(String, JSONValue?)] = [("pid", .int(Int64(process.pid))), ("node", .string(nodeId)),
                                                 ("pidIdentity", LocalProcess.identity(of: process.pid).map(JSONValue.string))]
        return (process, BatchJobs.Move(job: job, to: .running) {
            if $0.detail["startedAt"] == nil { $0.set([("startedAt", .int(now))]) }
            $0.set([("container", BatchService.setting($0.detail["container"] ?? .object([]), [
                ("logStreamName", .string(logStream)),
            ]))])
            $0.setInternal(internals)
        })
    }

    /// Collects finished processes, and stops those past their timeout or terminated; returns whether any ended.
    func reap() async throws -> Bool {
        // Jobs' background children whose parent has exited are ours to reap (Cairn is their subreaper), also after
        // the last job has ended.
        LocalProcess.reapOrphans()
        let processes = running.withLock { $0 }
        guard !processes.isEmpty else { return false }
        // Their versions first: a job whose stored version is the one this scheduler wrote (no TerminateJob since)
        // is not read again.
        let watched = try await parsedJobs(store.jobVersions(ids: Array(processes.keys)))
        let now = clock.nowMs()
        var ended: [(job: BatchJob, startedAt: Int64, exitCode: Int32, reason: String?)] = []
        for (id, job) in watched {
            guard let run = processes[id] else { continue }
            var reason: String?
            if let terminate = job.value("terminate")?.stringValue {
                run.process.killGroup()
                reason = terminate
            } else if let deadline = run.deadline, now >= deadline {
                run.process.killGroup()
                reason = "Job attempt duration exceeded timeout"
            }
            // A killed process usually is reported at once; one not yet reaped stays RUNNING, and the next pass
            // (which kills it again, harmlessly) collects its real exit status.
            guard let exit = run.process.poll() else { continue }
            running.withLock { _ = $0.removeValue(forKey: id) }
            ended.append((job, run.startedAt, exit.exitCode, reason))
        }
        try await move(ended.map { finishing($0.job, startedAt: $0.startedAt, exitCode: $0.exitCode, reason: $0.reason) })
        return !ended.isEmpty
    }

    /// A job this server did not start is STARTING or RUNNING: the server restarted under it, or (nodes sharing a
    /// database) the node that ran it stopped and this one took the scheduler over. A process of this node (if
    /// still alive) is stopped; another node's pid means nothing here. The attempt ends with a reason saying so.
    func orphaned(_ job: BatchJob) async throws {
        let node = job.value("node")?.stringValue ?? nodeId
        guard node == nodeId else {
            try await finish(job, startedAt: job.detail["startedAt"]?.intValue ?? clock.nowMs(), exitCode: nil,
                             reason: "The Cairn node running this attempt (\(node)) stopped; its outcome is unknown.")
            return
        }
        if let pid = job.value("pid")?.intValue,
           !LocalProcess.killGroup(pid_t(pid), identity: job.value("pidIdentity")?.stringValue) {
            logger.info("job \(job.row.jobId)'s process \(pid) is gone (or the pid now belongs to another process): nothing to stop")
        }
        try await finish(job, startedAt: job.detail["startedAt"]?.intValue ?? clock.nowMs(), exitCode: nil,
                         reason: "Cairn restarted while this attempt was running; its process was stopped and its outcome is unknown.")
    }

    /// Ends the attempt: records it and moves the job to SUCCEEDED, back to RUNNABLE for a retry, or to FAILED.
    func finish(_ job: BatchJob, startedAt: Int64, exitCode: Int32?, reason: String?) async throws {
        try await move([finishing(job, startedAt: startedAt, exitCode: exitCode, reason: reason)])
    }

    /// The move that ends the attempt (see `finish`).
    func finishing(_ job: BatchJob, startedAt: Int64, exitCode: Int32?, reason: String?) -> BatchJobs.Move {
        let now = clock.nowMs()
        let statusReason = reason ?? "Essential container in task exited"
        var container: [(String, JSONValue?)] = [
            ("exitCode", exitCode.map { .int(Int64($0)) }), ("reason", reason.map(JSONValue.string)),
            ("logStreamName", job.detail["container"]?["logStreamName"]),
        ]
        container.removeAll { $0.1 == nil }
        let attempt: JSONValue = [
            "container": .compact(container), "startedAt": .int(startedAt), "stoppedAt": .int(now),
            "statusReason": .string(statusReason),
        ]
        let attempts = (job.detail["attempts"]?.arrayValue ?? []) + [attempt]
        let record: @Sendable (inout BatchJob) -> Void = { j in
            j.set([("attempts", .array(attempts)),
                   ("container", BatchService.setting(j.detail["container"] ?? .object([]),
                                                      [("exitCode", exitCode.map { .int(Int64($0)) }), ("reason", reason.map(JSONValue.string))]))])
            j.setInternal([("pid", nil), ("pidIdentity", nil), ("node", nil), ("terminate", nil)])
        }
        let ended: @Sendable (inout BatchJob) -> Void = { record(&$0); $0.set([("stoppedAt", .int(now))]) }
        if exitCode == 0 && reason == nil {
            return BatchJobs.Move(job: job, to: .succeeded, reason: statusReason, change: ended)
        }
        let maxAttempts = job.detail["retryStrategy"]?["attempts"]?.intValue ?? 1
        let terminated = job.value("terminate") != nil
        if !terminated, Int64(attempts.count) < maxAttempts,
           Self.shouldRetry(job.detail["retryStrategy"]?["evaluateOnExit"]?.arrayValue ?? [], exitCode: exitCode, reason: reason,
                            statusReason: statusReason) {
            return BatchJobs.Move(job: job, to: .runnable, change: record)
        }
        return BatchJobs.Move(job: job, to: .failed, reason: statusReason, change: ended)
    }

    /// evaluateOnExit: the first condition whose patterns all match decides; with none matching, the job retries.
    static func shouldRetry(_ rules: [JSONValue], exitCode: Int32?, reason: String?, statusReason: String) -> Bool {
        for rule in rules {
            var matches = true
            if let p = rule["onExitCode"]?.stringValue { matches = matches && glob(p, exitCode.map(String.init) ?? "") }
            if let p = rule["onReason"]?.stringValue { matches = matches && glob(p, reason ?? "") }
            if let p = rule["onStatusReason"]?.stringValue { matches = matches && glob(p, statusReason) }
            if matches { return rule["action"]?.stringValue?.uppercased() == "RETRY" }
        }
        return true
    }

    /// Batch's patterns: exact, or a prefix ending with `*`.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        pattern.hasSuffix("*") ? text.hasPrefix(String(pattern.dropLast())) : text == pattern
    }
}
