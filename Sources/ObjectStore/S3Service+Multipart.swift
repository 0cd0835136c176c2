import CairnCore
import Crypto
import Foundation
import Storage
import Wire

extension S3Service {
    static let minPartSize: Int64 = 5 * 1024 * 1024

    /// The object's metadata, fixed when the upload starts.
    struct UploadTemplate {
        var contentType: String
        var headers: [String: String]
        var metadata: [String: String]
        var tags: [String: String]

        var encoded: String {
            let value: JSONValue = [
                "contentType": .string(contentType),
                "headers": .object(headers.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }),
                "metadata": .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }),
                "tags": .object(tags.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }),
            ]
            return String(decoding: value.serialized(), as: UTF8.self)
        }

        init(contentType: String, headers: [String: String], metadata: [String: String], tags: [String: String]) {
            self.contentType = contentType
            self.headers = headers
            self.metadata = metadata
            self.tags = tags
        }

        init(decoding text: String) {
            let value = (try? JSONValue.parse(Array(text.utf8))) ?? .object([])
            func map(_ name: String) -> [String: String] {
                guard case .object(let members)? = value[name] else { return [:] }
                var out: [String: String] = [:]
                for (k, v) in members { if case .string(let s) = v { out[k] = s } }
                return out
            }
            if case .string(let s)? = value["contentType"] { contentType = s } else { contentType = "binary/octet-stream" }
            headers = map("headers")
            metadata = map("metadata")
            tags = map("tags")
        }
    }

    func createUpload(_ bucket: BucketRecord, key: String, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        try Self.checkStorageClass(request)
        let template = UploadTemplate(contentType: request.header("content-type") ?? "binary/octet-stream",
                                      headers: Self.systemHeaders(request), metadata: try Self.userMetadata(request),
                                      tags: try Self.headerTags(request))
        let uploadId = Identifiers.alphanumeric(64)
        try await catalog.createUpload(UploadRecord(uploadId: uploadId, bucket: bucket.name, key: key, template: template.encoded,
                                                    createdAt: nowMillis()))
        var w = XMLWriter(declaration: true)
        w.open("InitiateMultipartUploadResult", xmlns: Self.namespace)
        w.element("Bucket", bucket.name)
        w.element("Key", key)
        w.element("UploadId", uploadId)
        w.close("InitiateMultipartUploadResult")
        return RESTResult(.xml(w, headers: [Self.serverSideEncryption]))
    }

    func upload(_ request: RESTRequest, bucket: BucketRecord, key: String) async throws -> UploadRecord {
        let id = request.query["uploadId"] ?? ""
        guard let upload = try await catalog.upload(id: id), upload.bucket == bucket.name, upload.key == key else {
            throw S3Error.noSuchUpload(id)
        }
        return upload
    }

    func uploadPart(_ bucket: BucketRecord, key: String, request: RESTRequest) async throws -> RESTResult {
        guard let number = request.query["partNumber"].flatMap(Int.init), (1...10000).contains(number) else {
            throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber",
                                          value: request.query["partNumber"])
        }
        let upload = try await upload(request, bucket: bucket, key: key)
        let received = try await receive(request, maxSize: Self.maxObjectSize)
        do {
            let part = PartRecord(uploadId: upload.uploadId, partNumber: number, blob: received.blob,
                                  size: received.digests.size, md5: received.etag, lastModified: nowMillis())
            if let replaced = try await catalog.putPart(part, chunk: received.held) {
                await blobs.delete([replaced])
            }
        } catch {
            await blobs.delete([received.blob])
            if let e = error as? StoreError, e.isNotFound { throw S3Error.noSuchUpload(upload.uploadId) }
            throw error
        }
        var headers: [(String, String)] = [("ETag", "\"\(received.etag)\""), Self.serverSideEncryption]
        if let algorithm = received.checksumAlgorithm, let value = received.digests.checksumBase64 {
            headers.append((algorithm.headerName, value))
        }
        return RESTResult(RESTResponse(headers: headers),
                          audit: AuditDetails(additionalEventData: Self.bytesIn(received.digests.size, request: request)))
    }

    func completeUpload(_ bucket: BucketRecord, key: String, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        let upload = try await upload(request, bucket: bucket, key: key)
        let body = try await request.body.collect(limit: 4 * 1024 * 1024)
        guard let doc = XMLElement.parse(body), doc.name == "CompleteMultipartUpload" else { throw S3Error.malformedXML }
        let requested = try doc.children("Part").map { part -> (Int, String) in
            guard let n = part.text("PartNumber").flatMap(Int.init), let etag = part.text("ETag") else { throw S3Error.malformedXML }
            return (n, etag.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")))
        }
        guard !requested.isEmpty else {
            throw S3Error.malformedXML
        }
        let stored = Dictionary(uniqueKeysWithValues: try await catalog.parts(uploadId: upload.uploadId).map { ($0.partNumber, $0) })
        var chosen: [PartRecord] = []
        for (i, (number, etag)) in requested.enumerated() {
            if i > 0, number <= requested[i - 1].0 { throw S3Error.invalidPartOrder }
            guard let part = stored[number], part.md5 == etag.lowercased() else {
                throw S3Error.invalidPart("One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
            }
            chosen.append(part)
        }
        for part in chosen.dropLast() where part.size < Self.minPartSize { throw S3Error.entityTooSmall() }

        let template = UploadTemplate(decoding: upload.template)
        let blob = try await blobs.concatenate(chosen.map { ($0.blob, $0.size) })
        var md5 = Insecure.MD5()
        for part in chosen { md5.update(data: Self.hexBytes(part.md5)) }
        let etag = SigV4.hex(Array(md5.finalize())) + "-\(chosen.count)"
        let object = ObjectRecord(bucket: bucket.name, key: key, blob: blob, size: chosen.reduce(0) { $0 + $1.size }, etag: etag,
                                  lastModified: nowMillis(), contentType: template.contentType, headers: template.headers,
                                  metadata: template.metadata, tags: template.tags)
        let unused: [String]
        do {
            unused = try await catalog.finishUpload(id: upload.uploadId, object: object)
        } catch {
            await blobs.delete([blob])
            if let e = error as? StoreError, e.isNotFound { throw S3Error.noSuchUpload(upload.uploadId) }
            throw error
        }
        await blobs.delete(unused)
        var w = XMLWriter(declaration: true)
        w.open("CompleteMultipartUploadResult", xmlns: Self.namespace)
        w.element("Location", "http://\(context.host)/\(bucket.name)/\(SigV4.percentEncode(key, keepSlash: true))")
        w.element("Bucket", bucket.name)
        w.element("Key", key)
        w.element("ETag", "\"\(etag)\"")
        w.close("CompleteMultipartUploadResult")
        return RESTResult(.xml(w, headers: [Self.serverSideEncryption]))
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = Array(hex.utf8)[...]
        while it.count >= 2, let h = SigV4.hexValue(it.removeFirst()), let l = SigV4.hexValue(it.removeFirst()) { out.append(h << 4 | l) }
        return out
    }

    func abortUpload(_ bucket: BucketRecord, key: String, request: RESTRequest) async throws -> RESTResult {
        let upload = try await upload(request, bucket: bucket, key: key)
        do {
            await blobs.delete(try await catalog.finishUpload(id: upload.uploadId, object: nil))
        } catch let e as StoreError where e.isNotFound {
            throw S3Error.noSuchUpload(upload.uploadId)
        }
        return RESTResult(RESTResponse(status: 204))
    }

    /// A query integer that must be 0 through 2^31-1, as S3 takes them; anything else is `InvalidArgument`.
    static func nonNegative(_ query: QueryForm, _ name: String) throws -> Int? {
        guard let text = query[name] else { return nil }
        guard let n = Int32(text), n >= 0 else {
            throw S3Error.invalidArgument("Argument \(name) must be an integer between 0 and 2147483647", name: name, value: text)
        }
        return Int(n)
    }

    func listParts(_ bucket: BucketRecord, key: String, request: RESTRequest) async throws -> RESTResult {
        let upload = try await upload(request, bucket: bucket, key: key)
        let marker = try Self.nonNegative(request.query, "part-number-marker") ?? 0
        let maxParts = min(try Self.nonNegative(request.query, "max-parts") ?? 1000, 1000)
        let all = try await catalog.parts(uploadId: upload.uploadId).filter { $0.partNumber > marker }
        let parts = all.prefix(maxParts)
        var w = XMLWriter(declaration: true)
        w.open("ListPartsResult", xmlns: Self.namespace)
        w.element("Bucket", bucket.name)
        w.element("Key", key)
        w.element("UploadId", upload.uploadId)
        w.element("PartNumberMarker", String(marker))
        w.element("NextPartNumberMarker", String(parts.last?.partNumber ?? marker))
        w.element("MaxParts", String(maxParts))
        w.element("IsTruncated", all.count > maxParts ? "true" : "false")
        for p in parts {
            w.open("Part")
            w.element("PartNumber", String(p.partNumber))
            w.element("LastModified", Self.iso(p.lastModified))
            w.element("ETag", "\"\(p.md5)\"")
            w.element("Size", String(p.size))
            w.close("Part")
        }
        w.element("StorageClass", "STANDARD")
        w.close("ListPartsResult")
        return RESTResult(.xml(w))
    }
}
