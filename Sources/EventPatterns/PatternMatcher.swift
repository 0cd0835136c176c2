import Synchronization

/// The rule ids of one published version of a ``PatternMatcher``'s rules, by slot:
/// `ids` holds the ids (of the matcher's `RuleID` type), `live[slot]` says which are set.
///
/// `@unchecked Sendable`: immutable after `init`.
class RuleSlots: @unchecked Sendable {
    let ids: UnsafeMutableRawPointer
    let live: UnsafeMutablePointer<Bool>
    let count: Int

    init(ids: UnsafeMutableRawPointer, live: UnsafeMutablePointer<Bool>, count: Int) {
        self.ids = ids
        self.live = live
        self.count = count
    }
}

/// Matches events against many event patterns at once.
///
/// All rules are compiled into one automaton over the event's fields, so the cost of
/// matching an event grows with the event, not with the number of rules. Rules can be
/// added and removed at any time, also while other threads are matching: each match runs
/// against a consistent version of the rules.
public final class PatternMatcher<RuleID: Hashable & Sendable>: Sendable {
    /// The rule ids by slot, published with the rules they belong to: in a buffer the
    /// non-generic ``RuleSlots`` points to, so that reading them while matching needs no
    /// generic type lookups.
    private final class SlotTable: RuleSlots, @unchecked Sendable {
        init(_ ids: [RuleID?]) {
            let storage = UnsafeMutablePointer<RuleID>.allocate(capacity: max(ids.count, 1))
            let live = UnsafeMutablePointer<Bool>.allocate(capacity: max(ids.count, 1))
            for (slot, id) in ids.enumerated() {
                live[slot] = id != nil
                if let id { (storage + slot).initialize(to: id) }
            }
            super.init(ids: UnsafeMutableRawPointer(storage), live: live, count: ids.count)
        }

        deinit {
            let storage = ids.assumingMemoryBound(to: RuleID.self)
            for slot in 0..<count where live[slot] { (storage + slot).deinitialize(count: 1) }
            storage.deallocate()
            live.deallocate()
        }
    }

    private struct State {
        var automaton = Automaton()
        var slots: [RuleID?] = []
        var slotByID: [RuleID: Int32] = [:]
        var freeSlots: [Int32] = []
    }

    private let state = Mutex(State())
    /// The version of the rules matching calls use: built on the first match after a
    /// change and dropped by the next change (so that a burst of changes is copied into
    /// matching form once). A lock of its own, of a non-generic type, keeps the matching
    /// path short.
    private let published = Mutex<CompiledRules?>(nil)
    private let pool = ScratchPool()

    /// Creates a matcher with no rules.
    public init() {}

    /// Adds a rule; an existing rule with the same id is replaced.
    public func add(rule: EventPattern, id: RuleID) {
        state.withLock { state in
            published.withLock { $0 = nil }
            if let slot = state.slotByID[id] {
                state.automaton.remove(slot: slot)
                state.automaton.add(rule.subRules, slot: slot)
                return
            }
            let slot: Int32
            if let free = state.freeSlots.popLast() {
                slot = free
                state.slots[Int(slot)] = id
            } else {
                state.slots.append(id)
                slot = Int32(state.slots.count - 1)
            }
            state.slotByID[id] = slot
            state.automaton.add(rule.subRules, slot: slot)
        }
    }

    /// Removes the rule with this id, if there is one.
    public func remove(id: RuleID) {
        state.withLock { state in
            guard let slot = state.slotByID.removeValue(forKey: id) else { return }
            published.withLock { $0 = nil }
            state.automaton.remove(slot: slot)
            state.slots[Int(slot)] = nil
            state.freeSlots.append(slot)
        }
    }

    /// The number of rules.
    public var ruleCount: Int {
        state.withLock { $0.slotByID.count }
    }

    /// The structures the rules occupy (see ``Automaton/footprint``) and the slots
    /// allocated for them, free ones included: for tests that removing rules gives
    /// memory back.
    var footprint: (live: Int, allocated: Int) {
        state.withLock { state in
            let automaton = state.automaton
            return (automaton.footprint, automaton.pathNodes.count + automaton.fields.count + automaton.conditions.count
                        + automaton.subRules.count + state.slots.count)
        }
    }

    private func currentRules() -> CompiledRules {
        if let rules = published.withLock({ $0 }) { return rules }
        return state.withLock { state in
            let rules = CompiledRules(state.automaton, slots: SlotTable(state.slots))
            published.withLock { $0 = rules }
            return rules
        }
    }

    /// Calls `body` with the id of every rule the event matches, each once, without
    /// allocating in the steady state.
    public func forEachMatch(eventJSON: UnsafeRawBufferPointer, validation: EventValidation = .full,
                             _ body: (RuleID) -> Void) throws(EventPatternError) {
        let rules = currentRules()
        guard let payload = rules.payload else { return }
        let slots = unsafeDowncast(payload, to: RuleSlots.self)
        let ids = slots.ids.assumingMemoryBound(to: RuleID.self)
        let bytes = eventJSON.assumingMemoryBound(to: UInt8.self)
        let scratch = pool.acquire()
        defer { pool.release(scratch) }
        try rules.match(bytes, scratch: scratch, validation: validation)
        for slot in scratch.buffers.pointee.results where slots.live[Int(slot)] {
            body(ids[Int(slot)])
        }
    }

    /// The ids of the rules the event matches.
    public func matches(eventJSON: UnsafeRawBufferPointer, validation: EventValidation = .full) throws(EventPatternError) -> [RuleID] {
        var result: [RuleID] = []
        try forEachMatch(eventJSON: eventJSON, validation: validation) { result.append($0) }
        return result
    }

    /// The ids of the rules the event (UTF-8 JSON bytes) matches.
    public func matches(eventJSON: some Collection<UInt8>, validation: EventValidation = .full) throws(EventPatternError) -> [RuleID] {
        let outcome: Result<[RuleID], EventPatternError>? = eventJSON.withContiguousStorageIfAvailable { buffer in
            Result { () throws(EventPatternError) -> [RuleID] in try matches(eventJSON: UnsafeRawBufferPointer(buffer), validation: validation) }
        }
        if let outcome { return try outcome.get() }
        let copy = Array(eventJSON)
        let result: Result<[RuleID], EventPatternError> = copy.withUnsafeBytes { buffer in
            Result { () throws(EventPatternError) -> [RuleID] in try matches(eventJSON: buffer, validation: validation) }
        }
        return try result.get()
    }

    /// The ids of the rules the event (JSON text) matches.
    public func matches(eventJSON: String, validation: EventValidation = .full) throws(EventPatternError) -> [RuleID] {
        var text = eventJSON
        let result: Result<[RuleID], EventPatternError> = text.withUTF8 { buffer in
            Result { () throws(EventPatternError) -> [RuleID] in
                try matches(eventJSON: UnsafeRawBufferPointer(buffer), validation: validation)
            }
        }
        return try result.get()
    }
}
