import SQLKit

extension SQLRow {
    /// Decodes a row struct whose camelCase property names are the snake_case column names.
    ///
    /// Row structs hold what the columns store (epoch-millisecond Int64s, 0/1 integers, JSON text);
    /// each maps itself to its public record, so the records keep their Swift shapes.
    func decodeColumns<Columns: Decodable>(_ type: Columns.Type = Columns.self) throws -> Columns {
        try decode(model: type, keyDecodingStrategy: .convertFromSnakeCase)
    }
}
