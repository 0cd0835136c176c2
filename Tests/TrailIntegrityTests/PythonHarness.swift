import Foundation

/// Runs `python3` scripts for cross-checks against the libraries the `aws` CLI uses.
enum Python {
    /// Whether `python3` can `import` every module in `modules`.
    static func canImport(_ modules: String) -> Bool {
        (try? run(script: "import \(modules)", input: nil))?.status == 0
    }

    /// `python3 -c "import rsa"` works: the library `validate-logs` verifies signatures with.
    static let hasRSA = canImport("rsa")
    /// The installed awscli's `validate-logs` implementation can be imported.
    static let hasAWSCLIValidation = canImport("rsa, awscli.customizations.cloudtrail.validation")

    /// Runs `script` with `input` written to a temporary file whose path is `sys.argv[1]`;
    /// returns the exit status and combined stdout and stderr.
    static func run(script: String, input: Data?) throws -> (status: Int32, output: String) {
        let inputURL = FileManager.default.temporaryDirectory.appendingPathComponent("trail-\(UUID()).json")
        try (input ?? Data()).write(to: inputURL)
        defer { try? FileManager.default.removeItem(at: inputURL) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, inputURL.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
