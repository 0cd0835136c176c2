import CairnCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Storage
import Wire

/// The web console on Cairn's own port, under `/console/`: sign-in with an access key, event history to view,
/// filter and download. Every page acts as the signed-in person through `ConsoleBackend`, so it sees exactly what
/// that person's policies allow, and its calls are recorded as theirs.
public struct Console: Sendable {
    let backend: any ConsoleBackend
    let sessions: any ConsoleSessionStore
    let clock: any WallClock
    let defaultRegion: String
    let logger: Logger

    /// A session ends after this long without a request.
    static let idleLimit: Int64 = 12 * 3600 * 1000
    /// How stale a session's last-seen time may get before a request writes it again.
    static let touchEvery: Int64 = 60 * 1000
    static let sessionCookie = "cairn_console"
    /// Before sign-in there is no session to hold the CSRF token: this cookie does, and the form repeats it.
    static let signInCookie = "cairn_console_signin"
    static let formLimit = 16 * 1024

    public init(backend: any ConsoleBackend, sessions: any ConsoleSessionStore, clock: any WallClock,
                defaultRegion: String, logger: Logger) {
        self.backend = backend
        self.sessions = sessions
        self.clock = clock
        self.defaultRegion = defaultRegion
        self.logger = logger
    }

    /// A signed-in request: the session and the person it acts for.
    struct Signed {
        var session: ConsoleSessionRecord
        var caller: ConsoleCaller
    }

