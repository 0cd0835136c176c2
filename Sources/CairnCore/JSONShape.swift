/// The JSON type a request member must have, as a botocore model names it. Members Cairn keeps as sent and
/// echoes back later (target parameters, compute resources) are checked against one of these, so a list where a
/// structure belongs fails the call that sent it instead of every later read.
public indirect enum JSONShape: Sendable {
    case string
    case integer
    case boolean
    case list(JSONShape)
    case map(JSONShape)
    /// A structure: the members it knows; members it does not name are not checked.
    case structure([String: JSONShape])

    /// Where `value` first differs from the shape (`path.member[2]`), with the type expected there; nil when it fits.
    public func mismatch(in value: JSONValue, at path: String) -> String? {
        if value.isNull { return nil }
        switch self {
        case .string:
            return value.stringValue == nil ? "\(path) must be a string" : nil
        case .integer:
            return value.intValue == nil ? "\(path) must be an integer" : nil
        case .boolean:
            return value.boolValue == nil ? "\(path) must be a boolean" : nil
        case .list(let element):
            guard let items = value.arrayValue else { return "\(path) must be a list" }
            for (i, item) in items.enumerated() {
                if let found = element.mismatch(in: item, at: "\(path)[\(i)]") { return found }
            }
            return nil
        case .map(let element):
            guard let members = value.objectValue else { return "\(path) must be a map" }
            for (key, item) in members {
                if let found = element.mismatch(in: item, at: "\(path).\(key)") { return found }
            }
            return nil
        case .structure(let known):
            guard let members = value.objectValue else { return "\(path) must be a structure" }
            for (key, item) in members {
                if let shape = known[key], let found = shape.mismatch(in: item, at: "\(path).\(key)") { return found }
            }
            return nil
        }
    }
}
