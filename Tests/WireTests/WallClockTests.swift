import CairnCore
import Foundation
import Testing

/// Every service reads "now" in milliseconds through one `WallClock.nowMs()`, rounded down.
struct WallClockTests {
    struct Fixed: WallClock {
        var at: Date
        func now() -> Date { at }
    }

    @Test func nowInMillisecondsRoundsDown() {
        #expect(Fixed(at: Date(timeIntervalSince1970: 1_764_892_800.999_6)).nowMs() == 1_764_892_800_999)
        #expect(Fixed(at: Date(timeIntervalSince1970: 1_764_892_800.000_4)).nowMs() == 1_764_892_800_000)
        #expect(Fixed(at: Date(timeIntervalSince1970: 0)).nowMs() == 0)
    }
}
