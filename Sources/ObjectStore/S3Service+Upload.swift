import CairnCore
import Foundation
import Storage
import Wire

/// A body received into a new blob, with everything computed over it. `held` (the blob's last chunk, with
/// `DatabaseBlobs`) goes to the catalog with the object or part.
struct ReceivedBody: Sendable {
    var blob: String
    var held: HeldChunk?
    var digests: BodyDigests.Final
    var checksumAlgorithm: ChecksumAlgorithm?
    var etag: String { digests.md5Hex }
}

extension S3Service {
    /// The additional checksum an upload asks for, from its headers or its declared trailer.
    static func requestedChecksum(_ request: RESTRequest) throws -> ChecksumAlgorithm? {
        var names: [String] = []
        if let a = request.header("x-amz-sdk-checksum-algorithm") { names.append(a.uppercased()) }
        if let t = request.header("x-amz-trailer"), t.lowercased().hasPrefix("x-amz-checksum-") {
            names.append(String(t.lowercased().dropFirst("x-amz-checksum-".count)).uppercased())
        }
        for (name, _) in request.headers where name.hasPrefix("x-amz-checksum-") && name != "x-amz-checksum-mode"
            && name != "x-amz-checksum-type" {
            names.append(String(name.dropFirst("x-amz-checksum-".count)).uppercased())
        }
        guard let first = names.first else { return nil }
        guard let algorithm = ChecksumAlgorithm(rawValue: first) else {
            throw S3Error.invalidRequest("Cairn does not support the \(first) checksum algorithm; use CRC32, CRC32C, SHA1 or SHA256.")
        }
        return algorithm
    }

    /// Streams the request body into a new blob, removing `aws-chunked` framing and checking `Content-MD5` and the
    /// additional checksum (the gateway checks a declared SHA-256 as the body is read). Nothing is left behind when a
    /// check fails.
    func receive(_ request: RESTRequest, maxSize: Int64) async throws -> ReceivedBody {
        let declared = request.header("x-amz-content-sha256")
        if let declared, declared.hasPrefix("STREAMING-AWS4-HMAC-SHA256") || declared.hasPrefix("STREAMING-AWS4-ECDSA") {
            throw S3Error.notImplemented("signed aws-chunked uploads (\(declared)); send UNSIGNED-PAYLOAD, a hex SHA-256 or STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        }
        let chunked = request.header("content-encoding")?.contains("aws-chunked") == true || declared?.hasPrefix("STREAMING-") == true
        let algorithm = try Self.requestedChecksum(request)
        var expectedMD5: [UInt8]?
        if let md5 = request.header("content-md5") {
            guard let data = Data(base64Encoded: md5), data.count == 16 else { throw S3Error.invalidDigest() }
            expectedMD5 = Array(data)
        }
        var digests = BodyDigests(checksum: algorithm)
        var decoder = chunked ? AWSChunkedDecoder(request.body) : nil
        let body = request.body
        let written: WrittenBlob
        do {
            written = try await blobs.write {
                let chunk: [UInt8]?
                if decoder != nil { chunk = try await decoder!.next() } else { chunk = try await body.next() }
                if let chunk {
                    digests.update(chunk)
                    if digests.size > maxSize { throw S3Error.entityTooLarge(maxSize) }
                }
                return chunk
            }
        } catch let e as AWSChunkedDecoder.Malformed {
            throw AWSError(code: "IncompleteBody", status: 400, message: "The aws-chunked body is malformed: \(e.description).")
        }
        let final = digests.finalize()
        do {
            if let decoder, let declaredLength = request.header("x-amz-decoded-content-length").flatMap(Int64.init),
               declaredLength != decoder.decodedLength {
                throw AWSError(code: "IncompleteBody", status: 400,
                               message: "You did not provide the number of bytes specified by the X-Amz-Decoded-Content-Length HTTP header.")
            }
            if let expectedMD5, expectedMD5 != final.md5 { throw S3Error.badDigest() }
            if let algorithm {
                let sent = request.header(algorithm.headerName) ?? decoder?.trailers[algorithm.headerName]
                if let sent, sent != final.checksumBase64 {
                    throw S3Error.badDigest("The \(algorithm.rawValue) you specified did not match the calculated checksum.")
                }
            }
        } catch {
            await blobs.delete([written.name])
            throw error
        }
        return ReceivedBody(blob: written.name, held: written.held, digests: final, checksumAlgorithm: algorithm)
    }

    /// `x-amz-meta-*` headers, by lower-case name without the prefix. At most 2 KB, as in S3.
    static func userMetadata(_ request: RESTRequest) throws -> [String: String] {
        var meta: [String: String] = [:]
        var size = 0
        for (name, values) in request.headers where name.hasPrefix("x-amz-meta-") {
            let key = String(name.dropFirst("x-amz-meta-".count))
            let value = values.joined(separator: ",")
            meta[key] = value
            size += key.utf8.count + value.utf8.count
        }
        if size > 2048 {
            throw AWSError(code: "MetadataTooLarge", status: 400, message: "Your metadata headers exceed the maximum allowed metadata size.",
                           extra: [("Size", String(size)), ("MaxSizeAllowed", "2048")])
        }
        return meta
    }

    /// System headers stored with the object and returned on GET.
    static let storedHeaders = ["Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires",
                                "x-amz-storage-class", "x-amz-website-redirect-location"]

    static func systemHeaders(_ request: RESTRequest) -> [String: String] {
        var out: [String: String] = [:]
        for name in storedHeaders {
            guard var value = request.header(name.lowercased()) else { continue }
            if name == "Content-Encoding" {
                value = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { $0 != "aws-chunked" }.joined(separator: ",")
                if value.isEmpty { continue }
            }
            out[name] = value
        }
        return out
    }

    /// Tags from `x-amz-tagging` (`k=v&k2=v2`).
    static func headerTags(_ request: RESTRequest) throws -> [String: String] {
        guard let header = request.header("x-amz-tagging") else { return [:] }
        let fields = QueryForm(encoded: header).fields
        return try validateTags(fields)
    }

    /// S3's tag rules: at most 10, unique keys of 1–128 characters, values up to 256.
    static func validateTags(_ pairs: [(String, String)]) throws -> [String: String] {
        guard pairs.count <= 10 else { throw S3Error.invalidTag("Object tags cannot be greater than 10") }
        var tags: [String: String] = [:]
        for (k, v) in pairs {
            guard (1...128).contains(k.count) else { throw S3Error.invalidTag("The TagKey you have provided is invalid") }
            guard v.count <= 256 else { throw S3Error.invalidTag("The TagValue you have provided is invalid") }
            guard tags[k] == nil else { throw S3Error.invalidTag("Cannot provide multiple Tags with the same key") }
            tags[k] = v
        }
        return tags
    }

    static func bytesIn(_ size: Int64, request: RESTRequest) -> JSONValue {
        [
            "SignatureVersion": .string(request.signatureVersion), "AuthenticationMethod": .string(request.authenticationMethod),
            "bytesTransferredIn": .int(size), "bytesTransferredOut": .int(0),
        ]
    }

    static func bytesOut(_ size: Int64, request: RESTRequest) -> JSONValue {
        [
            "SignatureVersion": .string(request.signatureVersion), "AuthenticationMethod": .string(request.authenticationMethod),
            "bytesTransferredIn": .int(0), "bytesTransferredOut": .int(size),
        ]
    }
}
