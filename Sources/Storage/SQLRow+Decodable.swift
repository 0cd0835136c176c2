import SQLKit

extension SQLRow {
    /// Decodes a row struct whose camelCase property names are the snake_case column names.
    ///
    /// Row structs hold what the columns store (epoch-millisecond Int64s, 0/1 integers, JSON text);
    /// each maps itself to its public record, so the records keep their Swift shapes.
    func decodeColumns<Columns: Decodable>(_ type: Columns.Type = Columns.self) throws -> Columns {
        try decode(model: type, with: snakeCaseColumns)
    }

    /// A nullable column's value, for rows decoded column by column.
    func decodeOptional<T: Decodable>(column: String, as type: T.Type) throws -> T? {
        try decodeNil(column: column) ? nil : decode(column: column, as: type)
    }
}

/// Maps each property name to its column as SQLKit's `convertFromSnakeCase` does for our names (ASCII camelCase,
/// `eventId` → `event_id`), over UTF-8 bytes: SQLKit's own conversion classifies every Character with Unicode
/// properties, which was the largest single cost of a 50-event LookupEvents.
private let snakeCaseColumns = SQLRowDecoder(keyDecodingStrategy: .custom { path in
    ColumnKey(stringValue: snakeCase(path.last?.stringValue ?? ""))
})

func snakeCase(_ name: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(name.utf8.count + 4)
    for byte in name.utf8 {
        if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") {
            if !out.isEmpty { out.append(UInt8(ascii: "_")) }
            out.append(byte + 32)
        } else {
            out.append(byte)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

private struct ColumnKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
