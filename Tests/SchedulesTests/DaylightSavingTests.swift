import Foundation
import Schedules
import Testing

/// America/New_York in 2026: clocks spring forward on March 8 (02:00 EST → 03:00 EDT, 07:00 UTC) and fall back
/// on November 1 (02:00 EDT → 01:00 EST, 06:00 UTC).
@Suite("Cron in America/New_York across the 2026 daylight-saving changes")
struct DaylightSavingTests {
    @Test("A daily 08:00 stays at 08:00 local, so its UTC time moves by an hour")
    func localTimeIsKept() throws {
        let cron = try schedule("cron(0 8 * * ? *)")
        #expect(fires(cron, after: utc(2026, 3, 7), in: Zone.newYork, count: 2) == [
            utc(2026, 3, 7, 13), utc(2026, 3, 8, 12),
        ])
        #expect(fires(cron, after: utc(2026, 10, 31), in: Zone.newYork, count: 2) == [
            utc(2026, 10, 31, 12), utc(2026, 11, 1, 13),
        ])
    }

    @Test("Spring forward: 02:30 does not exist on March 8, so that day's firing is skipped, not moved")
    func springForwardSkips() throws {
        let cron = try schedule("cron(30 2 * * ? *)")
        #expect(fires(cron, after: utc(2026, 3, 7), in: Zone.newYork, count: 2) == [
            utc(2026, 3, 7, 7, 30),  // 02:30 EST
            utc(2026, 3, 9, 6, 30),  // 02:30 EDT; nothing on March 8
        ])
    }

    @Test("Spring forward: every 15 minutes goes from 01:45 EST straight to 03:00 EDT")
    func springForwardQuarterHours() throws {
        let cron = try schedule("cron(0/15 * * * ? *)")
        #expect(cron.nextFire(after: utc(2026, 3, 8, 6, 45), in: Zone.newYork) == utc(2026, 3, 8, 7, 0))
    }

    @Test("Fall back: 01:30 occurs twice on November 1 and fires once, at the first (EDT)")
    func fallBackFiresOnce() throws {
        let cron = try schedule("cron(30 1 * * ? *)")
        #expect(fires(cron, after: utc(2026, 10, 31, 12), in: Zone.newYork, count: 2) == [
            utc(2026, 11, 1, 5, 30),  // 01:30 EDT
            utc(2026, 11, 2, 6, 30),  // 01:30 EST the next day; not 06:30 UTC on November 1
        ])
    }

    @Test("Fall back: every 15 minutes does not repeat the hour from 01:00 to 02:00")
    func fallBackQuarterHours() throws {
        let cron = try schedule("cron(0/15 * * * ? *)")
        // From 01:45 EDT the next firing is 02:00 EST, an hour and a quarter later.
        #expect(cron.nextFire(after: utc(2026, 11, 1, 5, 45), in: Zone.newYork) == utc(2026, 11, 1, 7, 0))
        // Asked during the repeated hour (01:20 EST), the repeated 01:30 and 01:45 have already fired.
        #expect(cron.nextFire(after: utc(2026, 11, 1, 6, 20), in: Zone.newYork) == utc(2026, 11, 1, 7, 0))
    }

    @Test("at: a skipped wall time never fires; a repeated one fires at its first occurrence")
    func atAcrossTransitions() throws {
        let skipped = try schedule("at(2026-03-08T02:30:00)")
        #expect(skipped.nextFire(after: utc(2026, 1, 1), in: Zone.newYork) == nil)
        let repeated = try schedule("at(2026-11-01T01:30:00)")
        #expect(repeated.nextFire(after: utc(2026, 1, 1), in: Zone.newYork) == utc(2026, 11, 1, 5, 30))
    }

    @Test("The same cron in UTC ignores New York's clock changes")
    func utcHasNoTransitions() throws {
        let cron = try schedule("cron(30 2 * * ? *)")
        #expect(cron.nextFire(after: utc(2026, 3, 8), in: Zone.utc) == utc(2026, 3, 8, 2, 30))
    }
}
