import Testing
@testable import BatchCompute

@Suite("AWS Batch job statuses")
struct BatchJobStatusTests {
    /// Every move Cairn makes (the table on `BatchJobStatus`).
    static let allowed: [(BatchJobStatus, BatchJobStatus)] = [
        (.submitted, .pending), (.submitted, .runnable), (.submitted, .failed),
        (.pending, .runnable), (.pending, .succeeded), (.pending, .failed),
        (.runnable, .starting), (.runnable, .failed),
        (.starting, .running), (.starting, .runnable), (.starting, .failed),
        (.running, .succeeded), (.running, .runnable), (.running, .failed),
    ]

    @Test("the moves the scheduler, CancelJob and TerminateJob make are allowed", arguments: allowed)
    func allowedMoves(from: BatchJobStatus, to: BatchJobStatus) {
        #expect(from.canMove(to: to))
    }

    @Test("every other move is refused", arguments: BatchJobStatus.allCases)
    func refusedMoves(from: BatchJobStatus) {
        for to in BatchJobStatus.allCases where !Self.allowed.contains(where: { $0 == (from, to) }) {
            #expect(!from.canMove(to: to), "\(from) → \(to)")
        }
    }

    @Test("representative refusals: out of a final status, backwards, skipping a step, to itself", arguments: [
        (BatchJobStatus.succeeded, BatchJobStatus.failed), (.succeeded, .runnable), (.failed, .runnable), (.failed, .failed),
        (.running, .submitted), (.running, .pending), (.runnable, .pending), (.runnable, .running), (.submitted, .starting),
        (.starting, .succeeded), (.runnable, .succeeded), (.running, .running),
    ])
    func representativeRefusals(from: BatchJobStatus, to: BatchJobStatus) {
        #expect(!from.canMove(to: to))
    }

    @Test("SUCCEEDED and FAILED are final: nothing moves them")
    func finalStatuses() {
        #expect(BatchJobStatus.allCases.filter(\.isFinal) == [.succeeded, .failed])
        for status in BatchJobStatus.allCases where status.isFinal {
            #expect(BatchJobStatus.allCases.allSatisfy { !status.canMove(to: $0) })
        }
    }

    @Test("raw values are AWS's spellings and round-trip", arguments: zip(
        BatchJobStatus.allCases, ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"]))
    func spellings(status: BatchJobStatus, spelling: String) {
        #expect(status.rawValue == spelling)
        #expect(BatchJobStatus(rawValue: spelling) == status)
    }

    @Test("other spellings are not statuses", arguments: ["running", "Running", "CANCELLED", "", " RUNNING"])
    func unknownSpellings(spelling: String) {
        #expect(BatchJobStatus(rawValue: spelling) == nil)
    }
}
