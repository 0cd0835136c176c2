import CairnCore
import Foundation
import Testing
@testable import AuditTrail
@testable import Storage

/// The audit store contract, run against every engine (SQLite and PostgreSQL).
struct AuditEventStoreTests {
    static func event(_ i: Int, time: Int64, name: String = "CreateUser", user: String = "alice", key: String = "AKIA1",
                      source: String = "iam.amazonaws.com", readOnly: Bool = false, management: Bool = true,
                      region: String = "us-east-1", resources: [(String, String)] = [], error: String? = nil) -> StoredAuditEvent {
        StoredAuditEvent(eventId: "e\(i)", accountId: "000000000000", region: region, eventTime: time, eventName: name,
                         eventSource: source, readOnly: readOnly, username: user, accessKeyId: key, management: management,
                         record: #"{"eventID":"e\#(i)"}"#, resources: resources.map { (type: $0.0, name: $0.1) }, errorCode: error)
    }

    static func query(_ attribute: AuditLookupAttribute? = nil, start: Int64? = nil, end: Int64? = nil, limit: Int = 50,
                      after: AuditCursor? = nil, region: String = "us-east-1") -> AuditLookupQuery {
        AuditLookupQuery(accountId: "000000000000", region: region, attribute: attribute, startTime: start, endTime: end,
                         limit: limit, after: after)
    }

    @Test(arguments: TestEngine.allCases)
    func lookupsFilterByEveryAttributeNewestFirst(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            try await events.append([
                Self.event(1, time: 1000, resources: [("AWS::IAM::User", "bob")]),
                Self.event(2, time: 2000, name: "GetUser", user: "bob", key: "AKIA2", readOnly: true),
                Self.event(3, time: 3000, name: "LookupEvents", source: "cloudtrail.amazonaws.com", readOnly: true),
                Self.event(4, time: 4000, name: "PutObject", management: false),
                Self.event(5, time: 5000, region: "eu-west-1"),
            ])
            func ids(_ q: AuditLookupQuery) async throws -> [String] { try await events.lookup(q).map(\.eventId) }
            #expect(try await ids(Self.query()) == ["e3", "e2", "e1"])  // data events and other regions excluded
            #expect(try await ids(Self.query(.eventId("e2"))) == ["e2"])
            #expect(try await ids(Self.query(.eventName("CreateUser"))) == ["e1"])
            #expect(try await ids(Self.query(.readOnly(true))) == ["e3", "e2"])
            #expect(try await ids(Self.query(.readOnly(false))) == ["e1"])
            #expect(try await ids(Self.query(.username("bob"))) == ["e2"])
            #expect(try await ids(Self.query(.accessKeyId("AKIA2"))) == ["e2"])
            #expect(try await ids(Self.query(.eventSource("cloudtrail.amazonaws.com"))) == ["e3"])
            #expect(try await ids(Self.query(.resourceType("AWS::IAM::User"))) == ["e1"])
            #expect(try await ids(Self.query(.resourceName("bob"))) == ["e1"])
            #expect(try await ids(Self.query(.resourceName("nobody"))) == [])
            #expect(try await ids(Self.query(start: 2000, end: 2999)) == ["e2"])
            #expect(try await ids(Self.query(region: "eu-west-1")) == ["e5"])
            let withResources = try await events.lookup(Self.query(.eventId("e1")))
            #expect(withResources.first?.resources.map(\.name) == ["bob"])
        }
    }

