import CairnCore
import Foundation
import Storage
import Wire

/// The built-in object store, spoken as S3 (rest-xml). Metadata lives in the catalog, bytes in the blob store.
public struct S3Service: RESTService {
    public static let namespace = "http://s3.amazonaws.com/doc/2006-03-01/"
    /// Object-level operations: CloudTrail data events, never in event history.
    public static let dataEvents: Set<String> = [
        "PutObject", "PostObject", "GetObject", "HeadObject", "DeleteObject", "DeleteObjects", "CopyObject", "ListObjects",
        "ListObjectsV2", "PutObjectTagging", "GetObjectTagging", "DeleteObjectTagging", "CreateMultipartUpload", "UploadPart",
        "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts",
    ]
    /// The largest single PUT S3 accepts (5 GiB).
    static let maxObjectSize: Int64 = 5 * 1024 * 1024 * 1024
    /// Sub-resources Cairn does not serve; asking for one is `NotImplemented`, never a silent wrong answer.
    static let unsupportedSubresources: [String] = [
        "acl", "cors", "lifecycle", "website", "versions", "replication", "encryption", "logging", "notification",
        "object-lock", "ownershipControls", "publicAccessBlock", "accelerate", "requestPayment", "analytics", "inventory",
        "metrics", "intelligent-tiering", "legal-hold", "retention", "restore", "select", "torrent", "attributes",
        // Newer operations: routed by method alone, RenameObject would have been a PutObject emptying its target.
        "renameObject", "session", "policyStatus", "abac", "metadataConfiguration", "metadataTable",
        "metadataInventoryTable", "metadataJournalTable",
    ]

    public let descriptor = ServiceDescriptor(
        signingName: "s3", eventSource: "s3.amazonaws.com", wireProtocol: .restXML(xmlNamespace: S3Service.namespace),
        dataEventOperations: S3Service.dataEvents)

    let catalog: any ObjectCatalog
    let blobs: any Blobs
    let clock: any WallClock

    /// Deletes blobs no object or part refers to: written by an upload whose commit a crash prevented. Runs at start,
    /// before any request of this node (blobs of other nodes' uploads in progress are too young to count). Returns
    /// how many it deleted.
    public func sweepOrphanBlobs() async throws -> Int {
        let orphans = try await blobs.orphans(referenced: try await catalog.referencedBlobs())
        await blobs.delete(orphans)
        return orphans.count
    }

    public init(catalog: any ObjectCatalog, blobs: any Blobs, clock: any WallClock) {
        self.catalog = catalog
        self.blobs = blobs
        self.clock = clock
    }

    /// The bucket a browser-form upload names: a POST to the bucket's own URL, in either addressing style.
    public static func postBucket(host: String, rawPath: String) -> String? {
        guard case .success(let target) = S3Target.parse(host: host, rawPath: rawPath), target.key == nil else { return nil }
        return target.bucket
    }

    /// The raw path of `key` in `bucket`, in the addressing style `host` uses.
    public static func objectPath(host: String, bucket: String, key: String) -> String {
        let encoded = SigV4.percentEncode(key, keepSlash: true)
        return S3Target.virtualHostBucket(host) == nil ? "/\(bucket)/\(encoded)" : "/\(encoded)"
    }

    public func accepts(_ request: RESTRequest) -> Bool {
        !request.rawPath.hasPrefix("/v20180820/")
    }

    public func route(_ request: RESTRequest, context: CallContext) -> Result<RESTRoute, AWSError> {
        let target: S3Target
        switch S3Target.parse(host: context.host, rawPath: request.rawPath) {
        case .success(let t): target = t
        case .failure(let e): return .failure(e)
        }
        var parameters: [(String, JSONValue)] = []
        var resources: [CloudTrailRecord.Resource] = []
        if let bucket = target.bucket {
            parameters.append(("bucketName", .string(bucket)))
            parameters.append(("Host", .string(context.host)))
            if let key = target.key {
                parameters.append(("key", .string(key)))
                resources.append(.init(type: "AWS::S3::Object", name: "arn:aws:s3:::\(bucket)/\(key)",
                                       arn: "arn:aws:s3:::\(bucket)/\(key)"))
            }
            resources.append(.init(type: "AWS::S3::Bucket", name: bucket, arn: "arn:aws:s3:::\(bucket)"))
        } else {
            parameters.append(("Host", .string(context.host)))
        }
        // Presigned URLs' credentials (either signature version, any case) are not request parameters.
        for (name, value) in request.query.fields
        where !name.lowercased().hasPrefix("x-amz-") && !["awsaccesskeyid", "signature", "expires"].contains(name.lowercased()) {
            parameters.append((name, .string(value)))
        }
        var path: [String: String] = [:]
        if let bucket = target.bucket { path["bucket"] = bucket }
        if let key = target.key { path["key"] = key }
        return Self.operation(method: request.method, target: target, request: request).map {
            RESTRoute(operation: $0, pathParameters: path, requestParameters: .object(parameters), resources: resources)
        }
    }

