import CairnCore
import Foundation
import Logging
import Testing
@testable import BatchCompute
@testable import Storage

/// What a scheduler pass reads: jobs changed by API calls reach it at once when it is woken, and within its full-read
/// interval when a wake is lost (another node's signal), on both engines.
struct BatchSchedulerReadTests {
    struct NoEvents: BatchEventSink {
        func jobStateChangeDeliveries(accountId: String, region: String, jobArn: String, detail: JSONValue,
                                      time: Date) async throws -> [EventDelivery] { [] }
        func didEnqueue() {}
    }

    static func submitted(_ id: String, at time: Int64) -> BatchJobRow {
        BatchJobRow(jobId: id, accountId: "123456789012", region: "us-east-1",
                    queueArn: "arn:aws:batch:us-east-1:123456789012:job-queue/q", parentId: nil, status: "SUBMITTED",
                    jobName: id, document: #"{"jobId":"\#(id)","status":"SUBMITTED"}"#, createdAt: time, updatedAt: time)
    }

    @Test(arguments: TestEngine.allCases)
    func jobsWrittenElsewhereAreScheduledWokenOrNot(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let batch = SQLBatchStore(store: store)
            let clock = SystemWallClock()
            let scheduler = BatchScheduler(store: batch, jobs: BatchJobs(store: batch, events: NoEvents(), clock: clock),
                                           clock: clock, logger: Logger(label: "test"), runner: nil)
            try await batch.insertJobs([Self.submitted("a", at: clock.nowMs())])
            try await scheduler.pass()
            #expect(try await batch.job(id: "a")?.status == "RUNNABLE")

            // Written and woken (an API call on this node or a signal from another): the next pass moves it.
            try await batch.insertJobs([Self.submitted("b", at: clock.nowMs())])
            scheduler.wake()
            try await scheduler.pass()
            #expect(try await batch.job(id: "b")?.status == "RUNNABLE")

            // Written with its wake lost: a later pass still finds it (passes keep running while jobs are active).
            // The passes before settle what the first ones wrote (jobs marked as not run here).
            for _ in 0..<3 { try await scheduler.pass() }
            try await batch.insertJobs([Self.submitted("c", at: clock.nowMs())])
            var status = try await batch.job(id: "c")?.status
            for _ in 0..<200 where status == "SUBMITTED" {
                try await scheduler.pass()
                status = try await batch.job(id: "c")?.status
                if status == "SUBMITTED" { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(status == "RUNNABLE")
            #expect(try await batch.job(id: "a")?.status == "RUNNABLE")
        }
    }
}
