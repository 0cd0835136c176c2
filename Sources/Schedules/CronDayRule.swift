/// Which days of a month a cron expression fires on: day-of-month or day-of-week, whichever is not `?`.
enum CronDayRule: Sendable, Equatable {
    /// Listed days of the month (`*`, `1,15`, `1-7`, `1/3`); days a month lacks never match.
    case daysOfMonth(CronValues)
    /// `L` in day-of-month: the last day of the month.
    case lastDayOfMonth
    /// `LW` in day-of-month: the last weekday (Monday–Friday) of the month.
    case lastWeekdayOfMonth
    /// `nW` in day-of-month: the weekday nearest day `n`, without leaving the month.
    case nearestWeekday(Int)
    /// Listed days of the week (`*`, `MON-FRI`, `2,4`), 1 = Sunday; `L` alone is 7 (Saturday).
    case daysOfWeek(CronValues)
    /// `nL` in day-of-week: the last weekday `n` of the month (`6L` = last Friday).
    case lastOfWeekday(Int)
    /// `d#n` in day-of-week: the `n`th weekday `d` of the month (`3#2` = second Tuesday).
    case nthWeekday(weekday: Int, ordinal: Int)

    /// The days of `month` in `year` this rule fires on, as bits 1…31.
    func days(year: Int, month: Int) -> CronValues {
        let length = CivilDate.daysInMonth(year: year, month: month)
        let firstWeekday = CivilDate.weekday(year: year, month: month, day: 1)
        // The weekday (1 = Sunday) of `day` in this month.
        func weekday(_ day: Int) -> Int { (firstWeekday - 1 + day - 1) % 7 + 1 }

        switch self {
        case .daysOfMonth(let values):
            return CronValues(bits: values.bits & CronValues(1...length).bits)
        case .lastDayOfMonth:
            return CronValues([length])
        case .lastWeekdayOfMonth:
            switch weekday(length) {
            case 7: return CronValues([length - 1])
            case 1: return CronValues([length - 2])
            default: return CronValues([length])
            }
        case .nearestWeekday(let day):
            guard day <= length else { return .empty }
            switch weekday(day) {
            case 7: return CronValues([day == 1 ? 3 : day - 1])  // Saturday: Friday before, or Monday the 3rd.
            case 1: return CronValues([day == length ? day - 2 : day + 1])  // Sunday: Monday after, or Friday.
            default: return CronValues([day])
            }
        case .daysOfWeek(let weekdays):
            return CronValues((1...length).filter { weekdays.contains(weekday($0)) })
        case .lastOfWeekday(let target):
            return CronValues([length - (weekday(length) - target + 7) % 7])
        case .nthWeekday(let target, let ordinal):
            let day = 1 + (target - firstWeekday + 7) % 7 + 7 * (ordinal - 1)
            return day <= length ? CronValues([day]) : .empty
        }
    }
}