    /// Method + bucket/key + sub-resource → operation name.
    static func operation(method: String, target: S3Target, request: RESTRequest) -> Result<String, AWSError> {
        for name in unsupportedSubresources where request.hasSubresource(name) {
            return .failure(S3Error.notImplemented("the '\(name)' sub-resource"))
        }
        guard target.bucket != nil else {
            return method == "GET" ? .success("ListBuckets") : .failure(S3Error.methodNotAllowed)
        }
        let has = request.hasSubresource
        if target.key == nil {
            switch method {
            case "PUT":
                if has("policy") { return .success("PutBucketPolicy") }
                if has("tagging") || has("versioning") { return .failure(S3Error.notImplemented("bucket tagging and versioning changes")) }
                return .success("CreateBucket")
            case "GET":
                if has("location") { return .success("GetBucketLocation") }
                if has("policy") { return .success("GetBucketPolicy") }
                if has("versioning") { return .success("GetBucketVersioning") }
                if has("uploads") { return .failure(S3Error.notImplemented("ListMultipartUploads")) }
                if has("tagging") { return .failure(S3Error.notImplemented("bucket tagging")) }
                if request.query["list-type"] == "2" { return .success("ListObjectsV2") }
                return .success("ListObjects")
            case "HEAD": return .success("HeadBucket")
            case "DELETE":
                if has("policy") { return .success("DeleteBucketPolicy") }
                if has("tagging") { return .failure(S3Error.notImplemented("bucket tagging")) }
                return .success("DeleteBucket")
            case "POST":
                if has("delete") { return .success("DeleteObjects") }
                return .failure(S3Error.methodNotAllowed)
            default: return .failure(S3Error.methodNotAllowed)
            }
        }
        switch method {
        case "PUT":
            if has("tagging") { return .success("PutObjectTagging") }
            if has("uploadId") {
                if request.header("x-amz-copy-source") != nil { return .failure(S3Error.notImplemented("UploadPartCopy")) }
                return .success("UploadPart")
            }
            if request.header("x-amz-copy-source") != nil { return .success("CopyObject") }
            return .success("PutObject")
        case "GET":
            if has("tagging") { return .success("GetObjectTagging") }
            if has("uploadId") { return .success("ListParts") }
            return .success("GetObject")
        case "HEAD": return .success("HeadObject")
        case "DELETE":
            if has("tagging") { return .success("DeleteObjectTagging") }
            if has("uploadId") { return .success("AbortMultipartUpload") }
            return .success("DeleteObject")
        case "POST":
            if has("uploads") { return .success("CreateMultipartUpload") }
            if has("uploadId") { return .success("CompleteMultipartUpload") }
            return .failure(S3Error.methodNotAllowed)
        default: return .failure(S3Error.methodNotAllowed)
        }
    }

    public func handle(_ route: RESTRoute, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        let bucketName = route.pathParameters["bucket"] ?? ""
        let key = route.pathParameters["key"] ?? ""
        if key.utf8.count > 1024 { throw S3Error.keyTooLong(key.utf8.count) }
        switch route.operation {
        case "ListBuckets": return try await listBuckets(request, context: context)
        case "CreateBucket": return try await createBucket(bucketName, request: request, context: context)
        default: break
        }
        let bucket = try await ownedBucket(bucketName, context: context)
        switch route.operation {
        case "HeadBucket": return RESTResult(RESTResponse(headers: [("x-amz-bucket-region", bucket.region)]))
        case "DeleteBucket": return try await deleteBucket(bucket)
        case "GetBucketLocation": return getBucketLocation(bucket)
        case "GetBucketVersioning":
            var w = XMLWriter(declaration: true)
            w.open("VersioningConfiguration", xmlns: Self.namespace)
            w.close("VersioningConfiguration")
            return RESTResult(.xml(w))
        case "PutBucketPolicy": return try await putBucketPolicy(bucket, request: request)
        case "GetBucketPolicy": return try getBucketPolicy(bucket)
        case "DeleteBucketPolicy":
            try await catalog.setBucketPolicy(nil, bucket: bucket.name)
            return RESTResult(RESTResponse(status: 204))
        case "ListObjects": return try await listObjects(bucket, request: request, v2: false)
        case "ListObjectsV2": return try await listObjects(bucket, request: request, v2: true)
        case "DeleteObjects": return try await deleteObjects(bucket, request: request, context: context)
        case "PutObject": return try await putObject(bucket, key: key, request: request, context: context)
        case "PostObject": return try await postObject(bucket, key: key, request: request, context: context)
        case "CopyObject": return try await copyObject(bucket, key: key, request: request, context: context)
        case "GetObject": return try await getObject(bucket, key: key, request: request, head: false)
        case "HeadObject": return try await getObject(bucket, key: key, request: request, head: true)
        case "DeleteObject": return try await deleteObject(bucket, key: key)
        case "PutObjectTagging": return try await putObjectTagging(bucket, key: key, request: request)
        case "GetObjectTagging": return try await getObjectTagging(bucket, key: key)
        case "DeleteObjectTagging":
            guard try await catalog.setObjectTags([:], bucket: bucket.name, key: key) else { throw S3Error.noSuchKey(key) }
            return RESTResult(RESTResponse(status: 204))
        case "CreateMultipartUpload": return try await createUpload(bucket, key: key, request: request, context: context)
        case "UploadPart": return try await uploadPart(bucket, key: key, request: request)
        case "CompleteMultipartUpload": return try await completeUpload(bucket, key: key, request: request, context: context)
        case "AbortMultipartUpload": return try await abortUpload(bucket, key: key, request: request)
        case "ListParts": return try await listParts(bucket, key: key, request: request)
        default: throw AWSError.unknownOperation(route.operation)
        }
    }

    /// The bucket, if it exists and the caller's account owns it.
    func ownedBucket(_ name: String, context: CallContext) async throws -> BucketRecord {
        guard let bucket = try await catalog.bucket(named: name) else { throw S3Error.noSuchBucket(name) }
        guard bucket.accountId == context.accountId || context.principal.isAWSService else { throw S3Error.accessDenied() }
        return bucket
    }

    func nowMillis() -> Int64 { Int64((clock.now().timeIntervalSince1970 * 1000).rounded()) }
}

extension Principal {
    /// An AWS service principal (`cloudtrail.amazonaws.com`) writing on a customer's behalf.
    var isAWSService: Bool {
        if case .awsService = self { return true }
        return false
    }
}
