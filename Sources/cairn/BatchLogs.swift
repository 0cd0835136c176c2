import ArgumentParser
import Foundation

/// `cairn batch`: what AWS Batch jobs run by the local runner left behind.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch", abstract: "AWS Batch jobs run by the local runner.", subcommands: [BatchLogs.self])
}

/// `cairn batch logs JOB_ID`: an attempt's stdout (and stderr) as the job's command wrote them.
struct BatchLogs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a job attempt's stdout, then its stderr to stderr.",
        discussion: """
            Reads <data-dir>/batch-logs/<job id>/<attempt>/ on the machine running `cairn serve`: the local runner \
            keeps each attempt's output there. The log stream name DescribeJobs shows ends with the attempt's task id.
            """)

    @Argument(help: "The job id (array children: <parent id>:<index>).")
    var jobId: String

    @Option(help: "Attempt number, 1-based (default: the latest).")
    var attempt: Int?

    @Option(name: .customLong("data-dir"), help: "Cairn's data directory (CAIRN_DATA_DIR, default ./cairn-data).")
    var dataDir: String?

    func run() throws {
        let root = (dataDir ?? ProcessInfo.processInfo.environment["CAIRN_DATA_DIR"] ?? "./cairn-data") + "/batch-logs/"
        guard !jobId.contains("/"), !jobId.hasPrefix(".") else { throw ValidationError("'\(jobId)' is not a job id.") }
        let jobDirectory = root + jobId
        let attempts = ((try? FileManager.default.contentsOfDirectory(atPath: jobDirectory)) ?? []).compactMap(Int.init).sorted()
        guard let chosen = attempt ?? attempts.last else {
            throw ValidationError("No output for job \(jobId) under \(root): the job has not started, or ran on another server.")
        }
        guard attempts.contains(chosen) else {
            throw ValidationError("Job \(jobId) has no attempt \(chosen); attempts: \(attempts.map(String.init).joined(separator: ", ")).")
        }
        let directory = "\(jobDirectory)/\(chosen)"
        if let out = FileManager.default.contents(atPath: directory + "/stdout") { FileHandle.standardOutput.write(out) }
        if let err = FileManager.default.contents(atPath: directory + "/stderr") { FileHandle.standardError.write(err) }
    }
}
