import Foundation

/// The wall clock, injectable so lifecycles and expiry can be tested without waiting.
public protocol WallClock: Sendable {
    func now() -> Date
}

extension WallClock {
    /// Now in whole milliseconds since the Unix epoch, rounded down: how the stores keep times.
    public func nowMs() -> Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// The system's clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

extension Duration {
    /// Whole milliseconds (rounded toward zero), for times kept as epoch milliseconds.
    public var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
