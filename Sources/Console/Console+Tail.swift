import CairnCore
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import Synchronization
import Wire

/// Live tail: the history page's new events as server-sent events (`/console/events/tail?<filters>`).
///
/// Each stream lasts at most `tailStreamLimit` (so a server shutting down never waits long for one) and names each
/// event by its sequence number; the browser's EventSource reconnects by itself with `Last-Event-ID`, and the next
/// stream continues exactly there, so nothing is missed between streams.
extension Console {
    static let tailStreamLimit: Duration = .seconds(25)
    static let tailPoll: Duration = .seconds(1)

    func tailStream(_ signed: Signed, query: String, request: Request) async -> Response {
        let filter: EventFilter
        do {
            filter = try EventFilter(query: QueryForm(encoded: query), now: clock.now())
        } catch {
            return respond(400, contentType: "text/plain; charset=utf-8", body: Array(error.message.utf8))
        }
        let lookup = filter.lookupInput(nextToken: nil)
        let resumeAt = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0) }
        let start: Int64
        // Checks the caller may follow history and finds where it ends now; a resumed stream starts where the last
        // one ended instead, so it first sends what arrived while the browser reconnected.
        switch await backend.tail(lookup, afterSeq: nil, as: signed.caller) {
        case .failure(let e):
            let denied = Self.isDenial(e)
            return respond(denied ? 403 : e.status, contentType: "text/plain; charset=utf-8",
                           body: Array(((denied ? "Not authorized: " : "") + e.message).utf8))
        case .success(let end): start = resumeAt ?? end.lastSeq
        }
        var headers = Self.securityHeaders
        headers[.contentType] = "text/event-stream"
        let backend = self.backend
        let caller = signed.caller
        let sessions = self.sessions
        let tokenHash = signed.session.tokenHash
        let clock = self.clock
        let body = ResponseBody { writer in
            var last = start
            // Reconnect at once when a stream ends by its limit.
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            let started = ContinuousClock.now
            // Shutting down, the stream ends within a poll; the browser reconnects to another node or after the restart.
            let stopping = StopFlag()
            try await withGracefulShutdownHandler {
                while ContinuousClock.now - started < Self.tailStreamLimit, !stopping.isSet {
                    var text = ""
                    switch await backend.tail(lookup, afterSeq: last, as: caller) {
                    case .failure(let e):
                        // Not allowed any more (a policy changed): say so and stop; the page stops the tail.
                        text = "event: end\ndata: \(Self.sseData(e.message))\n\n"
                        try await writer.write(ByteBuffer(string: text))
                        return
                    case .success(let r):
                        for (i, event) in r.events.enumerated() {
                            // The batch's last event carries its sequence number: a reconnect resumes after the
                            // batch, which is written at once.
                            if i == r.events.count - 1 { text += "id: \(r.lastSeq)\n" }
                            text += "event: record\ndata: \(Self.sseData(EventRow(event).tailJSON))\n\n"
                        }
                        last = r.lastSeq
                    }
                    try await writer.write(ByteBuffer(string: text.isEmpty ? ": waiting\n\n" : text))
                    try await Task.sleep(for: Self.tailPoll)
                    // A session signed out (or idle past its limit) ends its tail.
                    let now = Int64((clock.now().timeIntervalSince1970 * 1000).rounded())
                    if try await sessions.session(tokenHash: tokenHash, idleSince: now - Self.idleLimit) == nil {
                        try await writer.write(ByteBuffer(string: "event: end\ndata: signed out\n\n"))
                        return
                    }
                }
            } onGracefulShutdown: {
                stopping.set()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// One SSE `data:` value: a single line (JSON has no raw newlines; messages might).
    static func sseData(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }
}

/// Set once, read by the stream's loop: a graceful shutdown has begun.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
