import CairnCore
import Foundation
import Storage
import Testing
import Wire
@testable import ObjectStore

@Suite("S3 addressing and keys")
struct S3AddressingTests {
    @Test("path-style requests name the bucket first and decode the key once, keeping + and dot segments")
    func pathStyle() throws {
        #expect(try S3Target.parse(host: "127.0.0.1:4566", rawPath: "/").get() == S3Target(bucket: nil, key: nil))
        #expect(try S3Target.parse(host: "127.0.0.1:4566", rawPath: "/bkt").get() == S3Target(bucket: "bkt", key: nil))
        #expect(try S3Target.parse(host: "127.0.0.1:4566", rawPath: "/bkt/").get() == S3Target(bucket: "bkt", key: nil))
        #expect(try S3Target.parse(host: "localhost", rawPath: "/bkt/a%20b/c+d").get() == S3Target(bucket: "bkt", key: "a b/c+d"))
        #expect(try S3Target.parse(host: "localhost", rawPath: "/bkt/../../etc/passwd").get().key == "../../etc/passwd")
        #expect(try S3Target.parse(host: "localhost", rawPath: "/bkt/%25%2B").get().key == "%+")
    }

    @Test("virtual-hosted requests take the bucket from the host")
    func virtualHost() throws {
        #expect(try S3Target.parse(host: "bkt.localhost:4566", rawPath: "/k").get() == S3Target(bucket: "bkt", key: "k"))
        #expect(try S3Target.parse(host: "my.bkt.s3.amazonaws.com", rawPath: "/").get() == S3Target(bucket: "my.bkt", key: nil))
        #expect(try S3Target.parse(host: "bkt.s3.us-east-1.amazonaws.com", rawPath: "/a/b").get().key == "a/b")
        #expect(S3Target.virtualHostBucket("[::1]:4566") == nil)
        #expect(S3Target.virtualHostBucket("10.0.0.1:80") == nil)
    }

    @Test("keys that are not UTF-8 or contain NUL are refused", arguments: ["/bkt/%FF", "/bkt/a%00b", "/bkt/%G1", "/bkt/%2"])
    func badKeys(path: String) {
        guard case .failure(let e) = S3Target.parse(host: "localhost", rawPath: path) else {
            Issue.record("accepted \(path)")
            return
        }
        #expect(e.code == "InvalidURI")
    }

    @Test("bucket names follow S3's rules")
    func bucketNames() {
        for good in ["abc", "my-bucket.logs", String(repeating: "a", count: 63), "1bucket"] {
            #expect(S3Target.isValidBucketName(good), "\(good)")
        }
        for bad in ["ab", "Upper", "-start", "end-", "a..b", "192.168.1.1", "under_score", String(repeating: "a", count: 64), "a.-b"] {
            #expect(!S3Target.isValidBucketName(bad), "\(bad)")
        }
    }

    @Test("copy sources are bucket/key, URL-encoded, with optional slash and version")
    func copySource() {
        #expect(S3Service.copySource("src/a%20b") ?? ("", "") == ("src", "a b"))
        #expect(S3Service.copySource("/src/dir/k?versionId=3") ?? ("", "") == ("src", "dir/k"))
        #expect(S3Service.copySource("onlybucket") == nil)
    }
}

@Suite("S3 ranges, listings and checksums")
struct S3ObjectLogicTests {
    @Test("byte ranges: closed, open, suffix, clamped; unsatisfiable ranges are InvalidRange")
    func ranges() throws {
        #expect(try S3Service.parseRange("bytes=2-4", size: 10) == 2...4)
        #expect(try S3Service.parseRange("bytes=5-", size: 10) == 5...9)
        #expect(try S3Service.parseRange("bytes=-3", size: 10) == 7...9)
        #expect(try S3Service.parseRange("bytes=8-100", size: 10) == 8...9)
        #expect(try S3Service.parseRange("bytes=0-1,3-4", size: 10) == nil)
        #expect(try S3Service.parseRange("items=1-2", size: 10) == nil)
        #expect(throws: AWSError.self) { try S3Service.parseRange("bytes=10-", size: 10) }
        #expect(throws: AWSError.self) { try S3Service.parseRange("bytes=-0", size: 10) }
    }