    /// Answers one request under `/console`.
    public func respond(to request: Request, path: String, query: String, remoteAddress: String) async -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await route(request, path: path, query: query, remoteAddress: remoteAddress)
        } catch {
            logger.error("console \(path) failed: \(error)")
            response = page(500, "message", title: "Error", values: message("Something went wrong", id: "failure", kind: "error",
                                                                            "The console could not answer; the server log says why."))
        }
        // The server's time for the page (to its first byte, for streamed downloads): browsers show it, benchmarks read it.
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        response.headers[HTTPField.Name("Server-Timing")!] = "app;dur=" + String(format: "%.2f", ms)
        return response
    }

    func route(_ request: Request, path: String, query: String, remoteAddress: String) async throws -> Response {
        let method = request.method
        if path == "/console" { return redirect("/console/") }
        if path.hasPrefix("/console/assets/") {
            guard method == .get || method == .head, let asset = ConsoleAssets.files[String(path.dropFirst("/console/assets/".count))]
            else { return notFound(nil) }
            return respond(200, contentType: asset.contentType, body: Array(asset.body.utf8), cache: "public, max-age=300")
        }
        let host = request.head.authority ?? "localhost"
        let signed = try await signedIn(request, remoteAddress: remoteAddress, host: host)
        switch (method, path) {
        case (.post, "/console/signin"):
            return try await signIn(request, remoteAddress: remoteAddress, host: host)
        case (.post, "/console/signout"):
            return try await signOut(request, signed)
        case (_, "/console/signin"), (_, "/console/signout"):
            return redirect("/console/")
        default: break
        }
        guard method == .get || method == .head else {
            return page(405, "message", title: "Not allowed", values: message("Not allowed", id: "not-allowed", kind: "error",
                                                                              "\(method.rawValue) is not allowed here."))
        }
        guard let signed else {
            if path == "/console/" { return signInPage(request, next: QueryForm(encoded: query)["next"]) }
            // Bookmarked pages come back here after sign-in.
            return redirect("/console/?next=" + SigV4.percentEncode(path + (query.isEmpty ? "" : "?" + query), keepSlash: false))
        }
        switch path {
        case "/console/": return await dashboardPage(signed)
        case "/console/events": return await eventsPage(signed, query: query)
        case "/console/events/download": return await download(signed, query: query)
        case "/console/events/tail": return await tailStream(signed, query: query, request: request)
        case "/console/queues": return await queuesPage(signed, query: query)
        case "/console/rules": return await rulesPage(signed, query: query)
        case "/console/trails": return await trailsPage(signed)
        case "/console/trails/validate": return await validatePage(signed, query: query)
        case "/console/jobs": return await jobsPage(signed, query: query)
        default:
            if let id = Self.pathId(path, under: "/console/events/") { return await eventPage(signed, eventId: id) }
            if let id = Self.pathId(path, under: "/console/jobs/batch/") { return await batchJobPage(signed, jobId: id) }
            if let id = Self.pathId(path, under: "/console/jobs/s3/") { return await s3JobPage(signed, jobId: id) }
            return notFound(signed)
        }
    }

    /// The one path segment after `prefix` (an event or job id), decoded.
    static func pathId(_ path: String, under prefix: String) -> String? {
        guard path.hasPrefix(prefix), case let id = SigV4.percentDecode(path.dropFirst(prefix.count)), !id.isEmpty, !id.contains("/")
        else { return nil }
        return id
    }

    // MARK: Sessions

    func signedIn(_ request: Request, remoteAddress: String, host: String) async throws -> Signed? {
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty else { return nil }
        let now = clock.nowMs()
        guard let session = try await sessions.session(tokenHash: Self.hash(token), idleSince: now - Self.idleLimit) else {
            return nil
        }
        guard let caller = await backend.caller(accessKeyId: session.accessKeyId, region: session.region,
                                                sourceIPAddress: remoteAddress, host: host) else {
            // The key was deleted or deactivated: its sessions end with it.
            try await sessions.delete(tokenHash: session.tokenHash)
            return nil
        }
        if now - session.lastSeenAt >= Self.touchEvery { try await sessions.touch(tokenHash: session.tokenHash, at: now) }
        return Signed(session: session, caller: caller)
    }

    func signInPage(_ request: Request, next: String?, error: String? = nil, accessKeyId: String = "", region: String? = nil,
                    status: Int = 200) -> Response {
        // One sign-in token per browser until it signs in: reuse the cookie's, so two open tabs both work.
        let csrf = request.cookies[Self.signInCookie]?.value.nilIfEmpty ?? Identifiers.alphanumeric(32)
        var values: [String: Any] = [
            "title": "Sign in", "csrf": csrf, "next": Self.safeNext(next) ?? "", "accessKeyId": accessKeyId,
            "region": region ?? defaultRegion,
        ]
        if let error { values["hasError"] = true; values["error"] = error }
        var response = page(status, "signin", values: values)
        response.setCookie(cookie(Self.signInCookie, csrf, request: request))
        return response
    }

    func signIn(_ request: Request, remoteAddress: String, host: String) async throws -> Response {
        guard let form = try await form(request) else {
            return page(413, "message", title: "Too large", values: message("Too large", id: "too-large", kind: "error",
                                                                             "The form is larger than the console accepts."))
        }
        let expected = request.cookies[Self.signInCookie]?.value ?? ""
        guard !expected.isEmpty, let sent = form["csrf"], SigV4.constantTimeEquals(sent, expected) else {
            return signInPage(request, next: form["next"], error: "The sign-in form had expired. Please sign in again.", status: 403)
        }
        let keyId = (form["accessKeyId"] ?? "").trimmingCharacters(in: .whitespaces)
        let secret = form["secretAccessKey"] ?? ""
        let region = (form["region"] ?? "").trimmingCharacters(in: .whitespaces).nilIfEmpty ?? defaultRegion
        guard Self.isRegionName(region) else {
            return signInPage(request, next: form["next"], error: "Sign-in failed: \(region) is not a region name such as us-east-1.",
                              accessKeyId: keyId, region: region, status: 400)
        }
        let userAgent = request.headers[.userAgent] ?? ""
        switch await backend.signIn(accessKeyId: keyId, secret: secret, region: region, sourceIPAddress: remoteAddress,
                                    userAgent: userAgent, host: host) {
        case .refused:
            return signInPage(request, next: form["next"], error: "Sign-in failed: the access key ID or the secret access key is not valid.",
                              accessKeyId: keyId, region: region, status: 401)
        case .unavailable:
            return signInPage(request, next: form["next"], error: "Sign-in is unavailable: the attempt could not be recorded. Try again shortly.",
                              accessKeyId: keyId, region: region, status: 503)
        case .signedIn(let caller):
            let token = Identifiers.alphanumeric(43)
            let now = clock.nowMs()
            try await sessions.create(ConsoleSessionRecord(
                tokenHash: Self.hash(token), accessKeyId: caller.accessKeyId, region: region,
                csrfToken: Identifiers.alphanumeric(32), createdAt: now, lastSeenAt: now))
            // Now and then, on a sign-in, sessions idle past the limit go.
            if Int.random(in: 0..<50) == 0 { _ = try? await sessions.prune(idleSince: now - Self.idleLimit) }
            var response = redirect(Self.safeNext(form["next"]) ?? "/console/")
            response.setCookie(cookie(Self.sessionCookie, token, request: request))
            response.setCookie(cookie(Self.signInCookie, "", request: request, expired: true))
            return response
        }
    }

    func signOut(_ request: Request, _ signed: Signed?) async throws -> Response {
        guard let signed else { return redirect("/console/") }
        guard let form = try await form(request), let sent = form["csrf"],
              SigV4.constantTimeEquals(sent, signed.session.csrfToken) else {
            return page(403, "message", title: "Refused", values: message(
                "Refused", id: "csrf-refused", kind: "error", "This form did not come from your console session; you are still signed in.",
                signed: signed))
        }
        try await sessions.delete(tokenHash: signed.session.tokenHash)
        var response = redirect("/console/")
        response.setCookie(cookie(Self.sessionCookie, "", request: request, expired: true))
        return response
    }

    func form(_ request: Request) async throws -> QueryForm? {
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.formLimit)
        } catch is NIOTooManyBytesError {
            return nil
        }
        return QueryForm(encoded: buffer.readString(length: buffer.readableBytes) ?? "")
    }

    func cookie(_ name: String, _ value: String, request: Request, expired: Bool = false) -> Cookie {
        // Behind a TLS-terminating proxy the browser sees https: then the cookie is for https only.
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
        return Cookie(name: name, value: value, maxAge: expired ? 0 : nil, path: "/console", secure: secure, httpOnly: true,
                      sameSite: .strict)
    }

    /// Where sign-in may send the browser: a console page of this server, never another site.
    static func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/console/"), !next.contains("//"), !next.contains("\\"),
              !next.unicodeScalars.contains(where: { $0.value < 0x20 }) else { return nil }
        return next
    }

    static func isRegionName(_ s: String) -> Bool {
        (1...32).contains(s.count) && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    static func hash(_ token: String) -> String { SigV4.hexSHA256(Array(token.utf8)) }

    // MARK: Responses

    /// What every signed-in page's header shows.
    /// The console's pages in its navigation: path and label.
    static let pages: [(path: String, label: String)] = [("", "Dashboard"), ("events", "Event history"), ("rules", "Rules"),
                                                           ("trails", "Trails"), ("queues", "Queues"), ("jobs", "Jobs")]

    /// What every page's header shows; `on` names the page shown (its navigation link is marked current).
    func base(_ signed: Signed?, title: String, on: String? = nil) -> [String: Any] {
        var values: [String: Any] = ["title": title]
        if let signed {
            values["caller"] = [
                "name": signed.caller.displayName, "region": signed.caller.region, "csrf": signed.session.csrfToken,
                "nav": Self.pages.map { ["path": $0.path, "label": $0.label, "current": $0.path == on] as [String: Any] },
            ] as [String: Any]
        }
        return values
    }

    /// Whether authorization refused the call (each protocol spells AccessDenied its own way).
    static func isDenial(_ e: AWSError) -> Bool { denialErrorCodes.contains(e.code) }

    /// The message page for a call that failed where no page of its own can show it.
    func failureMessage(_ e: AWSError, signed: Signed) -> Response {
        let denied = Self.isDenial(e)
        return page(e.status, "message", values: message(denied ? "Not authorized" : "Error", id: denied ? "not-authorized" : "failure",
                                                         kind: "error", (denied ? "Not authorized: " : "") + e.message, signed: signed))
    }

    /// A page whose call failed: "not authorized" for a denial (the call's own message says what is missing), the
    /// error otherwise.
    func failurePage(_ e: AWSError, values: [String: Any], template: String) -> Response {
        var values = values
        if Self.isDenial(e) {
            values["isDenied"] = true
            values["denied"] = e.message
        } else {
            values["hasError"] = true
            values["error"] = e.message
        }
        return page(e.status, template, values: values)
    }

    func message(_ heading: String, id: String, kind: String, _ text: String, signed: Signed? = nil) -> [String: Any] {
        var values = base(signed, title: heading)
        values["heading"] = heading
        values["id"] = id
        values["kind"] = kind
        values["text"] = text
        return values
    }

    func notFound(_ signed: Signed?) -> Response {
        page(404, "message", title: "Not found", values: message("Not found", id: "not-found", kind: "error",
                                                                 "There is no such console page.", signed: signed))
    }

    func page(_ status: Int, _ template: String, title: String? = nil, values: [String: Any]) -> Response {
        var values = values
        if let title { values["title"] = title }
        let html = ConsoleTemplates.library.render(values, withTemplate: template) ?? ""
        return respond(status, contentType: "text/html; charset=utf-8", body: Array(html.utf8))
    }

    func redirect(_ location: String) -> Response {
        var headers = Self.securityHeaders
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    func respond(_ status: Int, contentType: String, body: [UInt8], cache: String = "no-store") -> Response {
        var headers = Self.securityHeaders
        headers[.contentType] = contentType
        headers[.cacheControl] = cache
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Sent with every console response: only this server's own scripts, styles and forms; never framed; no referrer.
    static let securityHeaders: HTTPFields = {
        var headers = HTTPFields()
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[.cacheControl] = "no-store"
        return headers
    }()
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
