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

    /// Parses a document; nil when it is not well-formed XML. Rejects DTDs (no entity expansion).
    public static func parse(_ bytes: [UInt8]) -> XMLElement? {
        if bytes.count > 0, String(decoding: bytes.prefix(4096), as: UTF8.self).contains("<!DOCTYPE") { return nil }
        let parser = XMLParser(data: Data(bytes))
        let delegate = TreeBuilder()
        parser.delegate = delegate
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), let root = delegate.root else { return nil }
        return root
    }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLElement] = []
    var root: XMLElement?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
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
