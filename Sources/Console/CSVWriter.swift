/// Writes CSV (RFC 4180) for spreadsheets: cells quoted where needed, and cells a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) prefixed with `'`, so a downloaded event
/// history cannot carry a formula into someone's spreadsheet (OWASP, "CSV injection").
public enum CSVWriter {
    static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    /// One line: the cells, comma-separated, ending in CRLF.
    public static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// One cell, neutralised and quoted as needed.
    public static func cell(_ value: String) -> String {
        var text = value
        if let first = text.first, formulaStarts.contains(first) { text = "'" + text }
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || text.first == " " || text.last == " "
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
