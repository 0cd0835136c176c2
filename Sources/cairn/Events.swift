import ArgumentParser

/// `cairn events`: view, search and download event history from a running server.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search and download CloudTrail event history from a running Cairn.",
        subcommands: [EventsLookup.self, EventsDownload.self])
}
