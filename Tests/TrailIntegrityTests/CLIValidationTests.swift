import Foundation
import Testing
@testable import TrailIntegrity

/// Cross-checks against what `aws cloudtrail validate-logs` runs: python-rsa, and where the awscli
/// is installed, its own `validation.py` walking our objects through in-memory S3 and CloudTrail.
@Suite struct CLIValidationTests {
    /// Three chained digests, the middle one listing two log files, plus all S3 objects.
    struct Scenario {
        var digests: [DigestFile] = []
        var logs: [(S3ObjectLocation, LogFile)] = []

        init() throws {
            let hours = (0...3).map { utc(2026, 11, 21, 6).addingTimeInterval(Double($0) * 3600) }
            let logs = [
                try DigestFixture.logFile(delivered: hours[1].addingTimeInterval(300), count: 3, seed: 10),
                try DigestFixture.logFile(delivered: hours[1].addingTimeInterval(1800), count: 1, seed: 11),
            ]
            let first = try DigestFixture.digest(start: hours[0], end: hours[1], previous: nil, logs: [])
            let second = try DigestFixture.digest(start: hours[1], end: hours[2], previous: first, logs: logs)
            let third = try DigestFixture.digest(start: hours[2], end: hours[3], previous: second, logs: [])
            self.digests = [first, second, third]
            self.logs = logs
        }

        /// The manifest the Python scripts read: key, signing material, objects (base64 bodies).
        func manifest(tamper: (inout [String: [String: Any]]) -> Void = { _ in }) throws -> Data {
            var objects: [String: [String: Any]] = [:]
            for digest in digests {
                objects[digest.location.key] = [
                    "body": Data(digest.gzipped).base64EncodedString(), "metadata": digest.objectMetadata,
                    "signature": digest.signature,
                ]
            }
            for (location, log) in logs {
                objects[location.key] = ["body": Data(log.gzipped).base64EncodedString(), "metadata": [:] as [String: String]]
            }
            tamper(&objects)
            let manifest: [String: Any] = [
                "publicKey": Data(sharedKey.publicKeyDER).base64EncodedString(),
                "fingerprint": sharedKey.fingerprint,
                "bucket": DigestFixture.bucket, "prefix": DigestFixture.prefix,
                "trailArn": "arn:aws:cloudtrail:\(DigestFixture.region):\(DigestFixture.account):trail/\(DigestFixture.trail)",
                "sourceRegion": DigestFixture.region,
                "start": "2026-11-21T06:00:00Z", "end": "2026-11-21T09:00:00Z",
                "digestKeys": digests.map(\.location.key),
                "objects": objects,
            ]
            return try JSONSerialization.data(withJSONObject: manifest)
        }
    }

    /// Mirrors `Sha256RSADigestValidator.validate` and `_create_string_to_sign` with bare python-rsa.
    static let rsaScript = #"""
        import base64, binascii, hashlib, json, sys, zlib
        import rsa
        m = json.load(open(sys.argv[1]))
        der = base64.b64decode(m["publicKey"])
        assert hashlib.md5(der).hexdigest() == m["fingerprint"], "fingerprint is not md5 of the DER key"
        public_key = rsa.PublicKey.load_pkcs1(der, format="DER")
        for key in m["digestKeys"]:
            obj = m["objects"][key]
            inflated = zlib.decompress(base64.b64decode(obj["body"]), zlib.MAX_WBITS | 16)
            data = json.loads(inflated.decode())
            previous = data["previousDigestSignature"]
            if previous is None:
                previous = "null"
            to_sign = f"{data['digestEndTime']}\n{data['digestS3Bucket']}/{data['digestS3Object']}\n{hashlib.sha256(inflated).hexdigest()}\n{previous}"
            rsa.verify(to_sign.encode(), binascii.unhexlify(obj["metadata"]["signature"]), public_key)
            try:
                rsa.verify(to_sign.encode() + b"x", binascii.unhexlify(obj["metadata"]["signature"]), public_key)
                raise SystemExit("a modified message verified")
            except rsa.pkcs1.VerificationError:
                pass
        print("verified", len(m["digestKeys"]))
        """#

    /// Runs awscli's `CloudTrailValidateLogs._call` (the body of `validate-logs`) with in-memory
    /// S3 and CloudTrail clients serving the manifest; prints the counters as JSON on the last line.
    static let awscliScript = #"""
        import base64, io, json, sys
        from botocore.exceptions import ClientError
        from awscli.customizations.cloudtrail import validation as v
        m = json.load(open(sys.argv[1]))
        objects, bucket = m["objects"], m["bucket"]

