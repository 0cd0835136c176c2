import CairnCore
import Policies
import Foundation
import Storage
import Wire

extension S3Service {
    static func iso(_ millis: Int64) -> String {
        Timestamp.iso8601(Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    func listBuckets(_ request: RESTRequest, context: CallContext) async throws -> RESTResult {
        let prefix = request.query["prefix"] ?? ""
        var buckets = try await catalog.buckets(accountId: context.accountId).filter { $0.name.hasPrefix(prefix) }
        if let region = request.query["bucket-region"] { buckets = buckets.filter { $0.region == region } }
        if let token = request.query["continuation-token"] { buckets = buckets.filter { $0.name > token } }
        var next: String?
        if let max = request.query["max-buckets"] {
            guard let n = Int(max), (1...10000).contains(n) else {
                throw S3Error.invalidArgument("Argument max-buckets must be an integer between 1 and 10000", name: "max-buckets", value: max)
            }
            if buckets.count > n { buckets = Array(buckets.prefix(n)); next = buckets.last?.name }
        }
        var w = XMLWriter(declaration: true)
        w.open("ListAllMyBucketsResult", xmlns: Self.namespace)
        w.open("Owner")
        w.element("ID", Self.canonicalUserId(context.accountId))
        w.element("DisplayName", "cairn-\(context.accountId)")
        w.close("Owner")
        w.open("Buckets")
        for b in buckets {
            w.open("Bucket")
            w.element("Name", b.name)
            w.element("CreationDate", Self.iso(b.createdAt))
            w.element("BucketRegion", b.region)
            w.close("Bucket")
        }
        w.close("Buckets")
        if let next { w.element("ContinuationToken", next) }
        if request.query["prefix"] != nil { w.element("Prefix", prefix) }
        w.close("ListAllMyBucketsResult")
        return RESTResult(.xml(w))
    }

    /// A stable, 64-hex canonical user id per account.
    static func canonicalUserId(_ accountId: String) -> String {
        SigV4.hexSHA256(Array("cairn-canonical-user:\(accountId)".utf8))
    }

    func createBucket(_ name: String, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        guard S3Target.isValidBucketName(name) else { throw S3Error.invalidBucketName(name) }
        let body = try await request.body.collect(limit: 64 * 1024)
        var constraint: String?
        if !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            guard let doc = XMLElement.parse(body), doc.name == "CreateBucketConfiguration" else { throw S3Error.malformedXML }
            if let c = doc.text("LocationConstraint"), !c.isEmpty { constraint = c == "EU" ? "eu-west-1" : c }
        }
        if constraint == "us-east-1" {
            throw AWSError(code: "InvalidLocationConstraint", status: 400, message: "The specified location-constraint is not valid",
                           extra: [("LocationConstraint", "us-east-1")])
        }
        if let constraint, !Self.isRegionName(constraint) {
            throw AWSError(code: "InvalidLocationConstraint", status: 400, message: "The specified location-constraint is not valid",
                           extra: [("LocationConstraint", constraint)])
        }
        let region = constraint ?? "us-east-1"
        // As in AWS: a request signed for us-east-1 (the global endpoint) may create a bucket in any region; any other
        // region's endpoint creates buckets in its own region only.
        if region != context.region, context.region != "us-east-1" {
            throw AWSError(code: "IllegalLocationConstraintException", status: 400,
                           message: "The \(constraint ?? "unspecified") location constraint is incompatible for the region specific endpoint this request was sent to.")
        }
        do {
            try await catalog.createBucket(BucketRecord(name: name, accountId: context.accountId, region: region, createdAt: nowMillis()))
        } catch let e as StoreError where e.isDuplicate {
            let existing = try await catalog.bucket(named: name)
            if existing?.accountId == context.accountId {
                // As in AWS: us-east-1 answers 200 for a bucket you already own there; other regions say so.
                if region == "us-east-1", existing?.region == "us-east-1" { return RESTResult(RESTResponse(headers: [("Location", "/" + name)])) }
                throw S3Error.bucketAlreadyOwnedByYou(name)
            }
            throw S3Error.bucketAlreadyExists(name)
        }
        return RESTResult(RESTResponse(headers: [("Location", "/" + name)]))
    }

    /// `eu-west-1`, `us-gov-east-1`, `ap-southeast-2`: the shape of an AWS region name.
    static func isRegionName(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let last = parts.last, last.allSatisfy(\.isASCII), Int(last) != nil else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isLowercase } }
    }

    func deleteBucket(_ bucket: BucketRecord) async throws -> RESTResult {
        do {
            try await catalog.deleteBucket(named: bucket.name)
        } catch let e as StoreError where e.isConflict {
            throw S3Error.bucketNotEmpty(bucket.name)
        }
        return RESTResult(RESTResponse(status: 204))
    }

    func getBucketLocation(_ bucket: BucketRecord) -> RESTResult {
        var w = XMLWriter(declaration: true)
        w.open("LocationConstraint", xmlns: Self.namespace)
        if bucket.region != "us-east-1" { w.appendEscaped(bucket.region) }
        w.close("LocationConstraint")
        return RESTResult(.xml(w))
    }

    func putBucketPolicy(_ bucket: BucketRecord, request: RESTRequest) async throws -> RESTResult {
        let body = try await request.body.collect(limit: 20 * 1024)
        guard let text = String(validating: body, as: UTF8.self), let policy = try? JSONValue.parse(body),
              case .object = policy
        else { throw S3Error.malformedPolicy("Policies must be valid JSON and the first byte must be '{'") }
        switch policy["Statement"] {
        case .array(let statements)? where !statements.isEmpty: break
        case .object?: break
        default: throw S3Error.malformedPolicy("Missing required field Statement")
        }
        // Bucket policies are evaluated for every call: one S3 would refuse is never stored.
        do {
            _ = try PolicyDocument(json: text, kind: .resource)
        } catch {
            throw S3Error.malformedPolicy(error.message)
        }
        try await catalog.setBucketPolicy(text, bucket: bucket.name)
        return RESTResult(RESTResponse(status: 204))
    }

    func getBucketPolicy(_ bucket: BucketRecord) throws -> RESTResult {
        guard let policy = bucket.policy else { throw S3Error.noSuchBucketPolicy(bucket.name) }
        return RESTResult(RESTResponse(headers: [("Content-Type", "application/json")], payload: .bytes(Array(policy.utf8))))
    }
}
