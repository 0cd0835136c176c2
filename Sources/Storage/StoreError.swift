/// A failure at the storage boundary, with driver errors translated.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case duplicate, notFound, conflict, limit, invalidInput, unavailable }
    private let code: Code
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A uniqueness rule was violated.
    public static func duplicate(_ message: String) -> StoreError { .init(.duplicate, message) }
    /// The row does not exist.
    public static func notFound(_ message: String) -> StoreError { .init(.notFound, message) }
    /// The change conflicts with existing rows (e.g. a user that still has keys).
    public static func conflict(_ message: String) -> StoreError { .init(.conflict, message) }
    /// A quota the change would exceed (five policy versions, ten attached policies).
    public static func limit(_ message: String) -> StoreError { .init(.limit, message) }
    /// A value the database cannot store (a character or size it refuses): the caller's input, not a failure.
    public static func invalidInput(_ message: String) -> StoreError { .init(.invalidInput, message) }
    /// The database could not be used.
    public static func unavailable(_ message: String) -> StoreError { .init(.unavailable, message) }

    public var isDuplicate: Bool { code == .duplicate }
    public var isNotFound: Bool { code == .notFound }
    public var isConflict: Bool { code == .conflict }
    public var isLimit: Bool { code == .limit }
    public var isInvalidInput: Bool { code == .invalidInput }

    public var description: String { message }
}
