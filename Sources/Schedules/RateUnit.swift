/// The unit of a `rate(value unit)` expression, spelled singular as in `rate(1 minute)`.
public enum RateUnit: String, Sendable, CaseIterable {
    /// `minute` / `minutes`.
    case minute
    /// `hour` / `hours`.
    case hour
    /// `day` / `days`.
    case day

    /// The unit's length in seconds; a day is always 24 hours, as EventBridge Scheduler documents for rates.
    public var seconds: Int {
        switch self {
        case .minute: return 60
        case .hour: return 3600
        case .day: return 86_400
        }
    }

    /// The unit as written after `value`: singular for 1 (`1 hour`), plural otherwise (`5 hours`).
    public func spelled(for value: Int) -> String {
        value == 1 ? rawValue : rawValue + "s"
    }
}
