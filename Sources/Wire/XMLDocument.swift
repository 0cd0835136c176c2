import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small element tree for rest-xml request bodies (`Tagging`, `Delete`, `CreateJobRequest`, ...).
///
/// Parsed with Foundation's `XMLParser`; request shapes are read by element name, which a tree
/// makes simpler than Codable models for each body. Namespaces are dropped.
public struct XMLElement: Sendable {
    public var name: String
    public var text: String
    public var children: [XMLElement]

    /// The first child with this name.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// Every child with this name.
    public func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child with this name.
    public func text(_ name: String) -> String? { child(name)?.text }

    /// Parses a document; nil when it is not well-formed XML. Rejects DTDs (no entity expansion) wherever they
    /// stand: the body must be UTF-8 (no other declared encoding, no UTF-16), so a DTD is the literal bytes `<!DOCTYPE`
    /// or `<!ENTITY`, looked for in the whole body.
    public static func parse(_ bytes: [UInt8]) -> XMLElement? {
        guard String(validating: bytes, as: UTF8.self) != nil, !bytes.contains(0),
              !contains(bytes, "<!DOCTYPE"), !contains(bytes, "<!ENTITY"), declaresOnlyUTF8(bytes)
        else { return nil }
        let parser = XMLParser(data: Data(bytes))
        let delegate = TreeBuilder()
        parser.delegate = delegate
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), !delegate.tooDeep, let root = delegate.root else { return nil }
        return root
    }
}

extension XMLElement {
    static func contains(_ bytes: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard bytes.count >= n.count else { return false }
        var i = 0
        while i <= bytes.count - n.count {
            if bytes[i] == n[0], bytes[i..<(i + n.count)].elementsEqual(n) { return true }
            i += 1
        }
        return false
    }

    /// An XML declaration may name UTF-8 (or its subset US-ASCII) only.
    static func declaresOnlyUTF8(_ bytes: [UInt8]) -> Bool {
        var start = bytes[...]
        if start.starts(with: [0xEF, 0xBB, 0xBF]) { start = start.dropFirst(3) }
        guard start.starts(with: Array("<?xml".utf8)) else { return true }
        let end = start.firstIndex(of: UInt8(ascii: ">")) ?? start.endIndex
        let declaration = String(decoding: start[..<end], as: UTF8.self).lowercased()
        guard let r = declaration.range(of: "encoding") else { return true }
        let value = declaration[r.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "'" }
            .prefix { $0 != "\"" && $0 != "'" }
        return value == "utf-8" || value == "utf8" || value == "us-ascii"
    }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    /// No request shape nests deeper; a deeper document is refused, so building, reading and releasing the tree
    /// never recurses deeply.
    static let maxDepth = 64
    var stack: [XMLElement] = []
    var root: XMLElement?
    var tooDeep = false

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        guard stack.count < Self.maxDepth else {
            tooDeep = true
            parser.abortParsing()
            return
        }
        stack.append(XMLElement(name: elementName, text: "", children: []))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !stack.isEmpty { stack[stack.count - 1].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard let done = stack.popLast() else { return }
        if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
    }
}
