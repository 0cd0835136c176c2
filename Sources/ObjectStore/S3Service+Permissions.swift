import CairnCore
import Storage
import Wire

/// What IAM must allow for each S3 operation, as the Service Authorization Reference names it, and the facts
/// (bucket policy, tags) authorization reads about a bucket or object.
extension S3Service {
    /// Every operation `route` names, and `PostObject`, which the gateway names for a browser-form upload.
    static let operationNames: Set<String> = [
        "ListBuckets", "CreateBucket", "DeleteBucket", "HeadBucket", "GetBucketLocation", "GetBucketVersioning",
        "PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "ListObjects", "ListObjectsV2", "DeleteObjects",
        "PutObject", "PostObject", "CopyObject", "GetObject", "HeadObject", "DeleteObject",
        "PutObjectTagging", "GetObjectTagging", "DeleteObjectTagging",
        "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts",
    ]

    /// Every operation `route` names.
    public var operations: Set<String> { Self.operationNames }

    /// What IAM must allow for each operation.
    public var permissions: [String: PermissionRule] { Self.permissionTable }

    /// Headers S3 exposes as `s3:<header>` condition keys on writes.
    static let writeHeaderKeys = [
        "x-amz-acl", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-storage-class",
        "x-amz-website-redirect-location", "if-match", "if-none-match",
    ]