    /// Resources come back with their events exactly as written, whatever characters they hold (the engines hand
    /// them over as JSON), and an event without any has none.
    @Test(arguments: TestEngine.allCases)
    func lookupsReturnEachEventsResourcesVerbatim(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            let odd = "quote\" back\\slash tab\t nl\n bell\u{07} é 🪨 \u{2028}"
            try await events.append([
                Self.event(1, time: 1000, resources: [("AWS::S3::Bucket", "b1"), ("AWS::S3::Object", odd)]),
                Self.event(2, time: 2000),
            ])
            let rows = try await events.lookup(Self.query())
            #expect(rows.map(\.eventId) == ["e2", "e1"])
            #expect(rows[0].resources.isEmpty)
            #expect(Set(rows[1].resources.map { "\($0.type)|\($0.name)" }) == ["AWS::S3::Bucket|b1", "AWS::S3::Object|\(odd)"])
            let tail = try await events.lookup(AuditLookupQuery(accountId: "000000000000", region: "us-east-1", attribute: nil,
                                                                startTime: nil, endTime: nil, limit: 10, after: nil, sinceSeq: 0))
            #expect(tail.first?.resources.count == 2)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func pagingVisitsEveryEventOnceEvenWithEqualTimes(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            try await events.append((0..<25).map { Self.event($0, time: Int64(1000 + $0 / 5)) })
            var seen: [String] = []
            var cursor: AuditCursor?
            repeat {
                let page = try await events.lookup(Self.query(limit: 7, after: cursor))
                seen += page.map(\.eventId)
                cursor = page.count == 7 ? page.last?.cursor : nil
            } while cursor != nil
            #expect(seen.count == 25)
            #expect(Set(seen).count == 25)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func pruneRemovesOnlyOldRecords(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            try await events.append((0..<10).map { Self.event($0, time: Int64($0 * 1000), resources: [("T", "n\($0)")]) })
            #expect(try await events.prune(olderThan: 5000, batch: 3) == 3)
            #expect(try await events.prune(olderThan: 5000, batch: 100) == 2)
            #expect(try await events.prune(olderThan: 5000, batch: 100) == 0)
            #expect(try await events.count() == 5)
            #expect(try await events.lookup(Self.query(.resourceName("n1"))).isEmpty)
            #expect(try await events.lookup(Self.query(.resourceName("n7"))).count == 1)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func retentionServicePrunesByClock(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            let clock = TestClock(Date(timeIntervalSince1970: 100 * 86400))
            try await events.append([Self.event(1, time: 1000), Self.event(2, time: Int64(95 * 86400 * 1000))])
            let service = RetentionService(store: events, retentionDays: 90, clock: clock, logger: .init(label: "test"))
            #expect(try await service.pruneOnce() == 1)
            #expect(try await events.count() == 1)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func duplicateEventIdsAreRejectedWholeTransaction(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            try await events.append([Self.event(1, time: 1)])
            await #expect(throws: StoreError.self) { try await events.append([Self.event(2, time: 2), Self.event(1, time: 3)]) }
            #expect(try await events.count() == 1)  // no partial write
        }
    }

    @Test(arguments: TestEngine.allCases)
    func recorderCommitsBeforeReturningAndRedactsSecrets(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            let recorder = AuditRecorder(store: events, logger: .init(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await recorder.run() }
                try await withThrowingTaskGroup(of: Void.self) { calls in
                    for i in 0..<200 {
                        calls.addTask {
                            try await recorder.record(CloudTrailRecord(
                                eventID: "r\(i)", eventTime: Date(), eventSource: "iam.amazonaws.com", eventName: "CreateAccessKey",
                                awsRegion: "us-east-1", recipientAccountId: "000000000000",
                                principal: .root(accountId: "000000000000", accessKeyId: "AKIA"), sourceIPAddress: "127.0.0.1",
                                userAgent: "t", responseElements: ["accessKey": ["secretAccessKey": "topsecret"]], readOnly: false))
                            // Committed: visible at once.
                            #expect(try await events.lookup(Self.query(.eventId("r\(i)"))).count == 1)
                        }
                    }
                    try await calls.waitForAll()
                }
                group.cancelAll()
            }
            let row = try #require(try await events.lookup(Self.query(.eventId("r7"))).first)
            #expect(!row.record.contains("topsecret"))
            #expect(row.record.contains(SecretRedaction.placeholder))
        }
    }
}