    @Test("common prefixes are cut on UTF-8 bytes, not on characters")
    func rollUp() {
        #expect(S3Service.rollUp("a/b/c", prefix: "", delimiter: "/") == "a/")
        #expect(S3Service.rollUp("a/b/c", prefix: "a/", delimiter: "/") == "a/b/")
        #expect(S3Service.rollUp("a/b", prefix: "a/b", delimiter: "/") == nil)
        #expect(S3Service.rollUp("cafe\u{301}/x", prefix: "cafe", delimiter: "\u{301}") == "cafe\u{301}")
        #expect(S3Service.rollUp("a\r\nb", prefix: "a\r", delimiter: "\n") == "a\r\n")
        #expect(!S3Service.sameBytes("caf\u{e9}", "cafe\u{301}"))
    }

    @Test("CRC-32 and CRC-32C match their check values")
    func crc() {
        var ieee = CRC32(castagnoli: false)
        ieee.update(Array("123456789".utf8))
        #expect(ieee.digest == [0xCB, 0xF4, 0x39, 0x26])
        var c = CRC32(castagnoli: true)
        c.update(Array("123456789".utf8))
        #expect(c.digest == [0xE3, 0x06, 0x92, 0x83])
        var fox = CRC32(castagnoli: false)
        fox.update(Array("The quick brown fox jumps over the lazy dog".utf8))
        #expect(fox.checksum == 0x414F_A339)
        // Eight bytes a step with a byte-wise tail: any split of any length gives what one bit at a time gives.
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        for castagnoli in [false, true] {
            let polynomial: UInt32 = castagnoli ? 0x82F6_3B78 : 0xEDB8_8320
            for length in [0, 1, 7, 8, 9, 15, 16, 17, 999, 1000] {
                var reference: UInt32 = 0xFFFF_FFFF
                for b in bytes[..<length] {
                    reference ^= UInt32(b)
                    for _ in 0..<8 { reference = reference & 1 != 0 ? polynomial ^ (reference >> 1) : reference >> 1 }
                }
                var whole = CRC32(castagnoli: castagnoli)
                whole.update(bytes[..<length])
                var split = CRC32(castagnoli: castagnoli)
                split.update(bytes[..<(length / 3)])
                split.update(Array(bytes[(length / 3)..<length]))
                #expect(whole.checksum == reference ^ 0xFFFF_FFFF, "length \(length)")
                #expect(split.checksum == whole.checksum, "length \(length)")
            }
        }
        var hello = BodyDigests(checksum: .crc32)
        hello.update(Array("hello ".utf8))
        hello.update(Array("world".utf8))
        let f = hello.finalize()
        #expect(f.checksumBase64 == "DUoRhQ==")
        #expect(f.md5Hex == "5eb63bbbe01eeed093cb22bb8f5acdc3")
    }

    @Test("operations are found from method, bucket, key and sub-resource")
    func routing() {
        func op(_ method: String, _ bucket: String?, _ key: String?, _ query: String = "", copy: Bool = false) -> String {
            let request = RESTRequest(method: method, rawPath: "/", rawQuery: query,
                                      headers: copy ? ["x-amz-copy-source": ["b/k"]] : [:], body: .bytes([]))
            switch S3Service.operation(method: method, target: S3Target(bucket: bucket, key: key), request: request) {
            case .success(let name): return name
            case .failure(let e): return e.code
            }
        }
        #expect(op("GET", nil, nil) == "ListBuckets")
        #expect(op("PUT", "b", nil) == "CreateBucket")
        #expect(op("GET", "b", nil, "list-type=2&encoding-type=url") == "ListObjectsV2")
        #expect(op("GET", "b", nil, "location") == "GetBucketLocation")
        #expect(op("POST", "b", nil, "delete") == "DeleteObjects")
        #expect(op("PUT", "b", "k") == "PutObject")
        #expect(op("PUT", "b", "k", copy: true) == "CopyObject")
        #expect(op("PUT", "b", "k", "partNumber=1&uploadId=u") == "UploadPart")
        #expect(op("POST", "b", "k", "uploads") == "CreateMultipartUpload")
        #expect(op("DELETE", "b", "k", "tagging") == "DeleteObjectTagging")
        #expect(op("GET", "b", "k", "acl") == "NotImplemented")
        #expect(op("PATCH", "b", "k") == "MethodNotAllowed")
        #expect(op("GET", "b", nil, "versioning") == "GetBucketVersioning")
        #expect(op("PUT", "b", nil, "versioning") == "NotImplemented")
    }

