import Foundation
import Schedules
import Testing

@Suite("Next firing of cron expressions in UTC")
struct CronNextFireTests {
    @Test("Every 15 minutes fires on the next quarter hour, strictly after the instant asked about")
    func everyFifteenMinutes() throws {
        let cron = try schedule("cron(0/15 * * * ? *)")
        #expect(cron.nextFire(after: utc(2026, 1, 1, 10, 7, 30), in: Zone.utc) == utc(2026, 1, 1, 10, 15))
        #expect(cron.nextFire(after: utc(2026, 1, 1, 10, 15), in: Zone.utc) == utc(2026, 1, 1, 10, 30))
        #expect(cron.nextFire(after: utc(2026, 1, 1, 23, 50), in: Zone.utc) == utc(2026, 1, 2, 0, 0))
        let star = try schedule("cron(*/15 * * * ? *)")
        #expect(star.nextFire(after: utc(2026, 1, 1, 10, 7, 30), in: Zone.utc) == utc(2026, 1, 1, 10, 15))
    }

    @Test("A stepped range stops at its end and starts again the next hour")
    func steppedRange() throws {
        let cron = try schedule("cron(5-40/5 * * * ? *)")
        #expect(fires(cron, after: utc(2026, 1, 1, 10, 30), count: 3) == [
            utc(2026, 1, 1, 10, 35), utc(2026, 1, 1, 10, 40), utc(2026, 1, 1, 11, 5),
        ])
    }

    @Test("Weekdays at 08:00 skip the weekend")
    func weekdaysAtEight() throws {
        let cron = try schedule("cron(0 8 ? * MON-FRI *)")
        // 2026-01-09 is a Friday.
        #expect(cron.nextFire(after: utc(2026, 1, 9, 8, 0), in: Zone.utc) == utc(2026, 1, 12, 8, 0))
        #expect(cron.nextFire(after: utc(2026, 1, 12, 7, 59), in: Zone.utc) == utc(2026, 1, 12, 8, 0))
    }

    @Test("A weekday range that runs past Saturday wraps to Sunday and Monday")
    func wrappingWeekdayRange() throws {
        let cron = try schedule("cron(0 12 ? * FRI-MON *)")
        // 2026-01-12 is a Monday; Tuesday to Thursday are skipped.
        #expect(fires(cron, after: utc(2026, 1, 12, 12), count: 4) == [
            utc(2026, 1, 16, 12), utc(2026, 1, 17, 12), utc(2026, 1, 18, 12), utc(2026, 1, 19, 12),
        ])
    }

    @Test("L in day-of-month is the month's last day, February 29 in a leap year")
    func lastDayOfMonth() throws {
        let cron = try schedule("cron(0 0 L * ? *)")
        #expect(fires(cron, after: utc(2026, 1, 31), count: 3) == [
            utc(2026, 2, 28), utc(2026, 3, 31), utc(2026, 4, 30),
        ])
        #expect(cron.nextFire(after: utc(2028, 2, 1), in: Zone.utc) == utc(2028, 2, 29))
    }

    @Test("6L is the last Friday of the month")
    func lastFriday() throws {
        let cron = try schedule("cron(0 12 ? * 6L *)")
        #expect(fires(cron, after: utc(2026, 1, 1), count: 2) == [utc(2026, 1, 30, 12), utc(2026, 2, 27, 12)])
    }

    @Test("3#2 is the second Tuesday of the month")
    func secondTuesday() throws {
        let cron = try schedule("cron(0 12 ? * 3#2 *)")
        #expect(fires(cron, after: utc(2026, 1, 1), count: 2) == [utc(2026, 1, 13, 12), utc(2026, 2, 10, 12)])
    }

    @Test("A fifth weekday fires only in months that have one")
    func fifthWeekdaySkipsShortMonths() throws {
        // Fifth Friday: January 2026 has one (the 30th); February to April do not, May has the 29th.
        let cron = try schedule("cron(0 12 ? * FRI#5 *)")
        #expect(fires(cron, after: utc(2026, 1, 1), count: 2) == [utc(2026, 1, 30, 12), utc(2026, 5, 29, 12)])
    }

    @Test("15W on a Saturday moves back to Friday the 14th")
    func nearestWeekdayFromSaturday() throws {
        let cron = try schedule("cron(0 9 15W 8 ? *)")  // 2026-08-15 is a Saturday.
        #expect(cron.nextFire(after: utc(2026, 8, 1), in: Zone.utc) == utc(2026, 8, 14, 9))
    }

    @Test("15W on a Sunday moves forward to Monday the 16th")
    func nearestWeekdayFromSunday() throws {
        let cron = try schedule("cron(0 9 15W 2 ? *)")  // 2026-02-15 is a Sunday.
        #expect(cron.nextFire(after: utc(2026, 2, 1), in: Zone.utc) == utc(2026, 2, 16, 9))
    }

    @Test("1W on a Saturday stays in the month: Monday the 3rd, not the Friday before")
    func nearestWeekdayAtMonthStart() throws {
        let cron = try schedule("cron(0 9 1W 8 ? *)")  // 2026-08-01 is a Saturday.
        #expect(cron.nextFire(after: utc(2026, 7, 31), in: Zone.utc) == utc(2026, 8, 3, 9))
    }

    @Test("31W on a Sunday stays in the month: Friday the 29th")
    func nearestWeekdayAtMonthEnd() throws {
        let cron = try schedule("cron(0 9 31W 5 ? *)")  // 2026-05-31 is a Sunday.
        #expect(cron.nextFire(after: utc(2026, 5, 1), in: Zone.utc) == utc(2026, 5, 29, 9))
    }

    @Test("LW is the last weekday of the month")
    func lastWeekday() throws {
        let cron = try schedule("cron(0 9 LW * ? *)")
        // January 31 2026 is a Saturday, April 30 a Thursday, May 31 a Sunday.
        #expect(cron.nextFire(after: utc(2026, 1, 2), in: Zone.utc) == utc(2026, 1, 30, 9))
        #expect(cron.nextFire(after: utc(2026, 4, 1), in: Zone.utc) == utc(2026, 4, 30, 9))
        #expect(cron.nextFire(after: utc(2026, 5, 1), in: Zone.utc) == utc(2026, 5, 29, 9))
    }

    @Test("February 29 from a non-leap year waits for the next leap year")
    func februaryTwentyNinth() throws {
        let cron = try schedule("cron(0 0 29 2 ? *)")
        #expect(cron.nextFire(after: utc(2026, 3, 1), in: Zone.utc) == utc(2028, 2, 29))
    }

    @Test("A day no month has never fires")
    func impossibleDayNeverFires() throws {
        let cron = try schedule("cron(0 0 31 2 ? *)")
        #expect(cron.nextFire(after: utc(2026, 3, 1), in: Zone.utc) == nil)
    }

    @Test("The last Friday of 2199 is found directly, and nothing fires after 2199")
    func farFutureYear() throws {
        let cron = try schedule("cron(0 0 ? * 6L 2199)")
        #expect(cron.nextFire(after: utc(2026, 3, 1), in: Zone.utc) == utc(2199, 1, 25))
        #expect(cron.nextFire(after: utc(2199, 12, 1), in: Zone.utc) == utc(2199, 12, 27))
        #expect(cron.nextFire(after: utc(2199, 12, 27), in: Zone.utc) == nil)
    }

    @Test("A year range that has ended yields no further firing")
    func endedYearRange() throws {
        let cron = try schedule("cron(0 0 1 1 ? 2026-2027)")
        #expect(cron.nextFire(after: utc(2026, 6, 1), in: Zone.utc) == utc(2027, 1, 1))
        #expect(cron.nextFire(after: utc(2027, 1, 1), in: Zone.utc) == nil)
    }

    @Test("A start instant holds a cron back until it, including a firing exactly at the start")
    func cronWaitsForStart() throws {
        let cron = try schedule("cron(0 * * * ? *)")
        let after = utc(2026, 1, 1)
        #expect(cron.nextFire(after: after, in: Zone.utc, start: utc(2026, 1, 1, 5)) == utc(2026, 1, 1, 5))
        #expect(cron.nextFire(after: after, in: Zone.utc, start: utc(2026, 1, 1, 5, 0, 30)) == utc(2026, 1, 1, 6))
        #expect(cron.nextFire(after: utc(2026, 1, 1, 7), in: Zone.utc, start: utc(2026, 1, 1, 5)) == utc(2026, 1, 1, 8))
    }
}

