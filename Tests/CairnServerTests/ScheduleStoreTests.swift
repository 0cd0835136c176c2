import Foundation
import Synchronization
import Testing
@testable import Storage

/// The EventBridge Scheduler store contract, run against every engine (SQLite and PostgreSQL).
struct ScheduleStoreTests {
    static let account = "000000000000"
    static let region = "us-east-1"

    static func group(_ name: String, tags: [String: String] = [:]) -> ScheduleGroupRecord {
        ScheduleGroupRecord(accountId: account, region: region, name: name,
                            arn: "arn:aws:scheduler:\(region):\(account):schedule-group/\(name)", createdAt: 1, updatedAt: 2,
                            tags: tags)
    }

    static func schedule(_ name: String, group: String = "default", state: String = "ENABLED", due: Int64? = nil)
        -> ScheduleRecord {
        ScheduleRecord(accountId: account, region: region, groupName: group, name: name,
                       arn: "arn:aws:scheduler:\(region):\(account):schedule/\(group)/\(name)", state: state,
                       definition: #"{"ScheduleExpression":"rate(1 minute)"}"#, createdAt: 1, updatedAt: 2, nextFireAt: due)
    }

    static func firing(_ s: ScheduleRecord, at time: Int64, attemptAt: Int64? = nil) -> ScheduleFiring {
        ScheduleFiring(accountId: s.accountId, region: s.region, groupName: s.groupName, scheduleArn: s.arn,
                       executionId: "\(s.name)@\(time)", scheduledTime: time,
                       target: #"{"Arn":"arn:aws:sqs:us-east-1:000000000000:q"}"#, nextAttemptAt: attemptAt ?? time)
    }

    /// The default group with schedules of the given names, due at the given times.
    static func seed(_ schedules: SQLScheduleStore, _ due: [(String, Int64?)]) async throws {
        try await schedules.ensureGroup(group("default"))
        for (name, time) in due { try await schedules.createSchedule(schedule(name, due: time)) }
    }

    @Test(arguments: TestEngine.allCases)
    func groupsAreUniqueByNameListedByNameAndKeepTheirTags(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let schedules = SQLScheduleStore(store: store)
            let (account, region) = (Self.account, Self.region)
            try await schedules.createGroup(Self.group("default"))
            // Ensuring a group that exists changes nothing; twice is as once.
            try await schedules.ensureGroup(Self.group("default", tags: ["ignored": "yes"]))
            try await schedules.ensureGroup(Self.group("fresh"))
            try await schedules.ensureGroup(Self.group("fresh"))
            #expect(try await schedules.group(accountId: account, region: region, name: "default") == Self.group("default"))
            #expect(try await schedules.group(accountId: account, region: region, name: "fresh") != nil)
            for name in ["team-c", "team-a", "other", "team-b"] {
                try await schedules.createGroup(Self.group(name, tags: name == "team-a" ? ["k": "v"] : [:]))
            }
            let duplicate = await #expect(throws: StoreError.self) { try await schedules.createGroup(Self.group("team-a")) }
            #expect(duplicate?.isDuplicate == true)

            let first = try await schedules.groups(accountId: account, region: region, prefix: "team-", after: nil, limit: 2)
            #expect(first.map(\.name) == ["team-a", "team-b"])
            let second = try await schedules.groups(accountId: account, region: region, prefix: "team-", after: "team-b", limit: 2)
            #expect(second.map(\.name) == ["team-c"])
            let all = try await schedules.groups(accountId: account, region: region, prefix: "", after: nil, limit: 10)
            #expect(all.map(\.name) == ["default", "fresh", "other", "team-a", "team-b", "team-c"])
            let elsewhere = try await schedules.groups(accountId: "111111111111", region: region, prefix: "", after: nil, limit: 10)
            #expect(elsewhere.isEmpty)

            #expect(try await schedules.group(accountId: account, region: region, name: "team-a")?.tags == ["k": "v"])
            #expect(try await schedules.setGroupTags(accountId: account, region: region, name: "team-a", tags: ["a": "1", "b": "2"]))
            #expect(try await schedules.group(accountId: account, region: region, name: "team-a")?.tags == ["a": "1", "b": "2"])
            #expect(try await schedules.setGroupTags(accountId: account, region: region, name: "missing", tags: [:]) == false)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func deletingAGroupDeletesItsSchedulesAndTheirFiringsThatNoNodeHolds(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let schedules = SQLScheduleStore(store: store)
            let (account, region) = (Self.account, Self.region)
            try await schedules.createGroup(Self.group("g"))
            try await schedules.createGroup(Self.group("keep"))
            let (a, b, c) = (Self.schedule("a", group: "g", due: 1_000), Self.schedule("b", group: "g", due: 1_001),
                             Self.schedule("c", group: "keep", due: 1_002))
            for s in [a, b, c] { try await schedules.createSchedule(s) }
            #expect(try await schedules.fireSchedules(now: 1_002, limit: 10) { s in
                ScheduleStep(firing: Self.firing(s, at: s.nextFireAt ?? -1), next: 2_000, delete: false)
            } == 3)
            // a's firing is being invoked by a node; b's waits.
            let leased = try await schedules.claimFirings(now: 1_000, leaseUntil: 60_000, owner: "n1", limit: 1)
            #expect(leased.map(\.scheduleArn) == [a.arn])

            #expect(try await schedules.deleteGroup(accountId: account, region: region, name: "g"))
            #expect(try await schedules.group(accountId: account, region: region, name: "g") == nil)
            let left = try await schedules.schedules(accountId: account, region: region, groupName: nil, prefix: "",
                                                     state: nil, after: nil, limit: 10)
            #expect(left.map(\.arn) == [c.arn])
            #expect(try await schedules.deleteGroup(accountId: account, region: region, name: "g") == false)
            // b's firing went with its group; a's lease runs out and it is claimed again, after the other group's.
            let remaining = try await schedules.claimFirings(now: 100_000, leaseUntil: 200_000, owner: "n1", limit: 10)
            #expect(remaining.map(\.scheduleArn) == [c.arn, a.arn])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func schedulesAreUniqueInTheirGroupAndListedByArnWithEveryFilterBeforeThePageEnds(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let schedules = SQLScheduleStore(store: store)
            let (account, region) = (Self.account, Self.region)
            let orphan = await #expect(throws: StoreError.self) { try await schedules.createSchedule(Self.schedule("alpha")) }
            #expect(orphan?.isNotFound == true)
            try await schedules.createGroup(Self.group("default"))
            try await schedules.createGroup(Self.group("g2"))
            let made = [Self.schedule("alpha"), Self.schedule("gamma"), Self.schedule("beta", state: "DISABLED", due: 7),
                        Self.schedule("delta", state: "DISABLED"), Self.schedule("alpha", group: "g2")]
            for s in made { try await schedules.createSchedule(s) }
            let duplicate = await #expect(throws: StoreError.self) { try await schedules.createSchedule(Self.schedule("alpha")) }
            #expect(duplicate?.isDuplicate == true)
            #expect(try await schedules.schedule(accountId: account, region: region, groupName: "default", name: "beta") == made[2])

            func list(group: String? = nil, prefix: String = "", state: String? = nil, after: String? = nil, limit: Int = 10)
                async throws -> [String] {
                try await schedules.schedules(accountId: account, region: region, groupName: group, prefix: prefix,
                                              state: state, after: after, limit: limit).map { "\($0.groupName)/\($0.name)" }
            }
            #expect(try await list() == ["default/alpha", "default/beta", "default/delta", "default/gamma", "g2/alpha"])
            // Two disabled schedules lie between the first two enabled ones: the page is still full.
            #expect(try await list(state: "ENABLED", limit: 2) == ["default/alpha", "default/gamma"])
            #expect(try await list(state: "ENABLED", after: Self.schedule("gamma").arn, limit: 2) == ["g2/alpha"])
            #expect(try await list(group: "g2") == ["g2/alpha"])
            #expect(try await list(prefix: "al") == ["default/alpha", "g2/alpha"])
            #expect(try await list(group: "default", prefix: "al") == ["default/alpha"])
            #expect(try await list(prefix: "d", state: "DISABLED") == ["default/delta"])
            #expect(try await list(group: "missing").isEmpty)

            var changed = made[2]
            (changed.state, changed.definition, changed.updatedAt, changed.nextFireAt) = ("ENABLED", "{}", 9, 60_000)
            #expect(try await schedules.updateSchedule(changed))
            #expect(try await schedules.schedule(accountId: account, region: region, groupName: "default", name: "beta") == changed)
            #expect(try await schedules.updateSchedule(Self.schedule("missing")) == false)

            #expect(try await schedules.deleteSchedule(accountId: account, region: region, groupName: "default", name: "beta"))
            let again = try await schedules.deleteSchedule(accountId: account, region: region, groupName: "default", name: "beta")
            #expect(again == false)
            #expect(try await schedules.schedule(accountId: account, region: region, groupName: "default", name: "beta") == nil)
            #expect(try await list(group: "default") == ["default/alpha", "default/delta", "default/gamma"])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func dueSchedulesCommitTheirFiringsAndMoveOnOrEnd(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let schedules = SQLScheduleStore(store: store)
            let (account, region) = (Self.account, Self.region)
            try await Self.seed(schedules, [("now", 1_000), ("skipped", 1_200), ("last", 1_500), ("later", 5_000), ("never", nil)])
            #expect(try await schedules.nextScheduleDue() == 1_000)
            #expect(try await schedules.nextFiringDue() == nil)
            #expect(try await schedules.fireSchedules(now: 999, limit: 10) { _ in
                ScheduleStep(firing: nil, next: nil, delete: true)
            } == 0)

            let steps = Steps()
            let fired = try await schedules.fireSchedules(now: 2_000, limit: 10) { s in
                steps.items.withLock { $0.append("\(s.name)@\(s.nextFireAt ?? -1)") }
                switch s.name {
                case "now": return ScheduleStep(firing: Self.firing(s, at: 1_000), next: 61_000, delete: false)
                case "skipped": return ScheduleStep(firing: nil, next: 2_200, delete: false)
                default: return ScheduleStep(firing: Self.firing(s, at: 1_500), next: nil, delete: true)
                }
            }
            #expect(fired == 3)
            #expect(steps.items.withLock { $0 } == ["now@1000", "skipped@1200", "last@1500"])
            func record(_ name: String) async throws -> ScheduleRecord? {
                try await schedules.schedule(accountId: account, region: region, groupName: "default", name: name)
            }
            #expect(try await record("now")?.nextFireAt == 61_000)
            #expect(try await record("skipped")?.nextFireAt == 2_200)
            #expect(try await record("last") == nil)  // deleted after its last firing
            #expect(try await record("later")?.nextFireAt == 5_000)
            let never = try await record("never")
            #expect(never != nil && never?.nextFireAt == nil)
            #expect(try await schedules.nextScheduleDue() == 2_200)

            // One firing per due time that fired, each with an id of its own.
            #expect(try await schedules.nextFiringDue() == 1_000)
            let firings = try await schedules.claimFirings(now: 2_000, leaseUntil: 62_000, owner: "n1", limit: 10)
            #expect(firings.map(\.executionId) == ["now@1000", "last@1500"])
            #expect(Set(firings.map(\.firingId)).count == 2)
            var expected = Self.firing(Self.schedule("now", due: 1_000), at: 1_000)
            expected.firingId = firings[0].firingId
            #expect(firings[0] == expected)

            // A limit takes the earliest due first.
            #expect(try await schedules.fireSchedules(now: 10_000, limit: 1) { _ in
                ScheduleStep(firing: nil, next: 90_000, delete: false)
            } == 1)
            #expect(try await record("skipped")?.nextFireAt == 90_000)
            #expect(try await record("later")?.nextFireAt == 5_000)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aScheduleFiresOncePerDueTimeEvenWhenFiringsRace(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let schedules = SQLScheduleStore(store: store)
            try await Self.seed(schedules, [("tick", 60_000)])
            let steps = Steps()
            let fired = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await schedules.fireSchedules(now: 60_500, limit: 10) { s in
                            steps.items.withLock { $0.append("\(s.name)@\(s.nextFireAt ?? -1)") }
                            return ScheduleStep(firing: Self.firing(s, at: 60_000), next: 120_000, delete: false)
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(fired == 1)
            #expect(steps.items.withLock { $0 } == ["tick@60000"])
            #expect(try await schedules.nextScheduleDue() == 120_000)
            let firings = try await schedules.claimFirings(now: 60_500, leaseUntil: 120_500, owner: "n1", limit: 10)
            #expect(firings.map(\.executionId) == ["tick@60000"])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func firingsLeaseRetryFinishAndAreReleasedWhenTheirNodeStartsOver(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let schedules = SQLScheduleStore(store: store)
            try await Self.seed(schedules, [("s1", 1), ("s2", 2), ("s3", 3)])
            let attemptAt: [String: Int64] = ["s1": 0, "s2": 0, "s3": 5_000]
            #expect(try await schedules.fireSchedules(now: 3, limit: 10) { s in
                ScheduleStep(firing: Self.firing(s, at: s.nextFireAt ?? -1, attemptAt: attemptAt[s.name]), next: nil, delete: false)
            } == 3)
            let first = try await schedules.claimFirings(now: 100, leaseUntil: 60_100, owner: "n1", limit: 10)
            #expect(first.map(\.executionId) == ["s1@1", "s2@2"])
            #expect(try await schedules.claimFirings(now: 200, leaseUntil: 60_200, owner: "n1", limit: 10).isEmpty)  // leased
            try await schedules.finishFirings(ids: [first[0].firingId])
            try await schedules.retryFiring(id: first[1].firingId, attempts: 1, nextAttemptAt: 1_000, lastError: "boom")
            #expect(try await schedules.nextFiringDue() == 1_000)
            let retry = try await schedules.claimFirings(now: 1_000, leaseUntil: 61_000, owner: "n1", limit: 10)
            #expect(retry.map(\.attempts) == [1])
            #expect(retry.first?.lastError == "boom")
            // A crash leaves the retry leased; the node's next start makes it due at once. Other nodes' leases stay.
            #expect(try await schedules.releaseFiringLeases(owner: "n2", now: 2_000) == 0)
            #expect(try await schedules.releaseFiringLeases(owner: "n1", now: 2_000) == 1)
            #expect(try await schedules.nextFiringDue() == 2_000)
            let released = try await schedules.claimFirings(now: 2_000, leaseUntil: 62_000, owner: "n2", limit: 10)
            #expect(released.map(\.executionId) == ["s2@2"])
            #expect(try await schedules.releaseFiringLeases(owner: "n1", now: 3_000) == 0)
            #expect(try await schedules.nextFiringDue() == 5_000)
        }
    }
}

/// What racing or listed steps saw (read after they all ended).
private final class Steps: Sendable {
    let items = Mutex<[String]>([])
}
