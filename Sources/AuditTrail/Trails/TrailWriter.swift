import CairnCore
import Foundation
import Logging
import ServiceLifecycle
import Storage
import Synchronization
import TrailIntegrity

/// Delivers each logging trail's records as gzipped log files into its bucket, in order and exactly once per trail,
/// and, with log file validation on, a signed digest per region every digest period.
///
/// Exactly once: a file's events and key are planned and the trail's cursor moved in one transaction before the
/// file is written; a file planned but not written (crash, missing bucket) is rebuilt from the same events under
/// the same key on the next pass.
public final class TrailWriter: Service, Sendable {
    let store: any TrailStore
    let buckets: any TrailBucketAccess
    let notifier: (any TrailNotifier)?
    let keys: TrailSigningKeys
    let clock: any WallClock
    let logger: Logger
    let deliveryInterval: Duration
    let digestInterval: TimeInterval
    /// Records per log file at most.
    let recordsPerFile: Int
    private let signal = WakeSignal()

    public init(store: any TrailStore, buckets: any TrailBucketAccess, notifier: (any TrailNotifier)?, keys: TrailSigningKeys,
                clock: any WallClock, logger: Logger, deliveryInterval: Duration, digestInterval: TimeInterval,
                recordsPerFile: Int = 5000) {
        self.store = store
        self.buckets = buckets
        self.notifier = notifier
        self.keys = keys
        self.clock = clock
        self.logger = logger
        self.deliveryInterval = deliveryInterval
        self.digestInterval = digestInterval
        self.recordsPerFile = recordsPerFile
    }

    /// Runs a pass soon (StopLogging's final digest, a new trail).
    public func wake() { signal.wake() }

    public func run() async throws {
        await signal.run(every: deliveryInterval) { await self.passSafely() }
    }

    func passSafely() async {
        do { try await pass() } catch { logger.passFailed("trail delivery pass", error) }
    }

    /// One pass over every trail that is logging or still has a final digest to write.
    public func pass() async throws {
        let latest = try await store.latestEventSeq()
        let all = try await store.allTrails()
        let trails = try await all.filter(\.isLogging) + stoppedWithPendingWork(all.filter { !$0.isLogging })
        for trail in trails {
            do {
                // Bucket and policy are checked once per trail per pass, shared by its log files and digests.
                var checks = TrailDeliveryChecks(buckets: buckets, prefix: TrailDefinition(decoding: trail.definition).prefix,
                                                 accountId: trail.accountId)
                try await deliver(trail, through: latest, checks: &checks)
                try await digest(trail, checks: &checks)
            } catch {
                logger.error("trail \(trail.arn): \(error)")
            }
        }
    }

    /// Of the `notLogging` trails, those stopped since their last digest or with files still to write: they owe their last
    /// files and final digest.
    func stoppedWithPendingWork(_ notLogging: [TrailRow]) async throws -> [TrailRow] {
        var out: [TrailRow] = []
        for t in notLogging {
            let status = TrailStatus(decoding: t.status)
            guard let stopped = status.stopLogging else { continue }
            if t.cursorSeq < (status.stopSeq ?? 0) { out.append(t); continue }
            if !(try await store.undeliveredLogFiles(trailArn: t.arn)).isEmpty { out.append(t); continue }
            guard TrailDefinition(decoding: t.definition).logFileValidation else { continue }
            let chain = try await store.digestChain(trailArn: t.arn, region: t.homeRegion)
            if (chain?.lastEnd ?? 0) < stopped { out.append(t) }
        }
        return out
    }