@Suite("Next firing of rate and at expressions")
struct RateAndAtNextFireTests {
    @Test("A rate fires at its start, then every interval from the start")
    func rateCountsFromStart() throws {
        let rate = try schedule("rate(5 minutes)")
        let start = utc(2026, 1, 1, 0, 0, 10)
        #expect(rate.nextFire(after: utc(2025, 12, 31), in: Zone.utc, start: start) == start)
        #expect(rate.nextFire(after: start, in: Zone.utc, start: start) == utc(2026, 1, 1, 0, 5, 10))
        #expect(rate.nextFire(after: utc(2026, 1, 1, 0, 12), in: Zone.utc, start: start) == utc(2026, 1, 1, 0, 15, 10))
        let onAFiring = utc(2026, 1, 1, 0, 15, 10)
        #expect(rate.nextFire(after: onAFiring, in: Zone.utc, start: start) == utc(2026, 1, 1, 0, 20, 10))
    }

    @Test("A rate without a start fires one interval after the instant asked about")
    func rateWithoutStart() throws {
        let rate = try schedule("rate(2 hours)")
        #expect(rate.nextFire(after: utc(2026, 1, 1, 9, 30), in: Zone.utc) == utc(2026, 1, 1, 11, 30))
    }

    @Test("A daily rate is 24 hours even across a daylight-saving change")
    func dailyRateIgnoresDaylightSaving() throws {
        let rate = try schedule("rate(1 day)")
        let start = utc(2026, 3, 7, 12)  // 07:00 EST; a day later it is 08:00 EDT.
        #expect(rate.nextFire(after: start, in: Zone.newYork, start: start) == utc(2026, 3, 8, 12))
    }

    @Test("An at in the future fires once, at its wall time in the schedule's zone")
    func atInTheFuture() throws {
        let at = try schedule("at(2026-07-04T09:00:00)")
        #expect(fires(at, after: utc(2026, 1, 1), count: 2) == [utc(2026, 7, 4, 9)])
        #expect(at.nextFire(after: utc(2026, 1, 1), in: Zone.newYork) == utc(2026, 7, 4, 13))
    }

    @Test("An at in the past never fires, whatever the start")
    func atInThePast() throws {
        let at = try schedule("at(2026-07-04T09:00:00)")
        #expect(at.nextFire(after: utc(2026, 7, 4, 9), in: Zone.utc) == nil)
        #expect(at.nextFire(after: utc(2027, 1, 1), in: Zone.utc, start: utc(2020, 1, 1)) == nil)
    }
}
