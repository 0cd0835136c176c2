import CairnCore
import SQLKit
import Testing
@testable import Storage

/// `SQLBatchStore` on both engines: a job's status change and the events reporting it are one write.
struct BatchStoreTests {
    static func job(_ status: String, at time: Int64, id: String = "job-1", createdAt: Int64 = 1_000) -> BatchJobRow {
        BatchJobRow(jobId: id, accountId: "123456789012", region: "us-east-1",
                    queueArn: "arn:aws:batch:us-east-1:123456789012:job-queue/q", parentId: nil, status: status,
                    jobName: "j", document: #"{"status":"\#(status)"}"#, createdAt: createdAt, updatedAt: time)
    }

    static func delivery(_ target: String) -> EventDelivery {
        EventDelivery(accountId: "123456789012", region: "us-east-1", ruleArn: "arn:aws:events:us-east-1:123456789012:rule/r",
                      targetId: target, target: "{}", payload: "{}", eventId: "e-\(target)", eventTime: 2_000,
                      nextAttemptAt: 2_000)
    }

    @Test(arguments: TestEngine.allCases)
    func aStatusChangeAndItsEventsCommitTogetherOrNotAtAll(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let jobs = SQLBatchStore(store: store)
            let outbox = SQLEventBusStore(store: store)
            try await jobs.insertJobs([Self.job("RUNNABLE", at: 1_000)])

            // The job is not in the status the caller saw: neither the change nor its events are written.
            let stale = try await jobs.updateJob(Self.job("STARTING", at: 2_000), ifStatus: "SUBMITTED",
                                                 deliveries: [Self.delivery("a")])
            #expect(!stale)
            #expect(try await outbox.pendingCount() == 0)
            #expect(try await jobs.job(id: "job-1")?.status == "RUNNABLE")

            let moved = try await jobs.updateJob(Self.job("STARTING", at: 2_000), ifStatus: "RUNNABLE",
                                                 deliveries: [Self.delivery("a"), Self.delivery("b")])
            #expect(moved)
            #expect(try await outbox.pendingCount() == 2)
            #expect(try await jobs.job(id: "job-1")?.status == "STARTING")
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aBatchOfUpdatesWritesEachJobStillInTheStatusItsWriterSaw(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let jobs = SQLBatchStore(store: store)
            let outbox = SQLEventBusStore(store: store)
            try await jobs.insertJobs([Self.job("RUNNABLE", at: 1_000, id: "a"), Self.job("RUNNABLE", at: 1_000, id: "b"),
                                       Self.job("RUNNING", at: 5_000, id: "c")])
            // Tagged after its writer read it: the write keeps the tags and says what they are.
            try await jobs.setJobTags(#"{"team":"x"}"#, jobId: "a", at: 1_500)
            var c = Self.job("SUCCEEDED", at: 3_000, id: "c")
            c.document = #"{"status":"SUCCEEDED","exitCode":0}"#
            let written = try await jobs.updateJobs([
                BatchJobUpdate(job: Self.job("STARTING", at: 2_000, id: "a"), ifStatus: "RUNNABLE", deliveries: [Self.delivery("a")]),
                // b was moved by someone else first: neither it nor its event is written.
                BatchJobUpdate(job: Self.job("STARTING", at: 2_000, id: "b"), ifStatus: "SUBMITTED", deliveries: [Self.delivery("b")]),
                // c's stored updated_at is later than the writer's clock: it still grows.
                BatchJobUpdate(job: c, ifStatus: "RUNNING", deliveries: [Self.delivery("c1"), Self.delivery("c2")]),
                BatchJobUpdate(job: Self.job("STARTING", at: 2_000, id: "missing"), ifStatus: "RUNNABLE", deliveries: [Self.delivery("m")]),
            ])
            #expect(written == ["a": BatchJobWritten(updatedAt: 2_000, tags: #"{"team":"x"}"#),
                                "c": BatchJobWritten(updatedAt: 5_001, tags: "{}")])
            #expect(try await outbox.pendingCount() == 3)
            let stored = Dictionary(uniqueKeysWithValues: try await jobs.jobs(ids: ["a", "b", "c"]).map { ($0.jobId, $0) })
            #expect(stored["a"]?.status == "STARTING")
            #expect(stored["a"]?.updatedAt == 2_000)
            #expect(stored["a"]?.document == #"{"status":"STARTING"}"#)
            #expect(stored["a"]?.tags == #"{"team":"x"}"#)
            #expect(stored["b"]?.status == "RUNNABLE")
            #expect(stored["b"]?.updatedAt == 1_000)
            #expect(stored["c"]?.status == "SUCCEEDED")
            #expect(stored["c"]?.updatedAt == 5_001)
            #expect(stored["c"]?.document == c.document)
            // More updates than one statement takes: every one is judged.
            let many = (0..<(SQLBatchStore.updatesPerStatement + 5)).map { Self.job("RUNNABLE", at: 1, id: "n\($0)") }
            try await jobs.insertJobs(many)
            let all = try await jobs.updateJobs(many.map {
                BatchJobUpdate(job: Self.job("STARTING", at: 2, id: $0.jobId), ifStatus: "RUNNABLE", deliveries: [])
            })
            #expect(Set(all.keys) == Set(many.map(\.jobId)))
        }
    }

