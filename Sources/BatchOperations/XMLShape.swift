import CairnCore
import Wire

/// rest-xml request shapes as JSON values: an element with children is an object, one whose children are all
/// `member` is a list, a leaf is a string. (Responses are written back with `XMLWriter.value`.)
enum XMLShape {
    static func json(_ element: XMLElement) -> JSONValue {
        if element.children.isEmpty { return .string(element.text) }
        if element.children.allSatisfy({ $0.name == "member" }) { return .array(element.children.map(json)) }
        return .object(element.children.map { ($0.name, json($0)) })
    }
}
