import CairnCore
import Foundation
import HTTPTypes
import Logging
import NIOCore
@testable import Storage
import Synchronization
import Testing
import Wire

/// A fresh temporary directory, removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "cairn-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Opens a fresh SQLite store in a temporary directory.
func makeStore(_ dir: TemporaryDirectory) async throws -> SQLStore {
    try await SQLStore.openSQLite(path: dir.path + "/test.sqlite", logger: Logger(label: "test"))
}

/// The storage engines the store contract tests run on: `@Test(arguments: TestEngine.allCases)`.
enum TestEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// Opens a fresh, migrated store on `engine`, runs `body` with it and closes it, also when `body` throws.
///
/// SQLite: a database file in a temporary directory. PostgreSQL: a database of its own on the test process's
/// shared throwaway cluster (`TestPostgres`), dropped afterwards. Where PostgreSQL is not installed the PostgreSQL
/// case prints why and runs nothing, unless the environment has CI=true, where that is a failure.
func withTestStore(_ engine: TestEngine, sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: (SQLStore) async throws -> Void) async throws {
    switch engine {
    case .sqlite:
        let dir = TemporaryDirectory()
        let store = try await makeStore(dir)
        try await TestEngineRuns.run(.sqlite, store, body)
        withExtendedLifetime(dir) {}
    case .postgres:
        if let reason = PostgresInstallation.missingReason {
            TestEngineRuns.skipped()
            if TestEngineRuns.isCI {
                Issue.record("PostgreSQL is required when CI=true: \(reason)", sourceLocation: sourceLocation)
            } else {
                print("skipping PostgreSQL: \(reason)")
            }
            return
        }
        let database = try await TestPostgresDatabase.create()
        do {
            let store = try await SQLStore.openPostgres(url: database.url, poolSize: 4, logger: Logger(label: "test"))
            try await TestEngineRuns.run(.postgres, store, body)
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }
}

/// How many store cases ran on each engine in this process, printed at exit.
enum TestEngineRuns {
    private static let counts = Mutex<(runs: [TestEngine: Int], skipped: Int)>(([:], 0))
    private static let printAtExit: Void = {
        atexit { TestEngineRuns.printSummary() }
    }()

    static var isCI: Bool {
        ["true", "1", "yes"].contains(ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? "")
    }

    /// Runs `body` with `store` (counted for `engine`), then closes the store whether or not `body` threw.
    static func run(_ engine: TestEngine, _ store: SQLStore, _ body: (SQLStore) async throws -> Void) async throws {
        _ = printAtExit
        counts.withLock { $0.runs[engine, default: 0] += 1 }
        do {
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    static func skipped() {
        _ = printAtExit
        counts.withLock { $0.skipped += 1 }
    }

    private static func printSummary() {
        let (runs, skipped) = counts.withLock { ($0.runs, $0.skipped) }
        let each = TestEngine.allCases.map { "\($0.rawValue) \(runs[$0, default: 0])" }.joined(separator: ", ")
        print("Store contract cases run per engine: \(each)"
              + (skipped > 0 ? "; PostgreSQL cases skipped (PostgreSQL not available): \(skipped)" : ""))
    }
}

/// A clock tests move by hand.
final class TestClock: WallClock, @unchecked Sendable {
    // Guarded by `lock`.
    private var current: Date
    private let lock = NSLock()
    init(_ start: Date = Date()) { current = start }
    func now() -> Date { lock.lock(); defer { lock.unlock() }; return current }
    func advance(by seconds: TimeInterval) { lock.lock(); current += seconds; lock.unlock() }
}

/// Signs requests the way botocore does, for in-process tests.
struct TestSigner {
    var accessKeyId: String
    var secret: String
    var region = "us-east-1"
    var sessionToken: String?

    func sign(method: String = "POST", path: String = "/", query: String = "", host: String = "localhost",
              service: String, headers: [String: String], body: [UInt8], date: Date = Date()) -> HTTPFields {
        let amzDate = Timestamp.amzDate(date)
        var all = headers
        all["host"] = host
        all["x-amz-date"] = amzDate
        if let sessionToken { all["x-amz-security-token"] = sessionToken }
        let names = all.keys.map { $0.lowercased() }.sorted()
        let scope = SigV4.CredentialScope(date: String(amzDate.prefix(8)), region: region, service: service)
        let request = SigV4.Request(method: method, rawPath: path, rawQuery: query,
                                    headers: Dictionary(uniqueKeysWithValues: all.map { ($0.key.lowercased(), [$0.value]) }),
                                    payloadHash: SigV4.hexSHA256(body))
        let canonical = SigV4.canonicalRequest(request, signedHeaders: names, service: service)
        let signature = SigV4.signature(signingKey: SigV4.signingKey(secret: secret, scope: scope),
                                        stringToSign: SigV4.stringToSign(canonicalRequest: canonical, amzDate: amzDate, scope: scope))
        var fields = HTTPFields()
        for (k, v) in all where k != "host" { fields.append(HTTPField(name: HTTPField.Name(k)!, value: v)) }
        fields.append(HTTPField(name: .authorization, value: SigV4Authorization(
            accessKeyId: accessKeyId, scope: scope, signedHeaders: names, signature: signature).headerValue))
        return fields
    }
}

/// Reads `[default]` keys from a shared-credentials file.
func readCredentials(_ path: String) throws -> (String, String) {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var id = "", secret = ""
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.count == 2, parts[0] == "aws_access_key_id" { id = parts[1] }
        if parts.count == 2, parts[0] == "aws_secret_access_key" { secret = parts[1] }
    }
    return (id, secret)
}

import HummingbirdTesting

/// Calls a JSON-protocol operation in process, signed as `signer`.
func callJSON(_ client: some TestClientProtocol, _ signer: TestSigner, service: String, target: String, version: String = "1.1",
              _ body: JSONValue) async throws -> (Int, JSONValue) {
    let bytes = body.serialized()
    let headers = signer.sign(service: service, headers: [
        "content-type": "application/x-amz-json-\(version)", "x-amz-target": target,
    ], body: bytes)
    return try await client.execute(uri: "/", method: .post, headers: headers, body: ByteBuffer(bytes: bytes)) { response in
        let json: JSONValue = response.body.readableBytes == 0 ? .object([]) : try JSONValue.parse(Array(buffer: response.body))
        return (Int(response.status.code), json)
    }
}

/// A queue policy letting EventBridge send to the queue, as AWS requires of an SQS target.
func eventBridgeQueuePolicy(_ queueArn: String) -> String {
    #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"\#(queueArn)"}]}"#
}
