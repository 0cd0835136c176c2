import CairnCore
import Foundation
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
        sleeper.killGroup()
        var killed: (exitCode: Int32, signal: Int32?)?
        for _ in 0..<400 where killed == nil { killed = sleeper.poll(); if killed == nil { usleep(5000) } }
        #expect(killed?.signal == 9)
        #expect(kill(-sleeper.pid, 0) != 0, "the whole process group is gone")
    }
}
