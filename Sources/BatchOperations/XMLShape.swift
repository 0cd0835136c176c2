import CairnCore
import Wire

/// rest-xml shapes as JSON values: an element with children is an object, one whose children are all `member`
/// is a list, a leaf is a string. S3 Control writes lists as `<member>` items both ways.
enum XMLShape {
    static func json(_ element: XMLElement) -> JSONValue {
        if element.children.isEmpty { return .string(element.text) }
        if element.children.allSatisfy({ $0.name == "member" }) { return .array(element.children.map(json)) }
        return .object(element.children.map { ($0.name, json($0)) })
    }

    static func write(_ name: String, _ value: JSONValue, to w: inout XMLWriter) {
        switch value {
        case .null: return
        case .object(let members):
            w.open(name)
            for (k, v) in members { write(k, v, to: &w) }
            w.close(name)
        case .array(let items):
            w.open(name)
            for item in items { write("member", item, to: &w) }
            w.close(name)
        case .string(let s): w.element(name, s)
        case .bool(let b): w.element(name, b ? "true" : "false")
        case .int(let i): w.element(name, String(i))
        case .double(let d): w.element(name, String(d))
        case .timestamp(let date): w.element(name, Timestamp.iso8601(date))
        }
    }
}
