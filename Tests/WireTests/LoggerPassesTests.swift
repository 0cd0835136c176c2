import CairnCore
import Logging
import Synchronization
import Testing

/// Background passes log their failures, but not the cancellation that stops them at shutdown.
struct LoggerPassesTests {
    final class Captured: LogHandler, @unchecked Sendable {
        let lines = Mutex<[String]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.withLock { $0.append("\(event.level) \(event.message)") }
        }
    }

    struct Broken: Error, CustomStringConvertible { var description: String { "disk full" } }

    @Test func cancellationIsNotAFailure() {
        let captured = Captured()
        let logger = Logger(label: "test") { _ in captured }
        logger.passFailed("batch scheduler pass", CancellationError())
        #expect(captured.lines.withLock { $0 }.isEmpty)
        logger.passFailed("batch scheduler pass", Broken())
        #expect(captured.lines.withLock { $0 } == ["error batch scheduler pass failed: disk full"])
    }
}
