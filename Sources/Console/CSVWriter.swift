/// Writes CSV (RFC 4180) for spreadsheets: cells quoted where needed, and cells a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) prefixed with `'`, so a downloaded event
/// history cannot carry a formula into someone's spreadsheet (OWASP, "CSV injection").
public enum CSVWriter {
    /// One line: the cells, comma-separated, ending in CRLF.
    public static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// One cell, neutralised and quoted as needed. Reads UTF-8 bytes: every character that matters is ASCII.
    public static func cell(_ value: String) -> String {
        let bytes = value.utf8
        guard let first = bytes.first else { return value }
        let formula = first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
            || first == UInt8(ascii: "@") || first == 0x09 || first == 0x0D
        let needsQuotes = bytes.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            || (!formula && first == UInt8(ascii: " ")) || bytes.last == UInt8(ascii: " ")
        let text = formula ? "'" + value : value
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