    @Test("If-Match fails with 412 and If-None-Match answers 304, If-Match first")
    func conditions() throws {
        let object = ObjectRecord(bucket: "b", key: "k", blob: "x", size: 0, etag: "abc", lastModified: 0,
                                  contentType: "text/plain")
        func code(_ headers: [String: [String]]) -> String? {
            let request = RESTRequest(method: "GET", rawPath: "/b/k", rawQuery: "", headers: headers, body: .bytes([]))
            do {
                try S3Service.checkConditions(object, request: request, lastModified: Date(timeIntervalSince1970: 0))
                return nil
            } catch let e as AWSError { return "\(e.status) \(e.code)" } catch { return "\(error)" }
        }
        #expect(code([:]) == nil)
        #expect(code(["if-match": ["\"abc\""]]) == nil)
        #expect(code(["if-match": ["\"other\""]]) == "412 PreconditionFailed")
        #expect(code(["if-none-match": ["\"abc\""]]) == "304 NotModified")
        #expect(code(["if-match": ["\"other\""], "if-none-match": ["\"abc\""]]) == "412 PreconditionFailed")
    }

    @Test("hex digests parse back to their bytes, in either case")
    func hexBytes() {
        #expect(S3Service.hexBytes("00ff10Ab") == [0x00, 0xFF, 0x10, 0xAB])
        #expect(SigV4.hex(S3Service.hexBytes("5eb63bbbe01eeed093cb22bb8f5acdc3")) == "5eb63bbbe01eeed093cb22bb8f5acdc3")
        #expect(S3Target.decode("%2b%2B") == "++")
    }
}

@Suite("aws-chunked bodies")
struct AWSChunkedTests {
    static let framed = Array("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n".utf8)

    func decode(_ bytes: [UInt8], pieces: Int) async throws -> ([UInt8], [String: String]) {
        var chunks: [[UInt8]] = []
        let size = max(1, bytes.count / pieces)
        var i = 0
        while i < bytes.count { chunks.append(Array(bytes[i..<min(i + size, bytes.count)])); i += size }
        let box = ChunkBox(chunks)
        var decoder = AWSChunkedDecoder(RequestBody { box.next() })
        var out: [UInt8] = []
        while let piece = try await decoder.next() { out += piece }
        return (out, decoder.trailers)
    }

    @Test("framing is removed and trailers read, however the body is split", arguments: [1, 2, 5, 17, 60])
    func decodes(pieces: Int) async throws {
        let (data, trailers) = try await decode(Self.framed, pieces: pieces)
        #expect(String(decoding: data, as: UTF8.self) == "hello world")
        #expect(trailers["x-amz-checksum-crc32"] == "DUoRhQ==")
    }

    @Test("signed chunk headers are accepted; broken framing is an error",
          arguments: ["5;chunk-signature=abc\r\nhello\r\n0;chunk-signature=def\r\n\r\n|ok", "zz\r\nhello\r\n0\r\n\r\n|bad",
                      "5\r\nhelloX\r\n0\r\n\r\n|bad", "5\r\nhel|bad"])
    func framing(_ testCase: String) async {
        let parts = testCase.split(separator: "|")
        let result = try? await decode(Array(parts[0].utf8), pieces: 3)
        if parts[1] == "ok" {
            #expect(result.map { String(decoding: $0.0, as: UTF8.self) } == "hello")
        } else {
            #expect(result == nil)
        }
    }
}

/// Hands out chunks in order (test body source).
final class ChunkBox: @unchecked Sendable {
    // Used by one decoder on one task at a time.
    var chunks: [[UInt8]]
    init(_ chunks: [[UInt8]]) { self.chunks = chunks }
    func next() -> [UInt8]? { chunks.isEmpty ? nil : chunks.removeFirst() }
}
