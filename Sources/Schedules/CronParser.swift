/// Reads the fields of a cron expression, failing with a reason that names the field and the value.
struct CronParser {
    /// The whole expression, for errors.
    let expression: String

    /// Parses the six fields inside `cron(...)`.
    func parse(_ fields: String) throws(ScheduleError) -> CronExpression {
        let parts = fields.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.uppercased() }
        guard parts.count == 6 else {
            throw fail(
                .fieldCount,
                "cron takes 6 fields (minutes hours day-of-month month day-of-week year), not \(parts.count)")
        }
        let minutes = try list(parts[0], .minutes)
        let hours = try list(parts[1], .hours)
        let months = try list(parts[3], .month)
        let years = try list(parts[5], .year)
        let days = try dayRule(dayOfMonth: parts[2], dayOfWeek: parts[4])
        return CronExpression(
            fields: fields, minutes: CronValues(minutes), hours: CronValues(hours), days: days,
            months: CronValues(months), years: years)
    }

    /// The day rule from whichever of day-of-month and day-of-week is not `?`.
    func dayRule(dayOfMonth: String, dayOfWeek: String) throws(ScheduleError) -> CronDayRule {
        switch (dayOfMonth == "?", dayOfWeek == "?") {
        case (true, true):
            throw fail(.dayFields, "day-of-month and day-of-week can't both be ?")
        case (false, false):
            throw fail(.dayFields, "one of day-of-month and day-of-week must be ?")
        case (false, true):
            return try dayOfMonthRule(dayOfMonth)
        case (true, false):
            return try dayOfWeekRule(dayOfWeek)
        }
    }

    /// Day-of-month: `L`, `LW`, `nW`, or a list.
    func dayOfMonthRule(_ text: String) throws(ScheduleError) -> CronDayRule {
        if text == "L" { return .lastDayOfMonth }
        if text == "LW" { return .lastWeekdayOfMonth }
        if text.hasSuffix("W"), let day = Self.number(text.dropLast()) {
            guard CronField.dayOfMonth.range.contains(day) else {
                throw fail(.outOfRange, "day-of-month \(day) in \(text) is outside 1-31")
            }
            return .nearestWeekday(day)
        }
        return try .daysOfMonth(CronValues(list(text, .dayOfMonth)))
    }

    /// Day-of-week: `L` (Saturday), `nL`, `d#n`, or a list.
    func dayOfWeekRule(_ text: String) throws(ScheduleError) -> CronDayRule {
        if text == "L" { return .daysOfWeek(CronValues([7])) }
        let special = text.contains("#") || text.hasSuffix("L")
        if special, text.contains(where: { ",-/*".contains($0) }) {
            throw fail(.unsupportedCharacter, "\(text): L and # take a single weekday, not a list or range")
        }
        if let hash = text.firstIndex(of: "#") {
            let weekday = try value(text[..<hash], .dayOfWeek)
            guard let ordinal = Self.number(text[text.index(after: hash)...]) else {
                throw fail(.malformed, "\(text): # must be followed by a week of the month, 1-5")
            }
            guard (1...5).contains(ordinal) else {
                throw fail(.outOfRange, "\(text) asks for week \(ordinal) of the month; # takes 1-5")
            }
            return .nthWeekday(weekday: weekday, ordinal: ordinal)
        }
        if text.hasSuffix("L") {
            return try .lastOfWeekday(value(text.dropLast(), .dayOfWeek))
        }
        return try .daysOfWeek(CronValues(list(text, .dayOfWeek)))
    }

    /// The values of a comma-separated list of `*`, values, ranges and increments, ascending and distinct.
    func list(_ text: String, _ field: CronField) throws(ScheduleError) -> [Int] {
        var allowed = Set<Int>()
        for element in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !element.isEmpty else { throw fail(.malformed, "empty value in the \(field.name) field") }
            try allowed.formUnion(expand(element, field))
        }
        return allowed.sorted()
    }

    /// One list element: `*`, `v`, `a-b`, each optionally followed by `/step`.
    func expand(_ element: Substring, _ field: CronField) throws(ScheduleError) -> [Int] {
        let pieces = element.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 2 else { throw fail(.malformed, "\(element) has more than one /") }
        var step: Int?
        if pieces.count == 2 {
            guard let increment = Self.number(pieces[1]) else {
                throw fail(.malformed, "\(element): the increment after / must be a whole number")
            }
            guard (1...field.range.count).contains(increment) else {
                throw fail(.outOfRange, "\(element): increment \(increment) is outside 1-\(field.range.count)")
            }
            step = increment
        }
        let base = pieces[0]
        let first: Int
        let last: Int
        if base == "*" {
            first = field.range.lowerBound
            last = field.range.upperBound
        } else if let dash = base.firstIndex(of: "-") {
            first = try value(base[..<dash], field)
            last = try value(base[base.index(after: dash)...], field)
        } else {
            first = try value(base, field)
            last = step == nil ? first : field.range.upperBound
        }
        return try steps(from: first, through: last, step: step ?? 1, field)
    }

    /// `first`, `first + step`, … up to `last`, wrapping past the field's end when `last < first`.
    func steps(
        from first: Int, through last: Int, step: Int, _ field: CronField
    ) throws(ScheduleError) -> [Int] {
        if first <= last { return Array(stride(from: first, through: last, by: step)) }
        guard field.wraps else { throw fail(.outOfRange, "\(field.name) range \(first)-\(last) runs backwards") }
        let span = field.range.count
        let low = field.range.lowerBound
        return stride(from: 0, through: last - first + span, by: step).map { low + (first - low + $0) % span }
    }

    /// A single value: a number in the field's range or one of its names.
    func value(_ text: Substring, _ field: CronField) throws(ScheduleError) -> Int {
        if let number = Self.number(text) {
            guard field.range.contains(number) else {
                let range = "\(field.range.lowerBound)-\(field.range.upperBound)"
                throw fail(.outOfRange, "\(field.name) \(text) is outside \(range)")
            }
            return number
        }
        if let index = field.names.firstIndex(of: String(text)) { return field.range.lowerBound + index }
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || "?LW#".contains($0)) }) {
            throw fail(.unsupportedCharacter, "\(text) is not allowed in the \(field.name) field")
        }
        throw fail(.malformed, "'\(text)' is not a \(field.name) value")
    }

    /// A run of ASCII digits as a number; runs longer than nine digits read as `Int.max` (out of any range).
    static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return text.count > 9 ? Int.max : Int(text)
    }

    /// An error about this expression.
    func fail(_ code: ScheduleError.Code, _ reason: String) -> ScheduleError {
        ScheduleError(code, reason, expression: expression)
    }
}
