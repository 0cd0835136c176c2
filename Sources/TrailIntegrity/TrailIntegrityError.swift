/// A failure while building, signing or compressing trail files.
///
/// The code is a struct around a private enum so codes can be added without breaking callers.
public struct TrailIntegrityError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidKey
            case signingFailed
            case compressionFailed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A private key could not be generated or restored.
        public static let invalidKey = Code(.invalidKey)
        /// RSA signing failed.
        public static let signingFailed = Code(.signingFailed)
        /// Gzip compression or decompression failed (including corrupt input).
        public static let compressionFailed = Code(.compressionFailed)

        /// The code's name, e.g. `compressionFailed`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// `code: message`, followed by the cause when there is one.
    public var description: String {
        if let cause { return "\(code): \(message) (\(cause))" }
        return "\(code): \(message)"
    }
}