extension AuditEventStoreTests {
    /// A call's deliveries (PutEvents' matched targets) are committed with its record: once `record` returns, both are
    /// stored, and a record that cannot be committed takes its deliveries with it.
    @Test(arguments: TestEngine.allCases)
    func aCallsDeliveriesCommitWithItsRecordOrNotAtAll(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            let outbox = SQLEventBusStore(store: store)
            let recorder = AuditRecorder(store: events, logger: .init(label: "test"))
            func record(_ id: String) -> CloudTrailRecord {
                CloudTrailRecord(
                    eventID: id, eventTime: Date(), eventSource: "events.amazonaws.com", eventName: "PutEvents",
                    awsRegion: "us-east-1", recipientAccountId: "000000000000",
                    principal: .root(accountId: "000000000000", accessKeyId: "AKIA"), sourceIPAddress: "127.0.0.1",
                    userAgent: "t", readOnly: false)
            }
            func delivery(_ event: String) -> EventDelivery {
                EventDelivery(accountId: "000000000000", region: "us-east-1", ruleArn: "arn:aws:events:us-east-1:000000000000:rule/r",
                              targetId: "t", target: "{}", payload: "{\"id\":\"\(event)\"}", eventId: event, eventTime: 1,
                              nextAttemptAt: 0)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await recorder.run() }
                try await recorder.record(record("call-1"), deliveries: [delivery("e1"), delivery("e2")])
                #expect(try await outbox.pendingCount() == 2)
                #expect(try await events.lookup(Self.query(.eventId("call-1"))).count == 1)
                // The same event id again: the record's insert fails, and its delivery is not stored either.
                await #expect(throws: (any Error).self) {
                    try await recorder.record(record("call-1"), deliveries: [delivery("e3")])
                }
                #expect(try await outbox.pendingCount() == 2)
                group.cancelAll()
            }
            let claimed = try await outbox.claimDue(DeliveryClaim(now: 10, leaseUntil: 1000, limit: 10, owner: "t"))
            #expect(Set(claimed.map(\.eventId)) == ["e1", "e2"])
        }
    }
}

struct ServiceEventTests {
    @Test(arguments: TestEngine.allCases)
    func serviceEventsHaveTheSeedShape(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            let recorder = AuditRecorder(store: events, logger: .init(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await recorder.run() }
                try await recorder.recordServiceEvent(
                    service: "s3.amazonaws.com", eventName: "JobStatusChanged", accountId: "123456789012", region: "us-west-2",
                    details: ["jobId": "j", "status": "Complete", "failureCodes": [], "statusChangeReason": []],
                    at: Date(timeIntervalSince1970: 1_580_927_130))
                group.cancelAll()
            }
            let row = try #require(try await events.lookup(AuditLookupQuery(
                accountId: "123456789012", region: "us-west-2", attribute: .eventName("JobStatusChanged"), startTime: nil,
                endTime: nil, limit: 5, after: nil)).first)
            let record = try JSONValue.parse(row.record)
            #expect(record["userIdentity"] == ["accountId": "123456789012", "invokedBy": "s3.amazonaws.com"])
            #expect(record["eventType"] == "AwsServiceEvent")
            #expect(record["eventTime"] == "2020-02-05T18:25:30Z")
            #expect(record["sourceIPAddress"] == "s3.amazonaws.com")
            #expect(record["userAgent"] == "s3.amazonaws.com")
            #expect(record["requestParameters"] == .null)
            #expect(record["responseElements"] == .null)
            #expect(record["serviceEventDetails"]?["status"] == "Complete")
            #expect(record["readOnly"] == false)
            #expect(row.username == nil)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func summariesCountPerMinuteAndSourceWithErrorsDenialsAndTopNames(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            let minute: Int64 = 29_000_000  // minutes since the epoch
            let at = { (m: Int64, s: Int64) in (minute + m) * 60_000 + s * 1000 }
            try await events.append([
                AuditEventStoreTests.event(1, time: at(0, 1)),
                AuditEventStoreTests.event(2, time: at(0, 59), name: "GetUser", user: "bob", error: "AccessDenied"),
                AuditEventStoreTests.event(3, time: at(0, 30), name: "CreateQueue", source: "sqs.amazonaws.com", error: "QueueAlreadyExists"),
                AuditEventStoreTests.event(4, time: at(1, 0), name: "CreateQueue", user: "bob", source: "sqs.amazonaws.com",
                           error: "AccessDeniedException"),
                AuditEventStoreTests.event(5, time: at(1, 5), name: "CreateQueue", user: "bob", source: "sqs.amazonaws.com"),
                AuditEventStoreTests.event(6, time: at(-1, 0)),  // before the window
                AuditEventStoreTests.event(7, time: at(1, 0), name: "PutObject", management: false),  // a data event
                AuditEventStoreTests.event(8, time: at(1, 0), region: "eu-west-1"),  // another region
            ])
            let s = try await events.summary(accountId: "000000000000", region: "us-east-1", since: at(0, 0), top: 2)
            #expect(s.minutes == [
                AuditSummary.Minute(minute: minute, eventSource: "iam.amazonaws.com", calls: 2, errors: 1, denials: 1),
                AuditSummary.Minute(minute: minute, eventSource: "sqs.amazonaws.com", calls: 1, errors: 1, denials: 0),
                AuditSummary.Minute(minute: minute + 1, eventSource: "sqs.amazonaws.com", calls: 2, errors: 1, denials: 1),
            ])
            #expect(s.topEventNames.map(\.name) == ["CreateQueue", "CreateUser"])
            #expect(s.topEventNames.map(\.count) == [3, 1])
            #expect(s.topUsers.map(\.name) == ["bob", "alice"])
            #expect(s.topUsers.map(\.count) == [3, 2])
        }
    }
}