    /// Plans and writes the trail's pending log files.
    ///
    /// Files planned on an earlier pass and not written are written first, rebuilt from their events. Then, batch by
    /// batch, new files are planned (one transaction with the cursor) and written from the events just read, so each
    /// event is read once. While one file is being stored, the next one is built (JSON, SHA-256, gzip) on another
    /// task, and the next batch of events is read.
    func deliver(_ trail: TrailRow, through latest: Int64, checks: inout TrailDeliveryChecks) async throws {
        let definition = TrailDefinition(decoding: trail.definition)
        var status = TrailStatus(decoding: trail.status)
        var touched = false
        let planned = try await store.undeliveredLogFiles(trailArn: trail.arn)
        if !planned.isEmpty {
            touched = true
            let ok = try await write(planned.map { file in { try await self.rebuild(file, trail: trail, definition: definition) } },
                                     planned, trail: trail, definition: definition, status: &status, checks: &checks)
            guard ok else { return }
        }
        var cursor = trail.cursorSeq
        // Events up to StopLogging still belong to the trail; after it, nothing more is planned.
        let through = trail.isLogging ? latest : min(latest, status.stopSeq ?? cursor)
        let limit = recordsPerFile * 4
        var next: Task<[TrailSourceEvent], any Error>? = cursor < through
            ? Task { [store, cursor] in try await store.events(after: cursor, through: through, limit: limit) } : nil
        defer { next?.cancel() }
        while let fetch = next {
            let events = try await fetch.value
            next = nil
            guard let last = events.last else { break }
            if last.seq < through {
                next = Task { [store] in try await store.events(after: last.seq, through: through, limit: limit) }
            }
            var byRegion: [String: [TrailSourceEvent]] = [:]
            var order: [String] = []
            for e in events where e.accountId == trail.accountId && (definition.multiRegion || e.region == trail.homeRegion)
                && definition.selects(e) {
                if byRegion[e.region] == nil { order.append(e.region) }
                byRegion[e.region, default: []].append(e)
            }
            let deliveryTime = clock.now()
            var files: [TrailLogFile] = []
            var parts: [ArraySlice<TrailSourceEvent>] = []
            for region in order {
                var chunk = byRegion[region]![...]
                while !chunk.isEmpty {
                    let part = chunk.prefix(recordsPerFile)
                    chunk = chunk.dropFirst(part.count)
                    let key = TrailObjectKeys.logFile(prefix: definition.prefix, accountID: trail.accountId, region: region,
                                                      deliveryTime: deliveryTime)
                    files.append(TrailLogFile(trailArn: trail.arn, region: region, bucket: definition.bucket, key: key,
                                              firstSeq: part.first!.seq, lastSeq: part.last!.seq))
                    parts.append(part)
                }
            }
            try await store.planLogFiles(files, trailArn: trail.arn, cursorSeq: last.seq)
            cursor = last.seq
            guard !files.isEmpty else { continue }
            touched = true
            // The planned files hold exactly these events (same account, region and selectors), so they are built
            // from memory; a rebuild after a restart reads the same events back.
            let ok = try await write(parts.map { part in { try Self.build(part) } }, files, trail: trail, definition: definition,
                                     status: &status, checks: &checks)
            guard ok else { return }
        }
        if touched { try await saveDeliveryStatus(status, trail: trail) }
    }

    /// Builds a log file from events already selected for it.
    static func build<C: Collection<TrailSourceEvent>>(_ events: C) throws -> LogFile? {
        var builder = LogFileBuilder()
        builder.reserveCapacity(events.reduce(0) { $0 + $1.record.utf8.count + 1 })
        for e in events {
            builder.append(record: e.record, eventTime: Date(timeIntervalSince1970: Double(e.eventTime) / 1000))
        }
        return try builder.build()
    }

    /// Rebuilds a planned file from its events (the same selection as when it was planned).
    func rebuild(_ file: TrailLogFile, trail: TrailRow, definition: TrailDefinition) async throws -> LogFile? {
        var selected: [TrailSourceEvent] = []
        var after = file.firstSeq - 1
        while after < file.lastSeq {
            let events = try await store.events(after: after, through: file.lastSeq, limit: recordsPerFile * 4)
            guard let last = events.last else { break }
            for e in events where e.accountId == trail.accountId && e.region == file.region && definition.selects(e) {
                selected.append(e)
            }
            after = last.seq
        }
        return try Self.build(selected)
    }

