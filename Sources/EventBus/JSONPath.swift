import CairnCore

/// The JSONPath subset EventBridge uses in InputPath and InputPathsMap: `$`, `.name`, `['name']`, `[n]`.
struct JSONPath: Sendable, Equatable {
    enum Step: Sendable, Equatable { case key(String), index(Int) }
    let steps: [Step]
    let text: String

    init?(_ text: String) {
        guard text.hasPrefix("$") else { return nil }
        self.text = text
        var steps: [Step] = []
        var rest = Substring(text.dropFirst())
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let end = rest.firstIndex(where: { $0 == "." || $0 == "[" }) ?? rest.endIndex
                let name = rest[..<end]
                guard !name.isEmpty else { return nil }
                steps.append(.key(String(name)))
                rest = rest[end...]
            } else if rest.hasPrefix("['") || rest.hasPrefix("[\"") {
                let quote = rest[rest.index(after: rest.startIndex)]
                rest = rest.dropFirst(2)
                guard let close = rest.firstIndex(of: quote), rest[close...].dropFirst().hasPrefix("]") else { return nil }
                steps.append(.key(String(rest[..<close])))
                rest = rest[close...].dropFirst(2)
            } else if rest.hasPrefix("[") {
                rest = rest.dropFirst()
                guard let close = rest.firstIndex(of: "]"), let n = Int(rest[..<close]), n >= 0 else { return nil }
                steps.append(.index(n))
                rest = rest[rest.index(after: close)...]
            } else {
                return nil
            }
        }
        self.steps = steps
    }

    /// The value at the path, or nil when it is absent.
    func evaluate(_ value: JSONValue) -> JSONValue? {
        var current = value
        for step in steps {
            switch step {
            case .key(let k):
                guard let next = current[k] else { return nil }
                current = next
            case .index(let i):
                guard case .array(let items) = current, i < items.count else { return nil }
                current = items[i]
            }
        }
        return current
    }
}
