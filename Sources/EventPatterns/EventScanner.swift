/// Reads an event's JSON bytes once, validating them, descending only into the fields
/// some rule names and checking their leaf values against the rules; everything else is
/// skipped without being decoded.
struct EventScanner {
    /// The deepest nesting of objects and arrays an event may have.
    static let maxDepth = 256

    let bytes: UnsafeBufferPointer<UInt8>
    /// The compiled rules, as flat buffers their ``CompiledRules`` owns.
    let rules: UnsafePointer<FrozenRules>
    var program: FrozenRules {
        @inline(__always) _read { yield rules.pointee }
    }
    /// The working memory, owned by a ``MatchScratch``.
    let scratch: UnsafeMutablePointer<MatchBuffers>
    /// How much of the parts no rule names is checked.
    let validation: EventValidation
    /// Whether what only dead sub-rules name is skipped (see ``FrozenPruning``): asked
    /// for, and some node can be left dead.
    let prunes: Bool
    /// Whether this event has left some node dead.
    var leftDead = false
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, program: UnsafePointer<FrozenRules>, scratch: UnsafeMutablePointer<MatchBuffers>,
         validation: EventValidation = .full, prunes: Bool = true) {
        self.bytes = bytes
        self.rules = program
        self.scratch = scratch
        self.validation = validation
        self.prunes = prunes && !program.pointee.pruning.isEmpty
    }

    func failure(_ reason: String) -> EventPatternError {
        EventPatternError.event("\(reason) (at byte \(position))")
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < bytes.count {
            let byte = bytes[position]
            guard JSONSkipper.isWhitespace(byte) else { return }
            position += 1
        }
    }

    @inline(__always)
    mutating func peek() throws(EventPatternError) -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw failure("Unexpected end-of-input") }
        return bytes[position]
    }

    /// Reads the whole event, which must be one JSON object.
    mutating func scan() throws(EventPatternError) {
        guard try peek() == UInt8(ascii: "{") else { throw failure("The event must be a JSON object") }
        try scanObject(node: 0, depth: 1)
        skipWhitespace()
        if position < bytes.count { throw failure("Unexpected content after the event object") }
    }

    private mutating func scanValue(node: Int, depth: Int) throws(EventPatternError) {
        guard node >= 0, !(leftDead && isPruned(node)) else { return try skipValue() }
        let byte = try peek()
        switch byte {
        case UInt8(ascii: "{"):
            if !program.hasChildren(node) { return try skipValue() }
            guard depth < Self.maxDepth else { throw failure("Event nesting is deeper than \(Self.maxDepth) levels") }
            try scanObject(node: node, depth: depth + 1)
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw failure("Event nesting is deeper than \(Self.maxDepth) levels") }
            try scanArray(node: node, depth: depth + 1)
        default:
            let field = Int(program.nodeField[node])
            guard field >= 0 else { return try skipValue() }
            try scanLeaf(field: field)
        }
    }

    private mutating func scanObject(node: Int, depth: Int) throws(EventPatternError) {
        position += 1
        if try peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw failure("Expected a double-quote to start a field name") }
            let keyStart = position + 1
            var hasEscapes = false
            let end = JSONStringDecoder.end(bytes, openingQuote: position, hasEscapes: &hasEscapes)
            if end < 0 { try stringFailure() }
            position = end
            let child = lookup(node: node, keyStart: keyStart, keyEnd: end - 1, hasEscapes: hasEscapes)
            if position < bytes.count && bytes[position] == UInt8(ascii: ":") {
                position += 1
            } else {
                guard try peek() == UInt8(ascii: ":") else { throw failure("Expected a colon to separate field name and value") }
                position += 1
            }
            try scanValue(node: child, depth: depth)
            let next = try peek()
            position += 1
            if next == UInt8(ascii: ",") { continue }
            if next == UInt8(ascii: "}") { return }
            position -= 1
            throw failure("Expected a comma to separate object entries")
        }
    }

    private mutating func lookup(node: Int, keyStart: Int, keyEnd: Int, hasEscapes: Bool) -> Int {
        guard program.hasChildren(node) else { return -1 }
        if hasEscapes {
            scratch.pointee.keyBuffer.removeAll(keepingCapacity: true)
            JSONStringDecoder.unescape(bytes, from: keyStart, to: keyEnd, into: &scratch.pointee.keyBuffer)
            let key = scratch.pointee.keyBuffer
            return key.withUnsafeBufferPointer { key in
                guard let base = key.baseAddress else { return program.child(of: node, bytes.baseAddress!, length: 0, available: 0) }
                return program.child(of: node, base, length: key.count, available: key.count)
            }
        }
        guard let base = bytes.baseAddress else { return -1 }
        return program.child(of: node, base + keyStart, length: keyEnd - keyStart, available: bytes.count - keyStart)
    }

    private mutating func scanArray(node: Int, depth: Int) throws(EventPatternError) {
        position += 1
        scratch.pointee.chain.append(scratch.pointee.nextArrayID)
        scratch.pointee.chain.append(0)
        scratch.pointee.nextArrayID &+= 1
        defer { scratch.pointee.chain.removeLast(2) }
        if try peek() == UInt8(ascii: "]") {
            position += 1
            return
        }
        var index: UInt32 = 0
        while true {
            scratch.pointee.chain[scratch.pointee.chain.count - 1] = index
            try scanValue(node: node, depth: depth)
            let next = try peek()
            position += 1
            if next == UInt8(ascii: ",") {
                index &+= 1
                continue
            }
            if next == UInt8(ascii: "]") { return }
            position -= 1
            throw failure("Expected a comma to separate array entries")
        }
    }

    private mutating func scanLeaf(field: Int) throws(EventPatternError) {
        let start = position
        let byte = bytes[position]
        scratch.pointee.currentValue = -1
        let firstValue = scratch.pointee.fieldStamp[field] != scratch.pointee.generation
        if leftDead && !firstValue { noteRepeat(of: field) }
        scratch.pointee.fieldStamp[field] = scratch.pointee.generation
        defer {
            if prunes && firstValue && program.pruning.mayLeaveDead(field) && scratch.pointee.chain.isEmpty { prune(field: field) }
        }
        switch byte {
        case UInt8(ascii: "\""):
            var hasEscapes = false
            let end = JSONStringDecoder.end(bytes, openingQuote: position, hasEscapes: &hasEscapes)
            if end < 0 { try stringFailure() }
            position = end
            if hasEscapes {
                scratch.pointee.stringBuffer.removeAll(keepingCapacity: true)
                JSONStringDecoder.unescape(bytes, from: start + 1, to: end - 1, into: &scratch.pointee.stringBuffer)
                let copy = scratch.pointee.stringBuffer
                copy.withUnsafeBufferPointer { checkString($0, field: field) }
            } else {
                checkString(UnsafeBufferPointer(rebasing: bytes[(start + 1)..<(end - 1)]), field: field)
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let end = JSONNumberScanner.end(bytes, from: position)
            if end < 0 { try numberFailure() }
            position = end
            checkNumber(UnsafeBufferPointer(rebasing: bytes[start..<end]), field: field)
        default:
            try skipLiteral()
            checkLiteral(UnsafeBufferPointer(rebasing: bytes[start..<position]), field: field)
        }
    }

    private mutating func skipLiteral() throws(EventPatternError) {
        let length = literalLength()
        guard length > 0 else { throw failure("Unrecognized token: was expecting a JSON value") }
        position += length
    }

    /// The length of the `true`, `false` or `null` at the current position, or 0.
    func literalLength() -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let end = JSONSkipper.literalEnd(base, count: bytes.count, from: position)
        return end < 0 ? 0 : end - position
    }
}