    /// Writes planned files in order, each built by its `builds` entry; the build of the next file runs while the
    /// current one is stored. Returns false at the first failure (status saved; the rest stay planned).
    func write(_ builds: [@Sendable () async throws -> LogFile?], _ files: [TrailLogFile], trail: TrailRow,
               definition: TrailDefinition, status: inout TrailStatus, checks: inout TrailDeliveryChecks) async throws -> Bool {
        var pending: Task<LogFile?, any Error>? = builds.first.map { b in Task { try await b() } }
        defer { pending?.cancel() }
        for (i, file) in files.enumerated() {
            let log = try await pending!.value
            pending = i + 1 < builds.count ? { let b = builds[i + 1]; return Task { try await b() } }() : nil
            status.latestDeliveryAttempt = clock.nowMs()
            let target: TrailBucketTarget
            switch await checks.target(file.bucket) {
            case .success(let t): target = t
            case .failure(let problem):
                status.latestDeliveryError = problem.code
                try await saveDeliveryStatus(status, trail: trail)
                return false
            }
            guard let log else {
                // Its events are gone (retention): nothing to write, nothing to digest.
                var done = file
                done.deliveredAt = clock.nowMs()
                done.sha256 = nil
                try await store.markDelivered(done)
                continue
            }
            do {
                try await buckets.put(into: target, key: file.key, bytes: log.gzipped, metadata: [:])
            } catch {
                status.latestDeliveryError = "\(error)"
                try await saveDeliveryStatus(status, trail: trail)
                return false
            }
            var done = file
            done.sha256 = log.sha256
            done.oldestEvent = Int64(log.oldestEventTime.timeIntervalSince1970 * 1000)
            done.newestEvent = Int64(log.newestEventTime.timeIntervalSince1970 * 1000)
            done.deliveredAt = clock.nowMs()
            try await store.markDelivered(done)
            status.latestDelivery = done.deliveredAt
            status.latestDeliveryError = nil
            if let topic = definition.snsTopicName, let notifier {
                status.latestNotificationAttempt = clock.nowMs()
                if let arn = await notifier.topicArn(topic, accountId: trail.accountId, region: trail.homeRegion) {
                    let message = #"{"s3Bucket":"\#(file.bucket)","s3ObjectKey":["\#(file.key)"]}"#
                    do {
                        try await notifier.publish(topicArn: arn, message: message)
                        status.latestNotification = clock.nowMs()
                        status.latestNotificationError = nil
                    } catch {
                        status.latestNotificationError = "\(error)"
                    }
                } else {
                    status.latestNotificationError = "NotFound"
                }
            }
        }
        return true
    }

