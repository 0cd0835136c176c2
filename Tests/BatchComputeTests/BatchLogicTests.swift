import CairnCore
import Foundation
import Storage
import Testing
import Wire
@testable import BatchCompute

@Suite("AWS Batch request rules")
struct BatchRequestTests {
    @Test("resource requirements: VCPU positive, MEMORY at least 4 MiB, GPU a positive integer, each once")
    func requirements() throws {
        #expect(try BatchService.resourceRequirements([["type": "VCPU", "value": "0.5"], ["type": "MEMORY", "value": "512"]]).count == 2)
        for bad: JSONValue in [
            [["type": "VCPU", "value": "0"]], [["type": "MEMORY", "value": "2"]], [["type": "GPU", "value": "1.5"]],
            [["type": "DISK", "value": "1"]], [["type": "VCPU", "value": "1"], ["type": "VCPU", "value": "2"]],
        ] {
            #expect(throws: AWSError.self) { try BatchService.resourceRequirements(bad) }
        }
    }

    @Test("compute resources: type, subnets and min ≤ desired ≤ max, as the seed's request has them")
    func computeResources() throws {
        let seed: JSONValue = [
            "subnets": ["subnet-5eda8e04"], "tags": ["testBatchTags": "CLI testing CE"], "desiredvCpus": 0, "minvCpus": 0,
            "instanceTypes": ["optimal"], "securityGroupIds": ["sg-aba9e8db"], "instanceRole": "ecsInstanceRole", "maxvCpus": 128,
            "type": "EC2",
        ]
        #expect(try BatchService.computeResources(seed)["maxvCpus"]?.intValue == 128)
        #expect(throws: AWSError.self) { try BatchService.computeResources(BatchService.setting(seed, [("minvCpus", 200)])) }
        #expect(throws: AWSError.self) { try BatchService.computeResources(BatchService.setting(seed, [("desiredvCpus", 500)])) }
        #expect(throws: AWSError.self) { try BatchService.computeResources(BatchService.setting(seed, [("subnets", [])])) }
        #expect(throws: AWSError.self) { try BatchService.computeResources(BatchService.setting(seed, [("type", "LAMBDA")])) }
        // An update merges into what exists.
        let updated = try BatchService.computeResources(["maxvCpus": 256], existing: seed)
        #expect(updated["maxvCpus"]?.intValue == 256 && updated["subnets"]?.arrayValue?.count == 1)
    }

    @Test("retry strategies and timeouts follow AWS's bounds")
    func retryAndTimeout() throws {
        #expect(try BatchService.retryStrategy(["attempts": 3])?["attempts"]?.intValue == 3)
        #expect(throws: AWSError.self) { try BatchService.retryStrategy(["attempts": 11]) }
        #expect(throws: AWSError.self) { try BatchService.retryStrategy(["attempts": 2, "evaluateOnExit": [["onExitCode": "1"]]]) }
        #expect(try BatchService.timeout(["attemptDurationSeconds": 60]) != nil)
        #expect(throws: AWSError.self) { try BatchService.timeout(["attemptDurationSeconds": 59]) }
    }

    @Test("Ref:: arguments take parameter values; environment and requirements merge by name")
    func overrides() {
        let command = BatchService.substitute(["echo", "Ref::who", "Ref::missing", "x Ref::who"], parameters: [("who", "alice")])
        #expect(command == ["echo", "alice", "Ref::missing", "x Ref::who"])
        let merged = BatchService.mergeNamed([["name": "A", "value": "1"], ["name": "B", "value": "2"]],
                                             [["name": "B", "value": "3"], ["name": "C", "value": "4"]], key: "name")
        #expect(merged.compactMap { $0["value"]?.stringValue } == ["1", "3", "4"])
    }
}

