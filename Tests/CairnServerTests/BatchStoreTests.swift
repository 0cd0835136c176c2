import Testing
@testable import Storage

/// `SQLBatchStore` on both engines: a job's status change and the events reporting it are one write.
struct BatchStoreTests {
    static func job(_ status: String, at time: Int64) -> BatchJobRow {
        BatchJobRow(jobId: "job-1", accountId: "123456789012", region: "us-east-1",
                    queueArn: "arn:aws:batch:us-east-1:123456789012:job-queue/q", parentId: nil, status: status,
                    jobName: "j", document: #"{"status":"\#(status)"}"#, createdAt: 1_000, updatedAt: time)
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
}
