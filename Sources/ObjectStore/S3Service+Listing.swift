import CairnCore
import Foundation
import Storage
import Wire

extension S3Service {
    /// One page of a listing: objects and rolled-up common prefixes, in key order.
    struct ListingPage {
        var contents: [ObjectRecord] = []
        var commonPrefixes: [String] = []
        var truncated = false
        /// The last key or prefix returned (v1 NextMarker, v2 continuation).
        var last: String?
    }

    /// Walks keys after `after` under `prefix`, rolling keys up to `delimiter`, until `maxKeys` entries.
    func listPage(bucket: String, prefix: String, delimiter: String, after: String?, maxKeys: Int) async throws -> ListingPage {
        var page = ListingPage()
        var cursor = after
        guard maxKeys > 0 else {
            page.truncated = !(try await catalog.objects(bucket: bucket, prefix: prefix, after: cursor, limit: 1).isEmpty)
            return page
        }
        while true {
            let batch = try await catalog.objects(bucket: bucket, prefix: prefix, after: cursor, limit: 1000)
            if batch.isEmpty { return page }
            for object in batch {
                if page.contents.count + page.commonPrefixes.count == maxKeys {
                    page.truncated = true
                    return page
                }
                cursor = object.key
                if let rolled = Self.rollUp(object.key, prefix: prefix, delimiter: delimiter) {
                    if !Self.sameBytes(rolled, page.commonPrefixes.last), !Self.sameBytes(rolled, after) {
                        page.commonPrefixes.append(rolled)
                        page.last = rolled
                    }
                    // Skip the rest of this prefix: nothing sorts between it and prefix + U+10FFFF in practice.
                    cursor = rolled + "\u{10FFFF}"
                    break
                }
                page.contents.append(object)
                page.last = object.key
            }
            if batch.count < 1000, let c = cursor, Self.sameBytes(c, batch.last?.key) { return page }
        }
    }

    /// The key cut after the first `delimiter` that follows `prefix`, compared as UTF-8 bytes (Swift's String
    /// comparisons are Unicode-aware: `e\u{301}` equals `é` and `\r\n` is one character; S3 keys are bytes).
    static func rollUp(_ key: String, prefix: String, delimiter: String) -> String? {
        guard !delimiter.isEmpty else { return nil }
        let k = Array(key.utf8), d = Array(delimiter.utf8)
        let start = prefix.utf8.count
        guard k.count >= start + d.count else { return nil }
        var i = start
        while i + d.count <= k.count {
            if k[i] == d[0], Array(k[i..<i + d.count]) == d { return String(decoding: k[0..<i + d.count], as: UTF8.self) }
            i += 1
        }
        return nil
    }

    static func sameBytes(_ a: String, _ b: String?) -> Bool {
        guard let b else { return false }
        return a.utf8.elementsEqual(b.utf8)
    }

    func listObjects(_ bucket: BucketRecord, request: RESTRequest, v2: Bool) async throws -> RESTResult {
        let q = request.query
        let prefix = q["prefix"] ?? ""
        let delimiter = q["delimiter"] ?? ""
        var maxKeys = 1000
        if let m = q["max-keys"] {
            guard let n = Int(m), n >= 0 else {
                throw S3Error.invalidArgument("Provided max-keys not an integer or within integer range", name: "max-keys", value: m)
            }
            maxKeys = min(n, 1000)
        }
        let encoding = q["encoding-type"]
        if let encoding, encoding != "url" {
            throw S3Error.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: encoding)
        }
        let url = encoding == "url"
        func enc(_ s: String) -> String { url ? Self.urlEncode(s) : s }

        var after: String?
        if v2 {
            if let token = q["continuation-token"] {
                guard let decoded = Data(base64Encoded: token).flatMap({ String(data: $0, encoding: .utf8) }), !decoded.isEmpty else {
                    throw S3Error.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: token)
                }
                after = decoded
            } else if let start = q["start-after"], !start.isEmpty {
                after = start
            }
        } else if let marker = q["marker"], !marker.isEmpty {
            after = marker
        }
        let page = try await listPage(bucket: bucket.name, prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)

        var w = XMLWriter(declaration: true)
        w.open("ListBucketResult", xmlns: Self.namespace)
        w.element("Name", bucket.name)
        w.element("Prefix", enc(prefix))
        if v2 {
            if let token = q["continuation-token"] { w.element("ContinuationToken", token) }
            if let start = q["start-after"] { w.element("StartAfter", enc(start)) }
            w.element("KeyCount", String(page.contents.count + page.commonPrefixes.count))
        } else {
            w.element("Marker", enc(q["marker"] ?? ""))
            if page.truncated, !delimiter.isEmpty, let last = page.last { w.element("NextMarker", enc(last)) }
        }
        w.element("MaxKeys", String(maxKeys))
        if !delimiter.isEmpty { w.element("Delimiter", enc(delimiter)) }
        if url { w.element("EncodingType", "url") }
        w.element("IsTruncated", page.truncated ? "true" : "false")
        if v2, page.truncated, let last = page.last {
            w.element("NextContinuationToken", Data(last.utf8).base64EncodedString())
        }
        let owner = q["fetch-owner"] == "true" || !v2
        for o in page.contents {
            w.open("Contents")
            w.element("Key", enc(o.key))
            w.element("LastModified", Self.iso(o.lastModified))
            w.element("ETag", "\"\(o.etag)\"")
            if let a = o.checksumAlgorithm { w.element("ChecksumAlgorithm", a) }
            w.element("Size", String(o.size))
            if owner {
                w.open("Owner")
                w.element("ID", Self.canonicalUserId(bucket.accountId))
                w.element("DisplayName", "cairn-\(bucket.accountId)")
                w.close("Owner")
            }
            w.element("StorageClass", o.headers["x-amz-storage-class"] ?? "STANDARD")
            w.close("Contents")
        }
        for p in page.commonPrefixes {
            w.open("CommonPrefixes"); w.element("Prefix", enc(p)); w.close("CommonPrefixes")
        }
        w.close("ListBucketResult")
        return RESTResult(.xml(w))
    }

    /// Percent-encodes as S3 does for `encoding-type=url`: everything but unreserved characters and `/`;
    /// botocore decodes with `unquote_plus`, so `+` and spaces must be escaped too.
    public static func urlEncode(_ s: String) -> String {
        SigV4.percentEncode(s, keepSlash: true)
    }
}