@Suite("AWS Batch job documents")
struct BatchJobValueTests {
    @Test("a job is a value: changing a copy, its row or its document, leaves the original as it was")
    func copiesAreIndependent() {
        let row = BatchJobRow(jobId: "j1", accountId: "123456789012", region: "us-east-1", queueArn: "q", parentId: nil,
                              status: "RUNNABLE", jobName: "n", document: #"{"status":"RUNNABLE","_cairn":{"vcpus":2}}"#,
                              tags: #"{"team":"a"}"#, createdAt: 1, updatedAt: 2)
        let original = BatchJob(row)
        var copy = original
        copy.set([("status", .string("STARTING"))])
        copy.setInternal([("ce", .string("arn:ce"))])
        copy.row.status = "STARTING"
        #expect(original.row.status == "RUNNABLE")
        #expect(original.detail["status"]?.stringValue == "RUNNABLE")
        #expect(original.value("ce") == nil)
        #expect(original.detail["tags"]?["team"]?.stringValue == "a")
        #expect(copy.row.status == "STARTING")
        #expect(copy.detail["status"]?.stringValue == "STARTING")
        #expect(copy.value("ce")?.stringValue == "arn:ce")
        #expect(copy.value("vcpus")?.intValue == 2)
        var again = copy
        again.row.updatedAt = 3
        #expect(copy.row.updatedAt == 2 && again.row.updatedAt == 3)
    }
}

@Suite("AWS Batch retries")
struct BatchRetryTests {
    @Test("evaluateOnExit: the first matching condition decides; none matching means retry")
    func evaluateOnExit() {
        let rules: [JSONValue] = [["onExitCode": "3", "action": "EXIT"], ["onReason": "CannotStart*", "action": "RETRY"],
                                  ["onStatusReason": "Host EC2*", "action": "exit"]]
        #expect(!BatchScheduler.shouldRetry(rules, exitCode: 3, reason: nil, statusReason: "Essential container in task exited"))
        #expect(BatchScheduler.shouldRetry(rules, exitCode: nil, reason: "CannotStartContainerError: x", statusReason: "y"))
        #expect(!BatchScheduler.shouldRetry(rules, exitCode: 1, reason: nil, statusReason: "Host EC2 terminated"))
        #expect(BatchScheduler.shouldRetry(rules, exitCode: 1, reason: nil, statusReason: "Essential container in task exited"))
        #expect(BatchScheduler.shouldRetry([], exitCode: 1, reason: nil, statusReason: "x"))
    }

    @Test("patterns are exact or a prefix ending in *")
    func glob() {
        #expect(BatchScheduler.glob("1*", "137"))
        #expect(BatchScheduler.glob("137", "137"))
        #expect(!BatchScheduler.glob("13", "137"))
        #expect(BatchScheduler.glob("*", ""))
    }

    @Test("local processes run in their own group; exit codes and kills are reported")
    func process() throws {
        let dir = NSTemporaryDirectory() + "cairn-batch-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ok = try LocalProcess.spawn(command: ["sh", "-c", "echo $GREETING; pwd; exit 3"], environment: ["GREETING": "hi", "PATH": "/usr/bin:/bin"],
                                        directory: dir, stdout: dir + "/out", stderr: dir + "/err")
        var exit: (exitCode: Int32, signal: Int32?)?
        for _ in 0..<400 where exit == nil { exit = ok.poll(); if exit == nil { usleep(5000) } }
        #expect(exit?.exitCode == 3)
        let out = (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? ""
        #expect(out.hasPrefix("hi\n"))
        #expect(out.contains(dir))
        let sleeper = try LocalProcess.spawn(command: ["sh", "-c", "sleep 30 & sleep 30"], environment: ["PATH": "/usr/bin:/bin"],
                                             directory: dir, stdout: dir + "/o2", stderr: dir + "/e2")
        // The background `sleep` is orphaned when its shell dies: as its subreaper this process must reap it, or it
        // stays a zombie in the group (a container's init may never reap it).
        #expect(LocalProcess.becomeSubreaper())
        sleeper.killGroup()
        var killed: (exitCode: Int32, signal: Int32?)?
        for _ in 0..<2000 where killed == nil { killed = sleeper.poll(); if killed == nil { usleep(5000) } }
        #expect(killed?.signal == 9)
        var gone = false
        for _ in 0..<2000 where !gone {
            LocalProcess.reapOrphans()
            gone = kill(-sleeper.pid, 0) != 0
            if !gone { usleep(5000) }
        }
        #expect(gone, "the whole process group is gone, its orphan reaped")
    }

