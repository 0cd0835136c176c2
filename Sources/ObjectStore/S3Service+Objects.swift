import CairnCore
import Foundation
import Storage
import Wire

extension S3Service {
    func putObject(_ bucket: BucketRecord, key: String, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        let metadata = try Self.userMetadata(request)
        let tags = try Self.headerTags(request)
        try Self.checkStorageClass(request)
        if request.header("if-none-match") == "*", try await catalog.object(bucket: bucket.name, key: key) != nil {
            throw S3Error.preconditionFailed
        }
        let received = try await receive(request, maxSize: Self.maxObjectSize)
        let object = ObjectRecord(
            bucket: bucket.name, key: key, blob: received.blob, size: received.digests.size, etag: received.etag,
            lastModified: nowMillis(), contentType: request.header("content-type") ?? "binary/octet-stream",
            headers: Self.systemHeaders(request), metadata: metadata, tags: tags,
            checksumAlgorithm: received.checksumAlgorithm?.rawValue, checksumValue: received.digests.checksumBase64)
        try await commit(object, held: received.held, onlyIfAbsent: request.header("if-none-match") == "*")
        var headers: [(String, String)] = [("ETag", "\"\(object.etag)\""), Self.serverSideEncryption]
        if let algorithm = received.checksumAlgorithm, let value = received.digests.checksumBase64 {
            headers.append((algorithm.headerName, value))
        }
        return RESTResult(RESTResponse(headers: headers),
                          audit: AuditDetails(additionalEventData: Self.bytesIn(object.size, request: request)))
    }

    /// A browser-form upload (POST Object), stored as PutObject stores it and answered as the form's
    /// `success_action_redirect` or `success_action_status` (200, 201 with a PostResponse, or 204) asks.
    func postObject(_ bucket: BucketRecord, key: String, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        let stored = try await putObject(bucket, key: key, request: request, context: context)
        let etag = stored.response.headers.first { $0.0 == "ETag" }?.1 ?? ""
        let location = "http://\(context.host)\(Self.objectPath(host: context.host, bucket: bucket.name, key: key))"
        let headers = stored.response.headers + [("Location", location)]
        if let redirect = request.query["success_action_redirect"], var url = URLComponents(string: redirect),
           url.scheme == "http" || url.scheme == "https" {
            url.queryItems = (url.queryItems ?? []) + [
                URLQueryItem(name: "bucket", value: bucket.name), URLQueryItem(name: "key", value: key),
                URLQueryItem(name: "etag", value: etag),
            ]
            return RESTResult(RESTResponse(status: 303, headers: [("Location", url.string ?? redirect)]), audit: stored.audit)
        }
        switch request.query["success_action_status"] {
        case "200": return RESTResult(RESTResponse(status: 200, headers: headers), audit: stored.audit)
        case "201":
            var w = XMLWriter(declaration: true)
            w.open("PostResponse")
            w.element("Location", location)
            w.element("Bucket", bucket.name)
            w.element("Key", key)
            w.element("ETag", etag)
            w.close("PostResponse")
            return RESTResult(.xml(w, status: 201, headers: headers), audit: stored.audit)
        default: return RESTResult(RESTResponse(status: 204, headers: headers), audit: stored.audit)
        }
    }

    /// Writes the metadata, with the blob's held-back last chunk if it has one; the blob it replaces (or, on failure,
    /// its own) is deleted afterwards.
    func commit(_ object: ObjectRecord, held: HeldChunk? = nil, onlyIfAbsent: Bool = false) async throws {
        do {
            if let replaced = try await catalog.putObject(object, onlyIfAbsent: onlyIfAbsent, chunk: held) {
                await blobs.delete([replaced])
            }
        } catch let e as StoreError where e.isNotFound {
            await blobs.delete([object.blob])
            throw S3Error.noSuchBucket(object.bucket)
        } catch let e as StoreError where e.isConflict {
            await blobs.delete([object.blob])
            throw S3Error.preconditionFailed
        } catch {
            await blobs.delete([object.blob])
            throw error
        }
    }

