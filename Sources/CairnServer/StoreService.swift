import ServiceLifecycle
import Storage

/// Keeps the store open while the group runs, runs its housekeeping (`SQLStore.checkpoint`) once a second in the
/// background, and closes it last on shutdown.
struct StoreService: Service {
    let store: SQLStore

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                try? await store.checkpoint()
            }
        }
        try? await store.checkpoint()
        await store.close()
    }
}
