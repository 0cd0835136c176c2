/// A pending delivery of one event to one target (the transactional outbox).
public struct EventDelivery: Sendable, Equatable {
    public var deliveryId: Int64
    public var accountId: String
    public var region: String
    public var ruleArn: String
    public var targetId: String
    /// The target definition at match time (JSON).
    public var target: String
    /// What is sent: the event, or its transformed input.
    public var payload: String
    public var eventId: String
    /// Milliseconds; the event's age is measured from here.
    public var eventTime: Int64
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var lastError: String?

    public init(deliveryId: Int64 = 0, accountId: String, region: String, ruleArn: String, targetId: String, target: String,
                payload: String, eventId: String, eventTime: Int64, attempts: Int = 0, nextAttemptAt: Int64,
                lastError: String? = nil) {
        self.deliveryId = deliveryId
        self.accountId = accountId
        self.region = region
        self.ruleArn = ruleArn
        self.targetId = targetId
        self.target = target
        self.payload = payload
        self.eventId = eventId
        self.eventTime = eventTime
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}