    static let permissionTable: [String: PermissionRule] = [
        "ListBuckets": rule("s3:ListAllMyBuckets", on: { _ in "*" }),
        "CreateBucket": rule("s3:CreateBucket", on: bucketARN, keys: { headerKeys($0, ["x-amz-acl", "x-amz-object-ownership"]) }),
        "DeleteBucket": rule("s3:DeleteBucket", on: bucketARN),
        // HeadBucket is authorized as listing the bucket (AWS: "you must have the s3:ListBucket permission").
        "HeadBucket": rule("s3:ListBucket", on: bucketARN),
        "GetBucketLocation": rule("s3:GetBucketLocation", on: bucketARN),
        "GetBucketVersioning": rule("s3:GetBucketVersioning", on: bucketARN),
        "PutBucketPolicy": rule("s3:PutBucketPolicy", on: bucketARN),
        "GetBucketPolicy": rule("s3:GetBucketPolicy", on: bucketARN),
        "DeleteBucketPolicy": rule("s3:DeleteBucketPolicy", on: bucketARN),
        "ListObjects": listBucket,
        "ListObjectsV2": listBucket,
        // AWS checks s3:DeleteObject on each key of the request body; the body is not read before authorization, so
        // the whole bucket's objects (`bucket/*`) stand in for them. A policy allowing only some prefixes denies the
        // call, and a Deny on a prefix does not stop it: the handler, which reads the keys, is where a per-key
        // check belongs.
        // Each key is authorized on its own by the handler (`s3:DeleteObject` on the object), as S3 does: a denied key
        // is an AccessDenied entry in the result, the others are deleted.
        "DeleteObjects": PermissionRule { _ in [] },
        "PutObject": objectWrite(),
        "PostObject": objectWrite(),
        "CreateMultipartUpload": objectWrite(),
        "CopyObject": PermissionRule.all([objectWrite(["x-amz-copy-source", "x-amz-metadata-directive"]), copySourceRead]),
        "UploadPart": rule("s3:PutObject", on: objectARN),
        "CompleteMultipartUpload": rule("s3:PutObject", on: objectARN, keys: { headerKeys($0, ["if-match", "if-none-match"]) }),
        "AbortMultipartUpload": rule("s3:AbortMultipartUpload", on: objectARN),
        "ListParts": rule("s3:ListMultipartUploadParts", on: objectARN),
        // HeadObject is authorized as reading the object.
        "GetObject": versioned("s3:GetObject", "s3:GetObjectVersion"),
        "HeadObject": versioned("s3:GetObject", "s3:GetObjectVersion"),
        "DeleteObject": versioned("s3:DeleteObject", "s3:DeleteObjectVersion"),
        "PutObjectTagging": versioned("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
        "GetObjectTagging": versioned("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
        "DeleteObjectTagging": versioned("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
    ]

    /// `arn:aws:s3:::<bucket>`, or `*` when the request names no bucket.
    @Sendable static func bucketARN(_ r: PermissionRequest) -> String {
        r.path("bucket").map { "arn:aws:s3:::\($0)" } ?? "*"
    }

    /// `arn:aws:s3:::<bucket>/<key>` (the key as routing decoded it), or `*` when the request names no object.
    @Sendable static func objectARN(_ r: PermissionRequest) -> String {
        guard let bucket = r.path("bucket"), let key = r.path("key") else { return "*" }
        return "arn:aws:s3:::\(bucket)/\(key)"
    }

    /// One S3 permission, carrying the keys every S3 action has (`s3:authType`, `s3:signatureversion`,
    /// `s3:x-amz-content-sha256`) and the operation's own.
    static func rule(_ action: String, on resource: @escaping @Sendable (PermissionRequest) -> String = bucketARN,
                     keys: @escaping @Sendable (PermissionRequest) -> [String: [String]] = { _ in [:] }) -> PermissionRule {
        PermissionRule { r in
            [Permission(action: action, resource: resource(r), keys: commonKeys(r).merging(keys(r)) { _, own in own })]
        }
    }

    /// ListObjects and ListObjectsV2: `s3:ListBucket` on the bucket, with the listing's own keys when sent.
    static let listBucket = rule("s3:ListBucket", on: bucketARN) { r in
        var keys: [String: [String]] = [:]
        for name in ["prefix", "delimiter", "max-keys"] {
            if let value = r.query[name] { keys["s3:\(name)"] = [value] }
        }
        return keys
    }

    /// An object action, or its `*Version` form when the request names a version (`?versionId=`).
    static func versioned(_ action: String, _ versionAction: String) -> PermissionRule {
        PermissionRule { r in
            let version = r.query["versionId"]
            let rule = Self.rule(version == nil ? action : versionAction, on: objectARN) { _ in
                version.map { ["s3:versionid": [$0]] } ?? [:]
            }
            return rule.permissions(for: r)
        }
    }

    /// Writing an object: `s3:PutObject` with the header keys (and `extraHeaders`) and requested tags, and
    /// `s3:PutObjectTagging` when the request sets tags (`x-amz-tagging`), as the PutObject reference requires.
    static func objectWrite(_ extraHeaders: [String] = []) -> PermissionRule {
        PermissionRule { r in objectWritePermissions(r, headers: writeHeaderKeys + extraHeaders) }
    }

    static func objectWritePermissions(_ r: PermissionRequest, headers: [String]) -> [Permission] {
        var tagKeys: [String: [String]] = [:]
        let tags = requestTags(r)
        if !tags.isEmpty {
            tagKeys["s3:RequestObjectTagKeys"] = tags.map(\.0)
            for (k, v) in tags { tagKeys["s3:RequestObjectTag/\(k)"] = [v] }
        }
        let putKeys = headerKeys(r, headers).merging(tagKeys) { _, tag in tag }, taggingKeys = tagKeys
        var rules = [rule("s3:PutObject", on: objectARN) { _ in putKeys }]
        if r.headers["x-amz-tagging"] != nil { rules.append(rule("s3:PutObjectTagging", on: objectARN) { _ in taggingKeys }) }
        return PermissionRule.all(rules).permissions(for: r)
    }

    /// CopyObject also reads its source: `s3:GetObject` (`s3:GetObjectVersion` for `?versionId=`) on the object
    /// `x-amz-copy-source` names (percent-decoded, the version stripped); `*` when the header names none.
    static let copySourceRead = PermissionRule { r in
        let header = r.headers["x-amz-copy-source"]?.first ?? ""
        let query = header.firstIndex(of: "?").map { QueryForm(encoded: String(header[header.index(after: $0)...])) }
        let version = query?["versionId"]
        let resource = copySource(header).map { "arn:aws:s3:::\($0.0)/\($0.1)" } ?? "*"
        let rule = Self.rule(version == nil ? "s3:GetObject" : "s3:GetObjectVersion", on: { _ in resource })
        return rule.permissions(for: r)
    }

    /// `s3:<header>` for each of `names` the request sends.
    static func headerKeys(_ r: PermissionRequest, _ names: [String]) -> [String: [String]] {
        var keys: [String: [String]] = [:]
        for name in names {
            if let values = r.headers[name], !values.isEmpty { keys["s3:\(name)"] = values }
        }
        return keys
    }

    /// The tags `x-amz-tagging` asks for (`k=v&k2=v2`), in order; empty when it is absent.
    static func requestTags(_ r: PermissionRequest) -> [(String, String)] {
        guard let header = r.headers["x-amz-tagging"]?.first else { return [] }
        return QueryForm(encoded: header).fields
    }

    /// How the request authenticated: `s3:authType` (`REST-HEADER`, `REST-QUERY-STRING`, `POST`), `s3:signatureversion`
    /// (`AWS4-HMAC-SHA256`, or `AWS` for SigV2) and `s3:x-amz-content-sha256`, each when it can be told.
    static func commonKeys(_ r: PermissionRequest) -> [String: [String]] {
        var keys: [String: [String]] = [:]
        if let hash = r.headers["x-amz-content-sha256"]?.first { keys["s3:x-amz-content-sha256"] = [hash] }
        if r.operation == "PostObject" {
            keys["s3:authType"] = ["POST"]
        } else if let authorization = r.headers["authorization"]?.first {
            keys["s3:authType"] = ["REST-HEADER"]
            keys["s3:signatureversion"] = [authorization.hasPrefix("AWS4-HMAC-SHA256") ? "AWS4-HMAC-SHA256" : "AWS"]
        } else {
            let names = Set(r.query.fields.map { $0.0.lowercased() })
            if names.contains("x-amz-signature") {
                keys["s3:authType"] = ["REST-QUERY-STRING"]
                keys["s3:signatureversion"] = ["AWS4-HMAC-SHA256"]
            } else if names.contains("signature") {
                keys["s3:authType"] = ["REST-QUERY-STRING"]
                keys["s3:signatureversion"] = ["AWS"]
            }
        }
        return keys
    }

    /// A bucket's policy and tags (`arn:aws:s3:::<bucket>`); for an object (`arn:aws:s3:::<bucket>/<key>`) its
    /// bucket's policy and the object's own tags (empty when the object does not exist yet, as for a PutObject).
    /// Nil when the ARN is not S3's or the bucket does not exist. Bucket names are global, so the bucket is found
    /// whichever account asks: its policy is what may grant or deny another account.
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? {
        let prefix = "arn:aws:s3:::"
        guard arn.hasPrefix(prefix) else { return nil }
        let rest = arn.dropFirst(prefix.count)
        let slash = rest.firstIndex(of: "/")
        let name = String(slash.map { rest[..<$0] } ?? rest)
        guard !name.isEmpty, let bucket = try await catalog.bucket(named: name) else { return nil }
        guard let slash else { return ResourceFacts(policy: bucket.policy, tags: bucket.tags) }
        let key = String(rest[rest.index(after: slash)...])
        let object = key.isEmpty ? nil : try await catalog.object(bucket: name, key: key)
        // An object's tags are `s3:ExistingObjectTag/<key>` (not `aws:ResourceTag`), as S3 names them.
        var keys: [String: [String]] = [:]
        for (k, v) in object?.tags ?? [:] { keys["s3:ExistingObjectTag/\(k)"] = [v] }
        return ResourceFacts(policy: bucket.policy, keys: keys)
    }
}
