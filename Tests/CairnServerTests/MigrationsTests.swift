import Testing
@testable import Storage

/// The migration registry: grouped per store, applied in one global order that never changes.
struct MigrationsTests {
    @Test func migrationsHaveUniqueNumberedNamesInTheOrderTheyLanded() {
        let names = Migrations.all.map(\.name)
        #expect(Set(names).count == names.count)
        let numbers = names.compactMap { Int($0.prefix(4)) }
        #expect(numbers == Array(1...names.count), "numbered 0001, 0002, ... without gaps: \(names)")
    }

    @Test func everyMigrationStatementTranslatesToPostgreSQLTypes() {
        let postgres = StoreDialect(engine: .postgres)
        for migration in Migrations.all {
            for statement in migration.statements.map(postgres.schema) {
                #expect(!statement.contains("AUTOINCREMENT") && !statement.contains(" BLOB") && !statement.contains("INTEGER"),
                        "\(migration.name): \(statement)")
            }
        }
    }
}