    func getObject(_ bucket: BucketRecord, key: String, request: RESTRequest, head: Bool) async throws -> RESTResult {
        if request.query["partNumber"] != nil { throw S3Error.notImplemented("GetObject by partNumber") }
        guard let object = try await catalog.object(bucket: bucket.name, key: key) else { throw S3Error.noSuchKey(key) }
        let lastModified = Date(timeIntervalSince1970: Double(object.lastModified) / 1000)
        var headers: [(String, String)] = [
            ("ETag", "\"\(object.etag)\""), ("Last-Modified", Timestamp.rfc1123(lastModified)), ("Accept-Ranges", "bytes"),
            ("Content-Type", request.query["response-content-type"] ?? object.contentType), Self.serverSideEncryption,
        ]
        for (name, value) in object.headers.sorted(by: { $0.key < $1.key }) {
            let override = "response-" + name.lowercased()
            if request.query[override] == nil { headers.append((name, value)) }
        }
        for name in ["Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"] {
            if let v = request.query["response-" + name.lowercased()] { headers.append((name, v)) }
        }
        for (name, value) in object.metadata.sorted(by: { $0.key < $1.key }) { headers.append(("x-amz-meta-" + name, value)) }
        if !object.tags.isEmpty { headers.append(("x-amz-tagging-count", String(object.tags.count))) }

        try Self.checkConditions(object, request: request, lastModified: lastModified)

        var status = 200
        var offset: Int64 = 0
        var length = object.size
        if let range = request.header("range"), let parsed = try Self.parseRange(range, size: object.size) {
            status = 206
            offset = parsed.lowerBound
            length = parsed.upperBound - parsed.lowerBound + 1
            headers.append(("Content-Range", "bytes \(parsed.lowerBound)-\(parsed.upperBound)/\(object.size)"))
        } else if request.header("x-amz-checksum-mode")?.uppercased() == "ENABLED",
                  let algorithm = object.checksumAlgorithm.flatMap(ChecksumAlgorithm.init), let value = object.checksumValue {
            headers.append((algorithm.headerName, value))
        }
        headers.append(("Content-Length", String(length)))
        if head {
            return RESTResult(RESTResponse(status: status, headers: headers))
        }
        let payload = try await blobs.payload(object.blob, offset: offset, length: length)
        return RESTResult(RESTResponse(status: status, headers: headers, payload: payload),
                          audit: AuditDetails(additionalEventData: Self.bytesOut(length, request: request)))
    }

    /// `If-Match`, `If-Unmodified-Since` (412) and `If-None-Match`, `If-Modified-Since` (304), in RFC 7232's order.
    static func checkConditions(_ object: ObjectRecord, request: RESTRequest, lastModified: Date) throws {
        let seconds = floor(lastModified.timeIntervalSince1970)
        if let ifMatch = request.header("if-match") {
            if !etagMatches(ifMatch, object.etag) { throw S3Error.preconditionFailed }
        } else if let since = request.header("if-unmodified-since").flatMap(httpDate), seconds > since.timeIntervalSince1970 {
            throw AWSError(code: "PreconditionFailed", status: 412, message: "At least one of the pre-conditions you specified did not hold",
                           extra: [("Condition", "If-Unmodified-Since")])
        }
        if let ifNoneMatch = request.header("if-none-match") {
            if etagMatches(ifNoneMatch, object.etag) { throw notModified(object, lastModified: lastModified) }
        } else if let since = request.header("if-modified-since").flatMap(httpDate), seconds <= since.timeIntervalSince1970 {
            throw notModified(object, lastModified: lastModified)
        }
    }

    /// A 304 carries the object's validators, as HTTP (RFC 9110 §15.4.5) and S3 send them.
    static func notModified(_ object: ObjectRecord, lastModified: Date) -> AWSError {
        AWSError(code: "NotModified", status: 304, message: "Not Modified",
                 headers: [("ETag", "\"\(object.etag)\""), ("Last-Modified", Timestamp.rfc1123(lastModified))])
    }

