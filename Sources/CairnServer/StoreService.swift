import ServiceLifecycle
import Storage

/// Keeps the store open while the group runs and closes it last on shutdown.
struct StoreService: Service {
    let store: SQLStore

    func run() async throws {
        try? await gracefulShutdown()
        await store.close()
    }
}
