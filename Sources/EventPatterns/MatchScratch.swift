/// A reusable holder of ``MatchBuffers``, at a fixed address so that matching works on
/// them in place.
///
/// `@unchecked Sendable`: an instance is only ever used by one matching call at a time;
/// ``ScratchPool`` hands instances out and takes them back under its `Mutex`, or through
/// its atomic slot (acquiring exchange, releasing compare-exchange).
final class MatchScratch: @unchecked Sendable {
    let buffers: UnsafeMutablePointer<MatchBuffers>

    init() {
        buffers = .allocate(capacity: 1)
        buffers.initialize(to: MatchBuffers())
    }

    deinit {
        buffers.pointee.deallocate()
        buffers.deinitialize(count: 1)
        buffers.deallocate()
    }
}

/// Working memory for matching one event, reused from event to event so that matching
/// allocates nothing once the buffers have grown to size.
struct MatchBuffers {
    /// Per condition: hit in this event (`stamp`), hit by a value outside arrays
    /// (`freeStamp`), and the first of its hits by values inside arrays (`head`).
    struct ConditionState {
        var stamp: UInt32 = 0
        var freeStamp: UInt32 = 0
        var head: Int32 = -1
    }

    var generation: UInt32 = 0
    var conditionStates = ScratchBuffer<ConditionState>()
    var fieldStamp = ScratchBuffer<UInt32>()
    var slotStamp = ScratchBuffer<UInt32>()
    /// Sub-rules whose anchoring condition was hit.
    var candidates = ScratchBuffer<Int32>()
    /// Hits by values inside arrays, as linked lists per condition.
    var hitValue = ScratchBuffer<Int32>()
    var hitNext = ScratchBuffer<Int32>()
    /// The array memberships (array id, index pairs) of values inside arrays.
    var chainArena = ScratchBuffer<UInt32>()
    var valueStart = ScratchBuffer<Int32>()
    var valueEnd = ScratchBuffer<Int32>()
    /// The memberships of the value being read.
    var chain = ScratchBuffer<UInt32>()
    var currentValue: Int32 = -1
    var nextArrayID: UInt32 = 0
    var excluded = ScratchBuffer<Int32>()
    var folded: [UInt8] = []
    var foldedASCII = ScratchBuffer<UInt8>()
    var keyBuffer: [UInt8] = []
    var stringBuffer: [UInt8] = []
    var skipStack = ScratchBuffer<Bool>()
    var results = ScratchBuffer<Int32>()
    /// Work arrays of the array-consistency search.
    var searchConditions = ScratchBuffer<Int32>()
    var searchCursor = ScratchBuffer<Int32>()
    var consistencyItems = ScratchBuffer<ArrayConsistency.Item>()
    /// Pruning (see ``FrozenPruning``): the hits that keep nodes alive, the nodes kept and
    /// left dead in this event (by stamp), the fields whose first value left nodes dead,
    /// and whether one of those fields came again, so the event must be read again
    /// without pruning.
    var keepingHits = ScratchBuffer<Int32>()
    var keptNodeStamp = ScratchBuffer<UInt32>()
    var deadNodeStamp = ScratchBuffer<UInt32>()
    var pruneStamp = ScratchBuffer<UInt32>()
    var rereadWithoutPruning = false
    /// Per numeric field, when its stamp is this generation: an open interval where no
    /// numeric condition a number could still change can be met (see
    /// ``EventScanner/checkNumber(_:field:)``). Grown on first use.
    var numberGaps = ScratchBuffer<NumberGap>()

    struct NumberGap {
        var stamp: UInt32 = 0
        var low = 0.0
        var high = 0.0
    }

    /// Prepares for one event against `rules`.
    mutating func begin(_ rules: FrozenRules) {
        conditionStates.resize(to: rules.conditions.count, filling: ConditionState())
        fieldStamp.resize(to: rules.fields.count, filling: 0)
        slotStamp.resize(to: rules.slotCount, filling: 0)
        if !rules.pruning.isEmpty {
            keptNodeStamp.resize(to: rules.nodeField.count, filling: 0)
            deadNodeStamp.resize(to: rules.nodeField.count, filling: 0)
            pruneStamp.resize(to: rules.fields.count, filling: 0)
        }
        generation &+= 1
        if generation == 0 {
            for index in conditionStates.indices { conditionStates[index] = ConditionState() }
            for stamps in [fieldStamp, slotStamp, keptNodeStamp, deadNodeStamp, pruneStamp] {
                for index in stamps.indices { stamps[index] = 0 }
            }
            for index in numberGaps.indices { numberGaps[index].stamp = 0 }
            generation = 1
        }
        rereadWithoutPruning = false
        keepingHits.removeAll()
        candidates.removeAll()
        hitValue.removeAll()
        hitNext.removeAll()
        chainArena.removeAll()
        valueStart.removeAll()
        valueEnd.removeAll()
        chain.removeAll()
        results.removeAll()
        excluded.removeAll()
        skipStack.removeAll()
        nextArrayID = 0
    }

    /// Frees the buffers (called once, by the owner).
    func deallocate() {
        conditionStates.deallocate()
        fieldStamp.deallocate()
        slotStamp.deallocate()
        candidates.deallocate()
        hitValue.deallocate()
        hitNext.deallocate()
        chainArena.deallocate()
        valueStart.deallocate()
        valueEnd.deallocate()
        chain.deallocate()
        excluded.deallocate()
        skipStack.deallocate()
        results.deallocate()
        searchConditions.deallocate()
        foldedASCII.deallocate()
        consistencyItems.deallocate()
        searchCursor.deallocate()
        keepingHits.deallocate()
        keptNodeStamp.deallocate()
        deadNodeStamp.deallocate()
        pruneStamp.deallocate()
        numberGaps.deallocate()
    }
}