    @Test("a command is looked up in the job's own PATH, a relative one in its work directory, as a shell would")
    func commandLookup() throws {
        let dir = NSTemporaryDirectory() + "cairn-batch-" + UUID().uuidString
        let bin = dir + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (path, text) in [(bin + "/cairn-hello", "#!/bin/sh\necho from-path \"$@\"\n"), (dir + "/local.sh", "#!/bin/sh\necho from-work-dir\n")] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
        }
        func run(_ command: [String], path: String) throws -> (Int32?, String) {
            let p = try LocalProcess.spawn(command: command, environment: ["PATH": path], directory: dir,
                                           stdout: dir + "/out", stderr: dir + "/err")
            var exit: (exitCode: Int32, signal: Int32?)?
            for _ in 0..<1000 where exit == nil { exit = p.poll(); if exit == nil { usleep(5000) } }
            return (exit?.exitCode, (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "")
        }
        // Cairn's own PATH does not hold `bin`: only the job's does.
        #expect(try run(["cairn-hello", "a b"], path: bin + ":/usr/bin:/bin") == (0, "from-path a b\n"))
        #expect(try run(["./local.sh"], path: "/usr/bin:/bin") == (0, "from-work-dir\n"))
        // Not found: the attempt cannot start (AWS: CannotStartContainerError), rather than a shell's exit 127.
        #expect(throws: LocalProcess.SpawnError.self) { try run(["cairn-hello"], path: "/usr/bin:/bin") }
        let error = #expect(throws: LocalProcess.SpawnError.self) { try run(["no-such-command-cairn"], path: "/usr/bin:/bin") }
        #expect(error?.description == #"exec: "no-such-command-cairn": executable file not found in $PATH"#)
    }

    @Test("a recovered job's group is killed only while its leader is the process that was started")
    func identityGuardsKills() throws {
        let dir = NSTemporaryDirectory() + "cairn-batch-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try LocalProcess.spawn(command: ["sleep", "30"], environment: ["PATH": "/usr/bin:/bin"],
                                       directory: dir, stdout: dir + "/o", stderr: dir + "/e")
        let identity = try #require(LocalProcess.identity(of: p.pid))
        #expect(!LocalProcess.killGroup(p.pid, identity: identity + "0"), "another start time: not ours to kill")
        #expect(!LocalProcess.killGroup(p.pid, identity: nil))
        #expect(kill(p.pid, 0) == 0)
        #expect(LocalProcess.killGroup(p.pid, identity: identity))
        var ended: (exitCode: Int32, signal: Int32?)?
        for _ in 0..<2000 where ended == nil { ended = p.poll(); if ended == nil { usleep(5000) } }
        #expect(ended?.signal == 9)
        #expect(LocalProcess.identity(of: p.pid) == nil)
    }

    @Test("the runner refuses a work directory inside the data directory, and as root requires an unprivileged user")
    func runnerSettings() throws {
        let data = NSTemporaryDirectory() + "cairn-data-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let runAs: String? = geteuid() == 0 ? "nobody" : nil
        #expect(throws: LocalRunner.RefusedError.self) {
            try LocalRunner(logDirectory: data + "/batch-logs", workDirectory: data + "/work", runAs: runAs)
        }
        if geteuid() == 0 {
            #expect(throws: LocalRunner.RefusedError.self) {
                try LocalRunner(logDirectory: data + "/batch-logs", workDirectory: data + "-work", runAs: nil)
            }
            #expect(throws: LocalRunner.RefusedError.self) {
                try LocalRunner(logDirectory: data + "/batch-logs", workDirectory: data + "-work", runAs: "root")
            }
        }
        let work = data + "-work"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let runner = try LocalRunner(logDirectory: data + "/batch-logs", workDirectory: work, runAs: runAs)
        var info = stat()
        #expect(lstat(work, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(info.st_uid == (runner.runAs?.uid ?? geteuid()))
        if let user = runner.runAs {
            // The job runs as that user, in its own directory, and cannot read a file only Cairn's user may.
            let dir = try runner.makeWorkDirectory(jobId: "job", attempt: 1)
            let secret = data + "/secret"
            #expect(FileManager.default.createFile(atPath: secret, contents: Data("x".utf8), attributes: [.posixPermissions: 0o600]))
            let p = try LocalProcess.spawn(command: ["sh", "-c", "id -u; cat \(secret) || echo denied"], environment: ["PATH": "/usr/bin:/bin"],
                                           directory: dir, stdout: data + "/out", stderr: data + "/err", runAs: user)
            var ended: (exitCode: Int32, signal: Int32?)?
            for _ in 0..<2000 where ended == nil { ended = p.poll(); if ended == nil { usleep(5000) } }
            let out = (try? String(contentsOfFile: data + "/out", encoding: .utf8)) ?? ""
            #expect(out == "\(user.uid)\ndenied\n")
        }
    }
}
