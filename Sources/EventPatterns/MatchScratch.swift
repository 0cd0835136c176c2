/// A reusable holder of ``MatchBuffers``.
///
/// `@unchecked Sendable`: an instance is only ever used by one matching call at a time;
/// ``ScratchPool`` hands instances out and takes them back under its `Mutex`.
final class MatchScratch: @unchecked Sendable {
    var buffers = MatchBuffers()
}

/// Working memory for matching one event, reused from event to event so that matching
/// allocates nothing once the buffers have grown to size. Matching moves it out of its
/// ``MatchScratch`` into a local variable, so that the hot loops work on a value.
struct MatchBuffers {
    /// Per condition: hit in this event (`stamp`), hit by a value outside arrays
    /// (`freeStamp`), and the first of its hits by values inside arrays (`head`).
    struct ConditionState {
        var stamp: UInt32 = 0
        var freeStamp: UInt32 = 0
        var head: Int32 = -1
    }

    var generation: UInt32 = 0
    var conditionStates: [ConditionState] = []
    var fieldStamp: [UInt32] = []
    var slotStamp: [UInt32] = []
    /// Sub-rules whose anchoring condition was hit.
    var candidates: [Int32] = []
    /// Hits by values inside arrays, as linked lists per condition.
    var hitValue: [Int32] = []
    var hitNext: [Int32] = []
    /// The array memberships (array id, index pairs) of values inside arrays.
    var chainArena: [UInt32] = []
    var valueStart: [Int32] = []
    var valueEnd: [Int32] = []
    /// The memberships of the value being read.
    var chain: [UInt32] = []
    var currentValue: Int32 = -1
    var nextArrayID: UInt32 = 0
    var excluded: [Int32] = []
    var folded: [UInt8] = []
    var keyBuffer: [UInt8] = []
    var stringBuffer: [UInt8] = []
    var skipStack: [Bool] = []
    var results: [Int32] = []
    /// Work arrays of the array-consistency search.
    var searchConditions: [Int32] = []
    var searchCursor: [Int32] = []

    /// Prepares for one event against `automaton`.
    mutating func begin(_ rules: FrozenRules) {
        if conditionStates.count < rules.conditions.count {
            conditionStates.append(contentsOf: repeatElement(ConditionState(), count: rules.conditions.count - conditionStates.count))
        }
        Self.grow(&fieldStamp, to: rules.fields.count)
        Self.grow(&slotStamp, to: rules.slotCount)
        generation &+= 1
        if generation == 0 {
            for index in conditionStates.indices { conditionStates[index] = ConditionState() }
            for index in fieldStamp.indices { fieldStamp[index] = 0 }
            for index in slotStamp.indices { slotStamp[index] = 0 }
            generation = 1
        }
        candidates.removeAll(keepingCapacity: true)
        hitValue.removeAll(keepingCapacity: true)
        hitNext.removeAll(keepingCapacity: true)
        chainArena.removeAll(keepingCapacity: true)
        valueStart.removeAll(keepingCapacity: true)
        valueEnd.removeAll(keepingCapacity: true)
        chain.removeAll(keepingCapacity: true)
        results.removeAll(keepingCapacity: true)
        nextArrayID = 0
    }

    private static func grow(_ array: inout [UInt32], to count: Int) {
        if array.count < count {
            array.append(contentsOf: repeatElement(0, count: count - array.count))
        }
    }
}
