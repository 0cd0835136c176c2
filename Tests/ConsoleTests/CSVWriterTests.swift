import Testing
@testable import Console

@Suite struct CSVWriterTests {
    @Test func plainCellsAreWrittenAsTheyAre() {
        #expect(CSVWriter.line(["a", "b c", "2026-12-03T04:00:00Z"]) == "a,b c,2026-12-03T04:00:00Z\r\n")
    }

    @Test func cellsWithCommasQuotesOrLineBreaksAreQuoted() {
        #expect(CSVWriter.cell("a,b") == "\"a,b\"")
        #expect(CSVWriter.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.cell("two\nlines") == "\"two\nlines\"")
        #expect(CSVWriter.cell(" padded ") == "\" padded \"")
    }

    @Test(arguments: ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
    func cellsThatWouldStartAFormulaAreNeutralised(_ value: String) {
        let cell = CSVWriter.cell(value)
        let unquoted = cell.hasPrefix("\"") ? String(cell.dropFirst().dropLast()) : cell
        #expect(unquoted == "'" + value)
    }

    @Test func aFormulaWithACommaIsNeutralisedAndQuoted() {
        #expect(CSVWriter.cell("=HYPERLINK(\"x\",\"y\")") == "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"")
    }

    @Test func formulaCharactersLaterInACellAreLeftAlone() {
        #expect(CSVWriter.cell("a=b") == "a=b")
        #expect(CSVWriter.cell("") == "")
    }
}
