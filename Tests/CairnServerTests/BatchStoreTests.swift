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
}