extension AuditEventStoreTests {
    /// A PostgreSQL sequence's last drawn value.
    struct SequenceState: Decodable, Equatable {
        var lastValue: Int64
        var isCalled: Bool
    }

    /// PostgreSQL: an append holds the cross-node `audit-event-seq` lock before it draws a sequence number for its
    /// records, so records commit in sequence order across nodes (a trail writer that has read through N never sees
    /// a record below N commit later). While another session holds the lock, the append waits, has drawn nothing,
    /// and has stored nothing; once the lock is free it commits.
    @Test(.timeLimit(.minutes(1)))
    func postgresAppendsTakeTheSequenceLockBeforeDrawingASequenceNumber() async throws {
        try await withTestStore(.postgres) { store in
            let events = SQLAuditEventStore(store: store)
            let delivery = EventDelivery(accountId: "000000000000", region: "us-east-1", ruleArn: "arn:aws:events:us-east-1:000000000000:rule/r",
                                         targetId: "t", target: "{}", payload: "{}", eventId: "e", eventTime: 1, nextAttemptAt: 0)
            try await events.append([Self.event(1, time: 1)])
            @Sendable func sequence() async throws -> SequenceState {
                try await store.read { db in
                    try #require(try await db.raw("""
                        SELECT last_value, is_called FROM audit_event_seq_seq
                        """).first()).decode(model: SequenceState.self, keyDecodingStrategy: .convertFromSnakeCase)
                }
            }
            @Sendable func waitingForAdvisoryLocks() async throws -> Int {
                try await store.read { db in
                    try #require(try await db.raw("""
                        SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                        """).first()).decode(column: "n", as: Int.self)
                }
            }
            let before = try await sequence()
            let appended = try await store.exclusively("audit-event-seq") {
                let append = Task { try await events.append([Self.event(2, time: 2), Self.event(3, time: 3)], deliveries: [delivery]) }
                while try await waitingForAdvisoryLocks() == 0 { try await Task.sleep(for: .milliseconds(10)) }
                #expect(try await sequence() == before)
                #expect(try await events.count() == 1)
                #expect(try await SQLEventBusStore(store: store).pendingCount() == 0)
                return append
            }
            try await appended.value
            #expect(try await events.count() == 3)
            #expect(try await SQLEventBusStore(store: store).pendingCount() == 1)
            #expect(try await sequence().lastValue == before.lastValue + 2)
        }
    }
}

extension AuditEventStoreTests {
    /// An append too large for one PostgreSQL statement's bound values is still stored whole, in one transaction.
    @Test(arguments: TestEngine.allCases)
    func appendsTooLargeForOneStatementAreStoredWhole(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let events = SQLAuditEventStore(store: store)
            let deliveries = (0..<7_000).map { i in
                EventDelivery(accountId: "000000000000", region: "us-east-1", ruleArn: "arn:aws:events:us-east-1:000000000000:rule/r",
                              targetId: "t", target: "{}", payload: "{}", eventId: "e\(i)", eventTime: 1, nextAttemptAt: 0)
            }
            #expect(SQLAuditEventStore.postgresAppend([Self.event(1, time: 1)], deliveries) == nil)
            try await events.append([Self.event(1, time: 1)], deliveries: deliveries)
            #expect(try await events.count() == 1)
            #expect(try await SQLEventBusStore(store: store).pendingCount() == 7_000)
        }
    }
}
