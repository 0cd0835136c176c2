import ArgumentParser
import CairnServer
import Foundation
import Logging

/// `cairn migrate`: brings a PostgreSQL database's schema up to this version's and exits.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply this version's schema migrations to a PostgreSQL database and exit (nodes migrate when they start too; this does it ahead of them). A SQLite data directory migrates when `cairn serve` opens it.")

    @Option(name: .customLong("database-url"),
            help: "postgres://USER:PASSWORD@HOST:PORT/DATABASE (CAIRN_DATABASE_URL).")
    var databaseURL: String?

    func run() async throws {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["CAIRN_DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("--database-url (or CAIRN_DATABASE_URL) names the PostgreSQL database to migrate.")
        }
        var logger = Logger(label: "cairn")
        logger.logLevel = .notice
        try await migrateDatabase(url: url, logger: logger)
        print("the database's schema is this version's (\(CairnVersion.string))")
    }
}
