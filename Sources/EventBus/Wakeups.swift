/// How a worker loop sleeps: until another task calls `wake()`, or a delay runs out, whichever comes first. Wake-ups
/// while the worker is busy collapse into one, so the loop looks again once and misses none.
struct Wakeups: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func wake() { continuation.yield() }

    /// Ends every wait: the worker is to stop.
    func finish() { continuation.finish() }

    func makeIterator() -> AsyncStream<Void>.AsyncIterator { stream.makeAsyncIterator() }

    /// Waits on `iterator` (this one's, made once per loop) for a wake-up or `delay`; false once `finish()` was called.
    func wait(upTo delay: Duration, _ iterator: inout AsyncStream<Void>.AsyncIterator) async -> Bool {
        let timer = Task { [continuation] in
            // Only a timer that ran out wakes the loop; a cancelled one must not.
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            continuation.yield()
        }
        defer { timer.cancel() }
        return await iterator.next() != nil
    }
}