        class S3:
            def get_object(self, Bucket, Key):
                assert Bucket == bucket, Bucket
                if Key not in objects:
                    raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "missing"}}, "GetObject")
                o = objects[Key]
                return {"Body": io.BytesIO(base64.b64decode(o["body"])), "Metadata": o["metadata"]}
            def get_paginator(self, name):
                assert name == "list_objects", name
                return self
            def paginate(self, Bucket, Marker, Prefix):
                self.keys = sorted(k for k in objects if k.startswith(Prefix) and k > Marker)
                return self
            def search(self, expression):
                return iter(self.keys)

        class Provider:
            def get_client(self, bucket_name):
                return S3()

        class CloudTrail:
            def describe_trails(self):
                return {"trailList": [{"TrailARN": m["trailArn"], "S3BucketName": bucket, "S3KeyPrefix": m["prefix"]}]}
            def list_public_keys(self, StartTime, EndTime):
                # The CLI parses blobs with an identity parser: Value is the base64 text on the wire.
                return {"PublicKeyList": [{"Fingerprint": m["fingerprint"], "Value": m["publicKey"]}]}

        cmd = v.CloudTrailValidateLogs(None)
        cmd.trail_arn, cmd.is_verbose = m["trailArn"], True
        cmd.s3_bucket = cmd.s3_prefix = cmd.account_id = None
        cmd.start_time = v.normalize_date(v.parse_date(m["start"]))
        cmd.end_time = v.normalize_date(v.parse_date(m["end"]))
        cmd._source_region = m["sourceRegion"]
        cmd.s3_client_provider, cmd.cloudtrail_client, cmd.organization_client = Provider(), CloudTrail(), None
        cmd._call()
        print(json.dumps({"validDigests": cmd._valid_digests, "invalidDigests": cmd._invalid_digests,
                          "validLogs": cmd._valid_logs, "invalidLogs": cmd._invalid_logs}))
        """#

    private func counters(_ output: String) throws -> [String: Int] {
        let last = try #require(output.split(separator: "\n").last, "no output")
        return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Int], "\(output)")
    }

    @Test(.enabled(if: Python.hasRSA, "python3 with the rsa package (python-rsa) is not installed"))
    func pythonRSAVerifiesEveryDigestLikeValidateLogs() throws {
        let result = try Python.run(script: Self.rsaScript, input: try Scenario().manifest())
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("verified 3"), "\(result.output)")
    }

    @Test(.enabled(if: Python.hasRSA, "python3 with the rsa package (python-rsa) is not installed"))
    func pythonRSARejectsADigestWhoseBytesChanged() throws {
        let scenario = try Scenario()
        let target = scenario.digests[1].location.key
        let manifest = try scenario.manifest { objects in
            var json = String(decoding: scenario.digests[1].uncompressed, as: UTF8.self)
            json = json.replacingOccurrences(of: "\"SHA256withRSA\"", with: "\"SHA256withRSA\" ")
            objects[target]?["body"] = Data(try! Gzip.compress(Array(json.utf8))).base64EncodedString()
        }
        let result = try Python.run(script: Self.rsaScript, input: manifest)
        #expect(result.status != 0)
        #expect(result.output.contains("VerificationError"), "\(result.output)")
    }

    @Test(.enabled(if: Python.hasAWSCLIValidation, "the awscli (validation.py) or python-rsa is not installed"))
    func awscliValidateLogsAcceptsTheWholeChain() throws {
        let result = try Python.run(script: Self.awscliScript, input: try Scenario().manifest())
        #expect(result.status == 0, "\(result.output)")
        let counts = try counters(result.output)
        #expect(counts == ["validDigests": 3, "invalidDigests": 0, "validLogs": 2, "invalidLogs": 0], "\(result.output)")
        #expect(!result.output.contains("No log files were delivered"), "the chain should have no gap: \(result.output)")
    }

    @Test(.enabled(if: Python.hasAWSCLIValidation, "the awscli (validation.py) or python-rsa is not installed"))
    func awscliValidateLogsFlagsAReplacedLogFileAndAForgedSignature() throws {
        let scenario = try Scenario()
        let log = scenario.logs[0].0.key
        let forged = scenario.digests[2].location.key
        let manifest = try scenario.manifest { objects in
            objects[log]?["body"] = Data(try! Gzip.compress(Array(#"{"Records":[]}"#.utf8))).base64EncodedString()
            objects[forged]?["metadata"] = [
                "signature": String(repeating: "00", count: 256), "signature-algorithm": "SHA256withRSA",
            ]
        }
        let result = try Python.run(script: Self.awscliScript, input: manifest)
        let counts = try counters(result.output)
        #expect(counts["invalidLogs"] == 1, "\(result.output)")
        #expect(counts["invalidDigests"] == 1, "\(result.output)")
        #expect(result.output.contains("INVALID: hash value doesn't match"), "\(result.output)")
        #expect(result.output.contains("INVALID: signature verification failed"), "\(result.output)")
    }
}
