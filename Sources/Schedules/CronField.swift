/// One of the six cron fields: its name for messages, its range and, for months and weekdays, its names.
struct CronField: Sendable {
    /// The field's name as the docs spell it.
    let name: String
    /// The values the field allows.
    let range: ClosedRange<Int>
    /// Names for the values in order from `range.lowerBound` (`JAN`…, `SUN`…), upper-case.
    var names: [String] = []
    /// Whether a range may run past the field's end and wrap (`FRI-MON`); years do not wrap.
    var wraps = true

    static let minutes = CronField(name: "minutes", range: 0...59)
    static let hours = CronField(name: "hours", range: 0...23)
    static let dayOfMonth = CronField(name: "day-of-month", range: 1...31)
    static let month = CronField(
        name: "month", range: 1...12,
        names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
    static let dayOfWeek = CronField(
        name: "day-of-week", range: 1...7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
    static let year = CronField(name: "year", range: 1970...2199, wraps: false)
}
