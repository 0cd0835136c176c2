import ArgumentParser
import CairnServer

/// The `cairn` command.
@main
struct Cairn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "AWS CloudTrail, EventBridge and batch-job services on one local server.",
        version: CairnVersion.string,
        subcommands: [Serve.self, Events.self, BatchCommand.self, Migrate.self])
}
