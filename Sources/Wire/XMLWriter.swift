import CairnCore

/// A small XML writer for query and rest-xml responses.
///
/// Written by hand: responses are built from `JSONValue` shapes by fixed AWS rules (lists as `<member>`),
/// which a Codable-based encoder would have to be bent to follow.
public struct XMLWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(declaration: Bool = false) {
        if declaration { bytes.append(contentsOf: #"<?xml version="1.0" encoding="UTF-8"?>"#.utf8) }
    }

    public mutating func open(_ name: String, xmlns: String? = nil) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(contentsOf: name.utf8)
        if let xmlns {
            bytes.append(contentsOf: #" xmlns=""#.utf8)
            appendEscaped(xmlns)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: ">"))
    }

    public mutating func close(_ name: String) {
        bytes.append(contentsOf: "</".utf8)
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: ">"))
    }

    /// `<name>text</name>`.
    public mutating func element(_ name: String, _ text: String) {
        open(name)
        appendEscaped(text)
        close(name)
    }

    public mutating func appendEscaped(_ text: String) {
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "<"): bytes.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): bytes.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "&"): bytes.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "\""): bytes.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): bytes.append(contentsOf: "&apos;".utf8)
            case 0x0D: bytes.append(contentsOf: "&#xD;".utf8)
            // Control characters XML 1.0 forbids even as references: a request may carry them (and an answer echo
            // them), so they become U+FFFD and every answer stays XML a client can parse.
            case 0x00...0x08, 0x0B, 0x0C, 0x0E...0x1F: bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
            default: bytes.append(b)
            }
        }
    }

    /// One member as AWS's XML protocols write it (query and rest-xml): objects nest, lists are `<member>` items,
    /// timestamps are ISO-8601. A list named `entry` holds map entries, written one `<entry>` each.
    public mutating func value(_ name: String, _ value: JSONValue) {
        switch value {
        case .null: return
        case .object(let members):
            open(name)
            for (k, v) in members { self.value(k, v) }
            close(name)
        case .array(let items) where name == "entry":
            for item in items { self.value("entry", item) }
        case .array(let items):
            open(name)
            for item in items { self.value("member", item) }
            close(name)
        case .string(let s): element(name, s)
        case .bool(let b): element(name, b ? "true" : "false")
        case .int(let i): element(name, String(i))
        case .double(let d): element(name, String(d))
        case .timestamp(let date): element(name, Timestamp.iso8601(date))
        }
    }
}