    static func etagMatches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let c = candidate.trimmingCharacters(in: .whitespaces)
            return c == "*" || c.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == etag
        }
    }

    static func httpDate(_ text: String) -> Date? { Timestamp.parseHTTPDate(text) }

    /// One `bytes=` range, clamped to the object. nil means "serve the whole object" (a syntax S3 ignores).
    static func parseRange(_ header: String, size: Int64) throws -> ClosedRange<Int64>? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]) else { return nil }
            guard suffix > 0, size > 0 else { throw S3Error.invalidRange(size: size, requested: header) }
            return max(0, size - suffix)...(size - 1)
        }
        guard let start = Int64(parts[0]) else { return nil }
        guard parts[1].isEmpty || Int64(parts[1]) != nil else { return nil }
        if let last = Int64(parts[1]), last < start { return nil }
        guard start < size else { throw S3Error.invalidRange(size: size, requested: header) }
        let end = parts[1].isEmpty ? size - 1 : Int64(parts[1])!
        return start...min(end, size - 1)
    }

    func deleteObject(_ bucket: BucketRecord, key: String) async throws -> RESTResult {
        if let blob = try await catalog.deleteObject(bucket: bucket.name, key: key) { await blobs.delete([blob]) }
        return RESTResult(RESTResponse(status: 204))
    }

    func deleteObjects(_ bucket: BucketRecord, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        let body = try await request.body.collect(limit: 2 * 1024 * 1024)
        guard let doc = XMLElement.parse(body), doc.name == "Delete" else { throw S3Error.malformedXML }
        let objects = doc.children("Object")
        guard !objects.isEmpty, objects.count <= 1000 else { throw S3Error.malformedXML }
        let quiet = doc.text("Quiet") == "true"
        let keys = try objects.map { o -> String in
            guard let key = o.text("Key"), !key.isEmpty else { throw S3Error.malformedXML }
            return key
        }
        // IAM decides each key; a denied one is reported and kept.
        var denied = Set<String>()
        for key in keys where key.utf8.count <= 1024 {
            let object = "arn:aws:s3:::\(bucket.name)/\(key)"
            if try await context.authorize([Permission(action: "s3:DeleteObject", resource: object)]) != nil { denied.insert(key) }
        }
        // One transaction for the whole request; the blobs go once it is committed.
        await blobs.delete(try await catalog.deleteObjects(bucket: bucket.name, keys: keys.filter { $0.utf8.count <= 1024 && !denied.contains($0) }))
        var w = XMLWriter(declaration: true)
        w.open("DeleteResult", xmlns: Self.namespace)
        for key in keys {
            if key.utf8.count > 1024 {
                w.open("Error"); w.element("Key", key); w.element("Code", "KeyTooLongError")
                w.element("Message", "Your key is too long"); w.close("Error")
                continue
            }
            if denied.contains(key) {
                w.open("Error"); w.element("Key", key); w.element("Code", "AccessDenied")
                w.element("Message", "Access Denied"); w.close("Error")
                continue
            }
            if !quiet { w.open("Deleted"); w.element("Key", key); w.close("Deleted") }
        }
        w.close("DeleteResult")
        return RESTResult(.xml(w))
    }

    func copyObject(_ bucket: BucketRecord, key: String, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        guard let (sourceBucketName, sourceKey) = Self.copySource(request.header("x-amz-copy-source") ?? "") else {
            throw S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                                          name: "x-amz-copy-source", value: request.header("x-amz-copy-source"))
        }
        let sourceBucket = try await ownedBucket(sourceBucketName, context: context)
        guard let source = try await catalog.object(bucket: sourceBucket.name, key: sourceKey) else { throw S3Error.noSuchKey(sourceKey) }
        try Self.checkCopyConditions(source, request: request)
        let metadataDirective = request.header("x-amz-metadata-directive")?.uppercased() ?? "COPY"
        let taggingDirective = request.header("x-amz-tagging-directive")?.uppercased() ?? "COPY"
        guard ["COPY", "REPLACE"].contains(metadataDirective) else {
            throw S3Error.invalidArgument("Unknown metadata directive.", name: "x-amz-metadata-directive", value: metadataDirective)
        }
        guard ["COPY", "REPLACE"].contains(taggingDirective) else {
            throw S3Error.invalidArgument("Unknown tagging directive.", name: "x-amz-tagging-directive", value: taggingDirective)
        }
        if sourceBucket.name == bucket.name, sourceKey.utf8.elementsEqual(key.utf8), metadataDirective == "COPY",
           request.header("x-amz-storage-class") == nil, request.header("x-amz-website-redirect-location") == nil {
            throw S3Error.invalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
        }
        try Self.checkStorageClass(request)
        let checksum = try request.header("x-amz-checksum-algorithm").map { name throws -> ChecksumAlgorithm in
            guard let algorithm = ChecksumAlgorithm(rawValue: name.uppercased()) else {
                throw S3Error.invalidRequest("Checksum algorithm \(name) is not valid: use CRC32, CRC32C, SHA1 or SHA256.")
            }
            return algorithm
        }
        var object = try await copy(source, to: bucket.name, key: key)
        if metadataDirective == "REPLACE" {
            object.metadata = try Self.userMetadata(request)
            object.headers = Self.systemHeaders(request)
            object.contentType = request.header("content-type") ?? "binary/octet-stream"
        }
        // The copy's storage class is the one asked for, else STANDARD: it is not copied from the source.
        object.headers["x-amz-storage-class"] = request.header("x-amz-storage-class")
        if let checksum, checksum.rawValue != object.checksumAlgorithm {
            object.checksumAlgorithm = checksum.rawValue
            object.checksumValue = try await blobs.checksum(object.blob, size: object.size, algorithm: checksum)
        }
        if taggingDirective == "REPLACE" { object.tags = try Self.headerTags(request) }
        try await commit(object)
        var w = XMLWriter(declaration: true)
        w.open("CopyObjectResult", xmlns: Self.namespace)
        w.element("ETag", "\"\(object.etag)\"")
        w.element("LastModified", Self.iso(object.lastModified))
        if let algorithm = object.checksumAlgorithm, let value = object.checksumValue {
            w.element("Checksum" + algorithm, value)
        }
        w.close("CopyObjectResult")
        return RESTResult(.xml(w, headers: [Self.serverSideEncryption]))
    }

    /// Every object is stored as S3 stores it by default since 2023: SSE-S3.
    static let serverSideEncryption = ("x-amz-server-side-encryption", "AES256")

    static let storageClasses: Set<String> = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE",
        "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS",
    ]

    /// `x-amz-storage-class`, when given, names one of S3's classes (kept and returned; every class reads alike here).
    static func checkStorageClass(_ request: RESTRequest) throws {
        if let c = request.header("x-amz-storage-class"), !storageClasses.contains(c) { throw S3Error.invalidStorageClass }
    }

    /// A new object record with the source's bytes and metadata. Blobs never change, so the copy shares the bytes
    /// through a hard link when it can, and streams them otherwise.
    func copy(_ source: ObjectRecord, to bucket: String, key: String) async throws -> ObjectRecord {
        let blob = try await blobs.duplicate(source.blob, size: source.size)
        var object = source
        object.bucket = bucket
        object.key = key
        object.blob = blob
        object.lastModified = nowMillis()
        return object
    }

    /// `srcbucket/srckey`, URL-encoded, optional leading `/`, optional `?versionId=`.
    static func copySource(_ header: String) -> (String, String)? {
        var text = Substring(header)
        if let q = text.firstIndex(of: "?") { text = text[..<q] }
        if text.hasPrefix("/") { text = text.dropFirst() }
        guard let slash = text.firstIndex(of: "/"),
              let bucket = S3Target.decode(text[..<slash]), let key = S3Target.decode(text[text.index(after: slash)...]),
              !bucket.isEmpty, !key.isEmpty
        else { return nil }
        return (bucket, key)
    }

    /// As the CopyObject reference orders them: an `if-match` that holds overrides a failing `if-unmodified-since`,
    /// and an `if-none-match` decides without `if-modified-since`.
    static func checkCopyConditions(_ source: ObjectRecord, request: RESTRequest) throws {
        let seconds = floor(Double(source.lastModified) / 1000)
        if let m = request.header("x-amz-copy-source-if-match") {
            if !etagMatches(m, source.etag) { throw S3Error.preconditionFailed }
        } else if let d = request.header("x-amz-copy-source-if-unmodified-since").flatMap(httpDate), seconds > d.timeIntervalSince1970 {
            throw S3Error.preconditionFailed
        }
        if let m = request.header("x-amz-copy-source-if-none-match") {
            if etagMatches(m, source.etag) { throw S3Error.preconditionFailed }
        } else if let d = request.header("x-amz-copy-source-if-modified-since").flatMap(httpDate), seconds <= d.timeIntervalSince1970 {
            throw S3Error.preconditionFailed
        }
    }

    func putObjectTagging(_ bucket: BucketRecord, key: String, request: RESTRequest) async throws -> RESTResult {
        let body = try await request.body.collect(limit: 64 * 1024)
        guard let doc = XMLElement.parse(body), doc.name == "Tagging", let set = doc.child("TagSet") else { throw S3Error.malformedXML }
        var pairs: [(String, String)] = []
        for tag in set.children("Tag") {
            guard let k = tag.text("Key") else { throw S3Error.malformedXML }
            pairs.append((k, tag.text("Value") ?? ""))
        }
        let tags = try Self.validateTags(pairs)
        guard try await catalog.setObjectTags(tags, bucket: bucket.name, key: key) else { throw S3Error.noSuchKey(key) }
        return RESTResult(RESTResponse())
    }

    func getObjectTagging(_ bucket: BucketRecord, key: String) async throws -> RESTResult {
        guard let object = try await catalog.object(bucket: bucket.name, key: key) else { throw S3Error.noSuchKey(key) }
        var w = XMLWriter(declaration: true)
        w.open("Tagging", xmlns: Self.namespace)
        w.open("TagSet")
        for (k, v) in object.tags.sorted(by: { $0.key < $1.key }) {
            w.open("Tag"); w.element("Key", k); w.element("Value", v); w.close("Tag")
        }
        w.close("TagSet")
        w.close("Tagging")
        return RESTResult(.xml(w))
    }
}