    @Test(arguments: TestEngine.allCases)
    func theLatestActiveRevisionIsTheHighestActiveOneOfThatName(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let batch = SQLBatchStore(store: store)
            func definition(_ name: String, _ revision: Int64, _ status: String, region: String = "us-east-1") -> BatchResourceRow {
                BatchResourceRow(arn: "arn:aws:batch:\(region):123456789012:job-definition/\(name):\(revision)", accountId: "123456789012",
                                 region: region, kind: "job-definition", name: name, revision: revision, status: status,
                                 document: #"{"revision":\#(revision)}"#, createdAt: 1_700_000_000_000 + revision)
            }
            for row in [definition("d", 1, "ACTIVE"), definition("d", 2, "ACTIVE"), definition("d", 3, "INACTIVE"),
                        definition("d2", 9, "ACTIVE"), definition("d", 7, "ACTIVE", region: "eu-west-1")] {
                try await batch.putResource(row)
            }
            let latest = try await batch.latestActiveResource(accountId: "123456789012", region: "us-east-1", kind: "job-definition", name: "d")
            #expect(latest == definition("d", 2, "ACTIVE"))
            #expect(try await batch.latestActiveResource(accountId: "123456789012", region: "us-east-1", kind: "job-definition", name: "none") == nil)
            #expect(try await batch.latestActiveResource(accountId: "999999999999", region: "us-east-1", kind: "job-definition", name: "d") == nil)
            // By ARN, every column as stored, whatever its status.
            let inactive = definition("d", 3, "INACTIVE")
            #expect(try await batch.resource(arn: inactive.arn) == inactive)
            #expect(try await batch.resource(arn: inactive.arn + "0") == nil)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func activeJobVersionsListTheUnfinishedOldestFirst(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let jobs = SQLBatchStore(store: store)
            try await jobs.insertJobs([
                Self.job("RUNNING", at: 5, id: "c", createdAt: 300), Self.job("SUCCEEDED", at: 6, id: "a", createdAt: 100),
                Self.job("RUNNABLE", at: 7, id: "b", createdAt: 200), Self.job("FAILED", at: 8, id: "d", createdAt: 50),
                Self.job("SUBMITTED", at: 9, id: "e", createdAt: 200),
            ])
            #expect(try await jobs.activeJobVersions() == [
                BatchJobVersion(jobId: "b", status: "RUNNABLE", updatedAt: 7), BatchJobVersion(jobId: "e", status: "SUBMITTED", updatedAt: 9),
                BatchJobVersion(jobId: "c", status: "RUNNING", updatedAt: 5),
            ])
            // A job that finishes leaves the list; one that is retried comes back.
            #expect(try await jobs.updateJob(Self.job("SUCCEEDED", at: 10, id: "c", createdAt: 300), ifStatus: "RUNNING", deliveries: []))
            #expect(try await jobs.activeJobVersions().map(\.jobId) == ["b", "e"])
            guard engine == .sqlite else { return }
            // Every scheduler pass runs this: it reads the partial covering index, not every job ever run.
            let plan = try await store.read { db in
                try await db.raw(SQLQueryString("EXPLAIN QUERY PLAN " + SQLBatchStore.activeJobVersionsQuery)).all().map { try $0.decode(column: "detail", as: String.self) }
            }
            #expect(plan == ["SCAN batch_job USING COVERING INDEX batch_job_active"])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func jobsAndVersionsReadByIdHoldEveryColumnAsStored(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let jobs = SQLBatchStore(store: store)
            let child = BatchJobRow(jobId: "p:1", accountId: "123456789012", region: "eu-west-1",
                                    queueArn: "arn:aws:batch:eu-west-1:123456789012:job-queue/q2", parentId: "p", status: "RUNNABLE",
                                    jobName: "child é", document: #"{"arrayProperties":{"index":1}}"#, tags: #"{"team":"x"}"#,
                                    createdAt: 1_764_892_800_123, updatedAt: 1_764_892_800_456)
            let parent = Self.job("PENDING", at: 7, id: "p", createdAt: 90)
            try await jobs.insertJobs([parent, child])
            #expect(try await jobs.jobs(ids: ["p:1", "p", "missing"]).sorted { $0.jobId < $1.jobId } == [parent, child])
            #expect(try await jobs.jobVersions(ids: ["p:1", "missing"]) == [
                BatchJobVersion(jobId: "p:1", status: "RUNNABLE", updatedAt: 1_764_892_800_456),
            ])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func racingWritersOfOneJobWriteItOnceWithItsEvents(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let jobs = SQLBatchStore(store: store)
            let outbox = SQLEventBusStore(store: store)
            // Each job starts RUNNABLE; four writers race to move it (a scheduler's start, a CancelJob, ...), each
            // from the status it saw: exactly one move is written, with its own event.
            let ids = (0..<40).map { "r\($0)" }
            try await jobs.insertJobs(ids.map { Self.job("RUNNABLE", at: 1, id: $0) })
            let targets = ["STARTING", "FAILED", "STARTING", "FAILED"]
            let wins = try await withThrowingTaskGroup(of: [String: String].self) { group in
                for (writer, target) in targets.enumerated() {
                    group.addTask {
                        var won: [String: String] = [:]
                        for id in ids {
                            var job = Self.job(target, at: Int64(10 + writer), id: id)
                            job.document = #"{"writer":\#(writer)}"#
                            if try await jobs.updateJob(job, ifStatus: "RUNNABLE", deliveries: [Self.delivery("\(id)-\(writer)")]) {
                                won[id] = "\(writer)"
                            }
                        }
                        return won
                    }
                }
                return try await group.reduce(into: [String: [String]]()) { all, won in
                    for (id, writer) in won { all[id, default: []].append(writer) }
                }
            }
            #expect(ids.allSatisfy { wins[$0]?.count == 1 }, "\(wins.filter { $0.value.count != 1 })")
            #expect(try await outbox.pendingCount() == ids.count)
            for row in try await jobs.jobs(ids: ids) {
                let writer = try #require(wins[row.jobId]?.first.flatMap { Int($0) })
                #expect(row.status == targets[writer] && row.document == #"{"writer":\#(writer)}"#, "\(row.jobId)")
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func moreJobsThanOneStatementTakesAreAllInserted(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let jobs = SQLBatchStore(store: store)
            // An array job's parent and children: more rows than one INSERT carries.
            let parent = Self.job("PENDING", at: 1, id: "p")
            let children = (0..<(SQLBatchStore.jobsPerStatement + 3)).map { i in
                BatchJobRow(jobId: "p:\(i)", accountId: "123456789012", region: "us-east-1", queueArn: parent.queueArn,
                            parentId: "p", status: "SUBMITTED", jobName: "j", document: #"{"index":\#(i)}"#, createdAt: 1, updatedAt: 1)
            }
            try await jobs.insertJobs([])
            try await jobs.insertJobs([parent] + children)
            let stored = try await jobs.jobs(ids: ["p"] + children.map(\.jobId))
            #expect(Set(stored.map(\.jobId)) == Set(["p"] + children.map(\.jobId)))
            #expect(stored.first { $0.jobId == "p:\(SQLBatchStore.jobsPerStatement + 2)" } == children.last)
            #expect(try await jobs.children(parentId: "p").count == children.count)
        }
    }
}
