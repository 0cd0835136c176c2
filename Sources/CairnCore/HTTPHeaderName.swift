/// What may stand in an HTTP header Cairn sends: RFC 9110 token names and printable values (no CR, LF or NUL), so
/// user-supplied headers can neither trap the HTTP library nor split a request.
public enum HTTPHeaderName {
    /// RFC 9110 `token`: `!#$%&'*+-.^_`|~`, digits and ASCII letters; at least one.
    public static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    /// Visible ASCII, spaces and tabs.
    public static func isFieldValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 <= 0x7E) }
    }
}