    /// Writes the digests that are due: one per region per digest period, and a final one after StopLogging.
    func digest(_ trail: TrailRow, checks: inout TrailDeliveryChecks) async throws {
        let definition = TrailDefinition(decoding: trail.definition)
        guard definition.logFileValidation else { return }
        var status = TrailStatus(decoding: trail.status)
        let now = clock.nowMs()
        var regions = Set(try await store.digestRegions(trailArn: trail.arn))
        regions.insert(trail.homeRegion)
        var wrote = false
        for region in regions.sorted() {
            var chain = try await store.digestChain(trailArn: trail.arn, region: region)
                ?? TrailDigestChain(trailArn: trail.arn, region: region, lastEnd: status.startLogging ?? trail.createdAt)
            let start = chain.lastEnd ?? status.startLogging ?? trail.createdAt
            let final = !trail.isLogging && (status.stopLogging ?? 0) > start
            guard final || chain.pendingEnd != nil || Double(now - start) >= digestInterval * 1000 else { continue }
            // Second precision: the key carries the end time to the second.
            var end = now / 1000 * 1000
            if let pending = chain.pendingEnd {
                end = pending
            } else if final {
                // The final digest lists every file delivered for the trail up to the stop, including a backlog
                // written after StopLogging (delivered_at later than the stop): it ends at the stop or at the second
                // after the last delivery, whichever is later, and waits while planned files are still unwritten.
                guard try await store.undeliveredLogFiles(trailArn: trail.arn).isEmpty else { continue }
                let lastDelivery = try await store.undigestedLogFiles(trailArn: trail.arn, region: region, through: .max)
                    .compactMap(\.deliveredAt).max() ?? 0
                end = max((status.stopLogging ?? now) / 1000 * 1000, (lastDelivery + 999) / 1000 * 1000)
            }
            guard end > start else { continue }
            if chain.pendingEnd == nil {
                chain.pendingEnd = end
                try await store.saveDigestChain(chain, digestedKeys: [])
            }
            let logs = try await store.undigestedLogFiles(trailArn: trail.arn, region: region, through: end)
                .filter { $0.sha256 != nil }
            let key = TrailObjectKeys.digestFile(prefix: definition.prefix, accountID: trail.accountId, region: region,
                                                 trailName: trail.name, homeRegion: trail.homeRegion,
                                                 endTime: Date(timeIntervalSince1970: Double(end) / 1000))
            let previous = chain.lastKey.flatMap { k -> PreviousDigest? in
                guard let b = chain.lastBucket, let s = chain.lastSignature, let h = chain.lastHash else { return nil }
                return PreviousDigest(location: S3ObjectLocation(bucket: b, key: k), sha256: h, signature: s)
            }
            let builder = DigestFileBuilder(
                accountID: trail.accountId, startTime: Date(timeIntervalSince1970: Double(start) / 1000),
                endTime: Date(timeIntervalSince1970: Double(end) / 1000),
                location: S3ObjectLocation(bucket: definition.bucket, key: key), previous: previous,
                logFiles: logs.map {
                    DigestFileBuilder.LogFileEntry(
                        location: S3ObjectLocation(bucket: $0.bucket, key: $0.key), sha256: $0.sha256 ?? "",
                        oldestEventTime: Date(timeIntervalSince1970: Double($0.oldestEvent ?? 0) / 1000),
                        newestEventTime: Date(timeIntervalSince1970: Double($0.newestEvent ?? 0) / 1000))
                })
            let signingKey = try await keys.signingKey(accountId: trail.accountId, region: region, at: end)
            let file = try builder.build(signingKey: signingKey)
            let target: TrailBucketTarget
            switch await checks.target(definition.bucket) {
            case .success(let t): target = t
            case .failure(let problem):
                status.latestDigestError = problem.code
                try await saveDeliveryStatus(status, trail: trail)
                return
            }
            do {
                try await buckets.put(into: target, key: key, bytes: file.gzipped, metadata: file.objectMetadata)
            } catch {
                status.latestDigestError = "\(error)"
                try await saveDeliveryStatus(status, trail: trail)
                return
            }
            chain.lastEnd = end
            chain.lastBucket = definition.bucket
            chain.lastKey = key
            chain.lastSignature = file.signature
            chain.lastHash = file.sha256
            chain.pendingEnd = nil
            try await store.saveDigestChain(chain, digestedKeys: logs.map(\.key))
            status.latestDigest = clock.nowMs()
            status.latestDigestError = nil
            wrote = true
        }
        if wrote { try await saveDeliveryStatus(status, trail: trail) }
    }
}

extension TrailWriter {
    /// Stores the writer's own fields (delivery, digest and notification times and errors) over the status as
    /// committed: a StartLogging or StopLogging that committed during the pass keeps its fields.
    func saveDeliveryStatus(_ status: TrailStatus, trail: TrailRow) async throws {
        try await store.updateStatus(arn: trail.arn) { committed in
            var fresh = TrailStatus(decoding: committed)
            fresh.latestDelivery = status.latestDelivery
            fresh.latestDeliveryAttempt = status.latestDeliveryAttempt
            fresh.latestDeliveryError = status.latestDeliveryError
            fresh.latestDigest = status.latestDigest
            fresh.latestDigestError = status.latestDigestError
            fresh.latestNotification = status.latestNotification
            fresh.latestNotificationAttempt = status.latestNotificationAttempt
            fresh.latestNotificationError = status.latestNotificationError
            return fresh.encoded
        }
    }
}
