import CairnCore
import Foundation
import Testing
import Wire
@testable import Console

@Suite struct EventFilterTests {
    let now = Date(timeIntervalSince1970: 1_796_000_000)

    func filter(_ query: String) throws -> EventFilter { try EventFilter(query: QueryForm(encoded: query), now: now) }

    @Test func noFiltersAskForTheNewestPage() throws {
        let f = try filter("")
        #expect(f.lookupInput(nextToken: nil) == ["MaxResults": 50])
    }

    @Test func severalAttributesBecomeSeveralLookupAttributes() throws {
        let f = try filter("Username=alice&EventName=CreateQueue&EventSource=&ReadOnly=false")
        #expect(f.lookupInput(nextToken: nil) == [
            "LookupAttributes": [
                ["AttributeKey": "EventName", "AttributeValue": "CreateQueue"],
                ["AttributeKey": "Username", "AttributeValue": "alice"],
                ["AttributeKey": "ReadOnly", "AttributeValue": "false"],
            ],
            "MaxResults": 50,
        ])
    }

    @Test func timesAreReadAsISO8601WithOrWithoutAZone() throws {
        let f = try filter("StartTime=2026-12-03T04:00:00Z&EndTime=2026-12-03T05:30")
        #expect(f.startTime == Timestamp.parseISO8601("2026-12-03T04:00:00Z"))
        #expect(f.endTime == Timestamp.parseISO8601("2026-12-03T05:30:00Z"))
        #expect(f.lookupInput(nextToken: nil)["StartTime"] == .double(f.startTime!.timeIntervalSince1970))
    }

    @Test func aRangePresetBecomesAnAbsoluteStartTime() throws {
        let f = try filter("Range=day&EventName=X")
        #expect(f.startTime == Date(timeIntervalSince1970: 1_796_000_000 - 86_400))
        #expect(f.endTime == nil)
        // Links made from the page keep the window fixed, so the next page's token still fits.
        #expect(f.queryString() == "EventName=X&StartTime=2026-11-29T00%3A53%3A20Z")
    }

    @Test(arguments: [
        ("ReadOnly=maybe", "ReadOnly must be true or false."),
        ("StartTime=yesterday", "StartTime is not a time in ISO 8601 form, such as 2026-12-03T09:30:00Z."),
        ("StartTime=2026-12-03T05:00:00Z&EndTime=2026-12-03T04:00:00Z", "StartTime must not be after EndTime."),
        ("Range=month", "Range must be hour, day or week."),
        ("PageSize=0", "PageSize must be between 1 and 1000."),
        ("PageSize=1001", "PageSize must be between 1 and 1000."),
    ])
    func invalidFiltersAreRefusedWithAMessage(_ query: String, _ message: String) {
        #expect(throws: EventFilter.Invalid(message: message)) { try filter(query) }
    }

    @Test func pagesCarryTheTokensThatLedToThem() throws {
        let f = try filter("EventName=A%2BB&PageSize=5&Tokens=dDE%3D,dDI%3D")
        #expect(f.tokens == ["dDE=", "dDI="])
        #expect(f.pageSize == 5)
        #expect(f.lookupInput(nextToken: f.tokens.last)["NextToken"] == "dDI=")
        #expect(f.lookupInput(nextToken: nil)["MaxResults"] == 5)
        // Values are percent-encoded in links; the previous page drops the last token.
        #expect(f.queryString(tokens: Array(f.tokens.dropLast())) == "EventName=A%2BB&PageSize=5&Tokens=dDE%3D")
        #expect(f.queryString(tokens: []) == "EventName=A%2BB&PageSize=5")
    }

    @Test func queryStringsReadBackToTheSameFilter() throws {
        let f = try filter("ResourceName=a%20b%26c&AccessKeyId=AKIA1&StartTime=2026-12-01T00:00:00Z&Tokens=x")
        #expect(try filter(f.queryString()) == f)
    }
}
