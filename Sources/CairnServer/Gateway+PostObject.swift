import CairnCore
import Foundation
import Hummingbird
import ObjectStore
import Wire

/// S3 browser-form uploads (POST Object, e.g. boto3's `generate_presigned_post`): the credentials and a signed policy
/// are form fields, checked before a byte of the file is stored; the object is then written as PutObject writes it
/// and recorded as `PostObject`.
extension Gateway {
    /// Form fields that become the object's headers, as PutObject takes them.
    static let postObjectHeaderFields = [
        "cache-control", "content-disposition", "content-encoding", "expires", "x-amz-storage-class",
        "x-amz-website-redirect-location",
    ]

    func respondPostObject(request: Request, path: String, headers: [String: [String]], contentType: String,
                           requestId: String, context: CairnRequestContext) async -> Response {
        let xml = AWSProtocol.restXML(xmlNamespace: "")
        func fail(_ e: AWSError) -> Response { render(xml.encodeError(e, requestId: requestId)) }
        let host = headers["host"]?.first ?? "localhost"
        guard let bucket = S3Service.postBucket(host: host, rawPath: path) else {
            return fail(AWSError(code: "MethodNotAllowed", status: 405, message: "The specified method is not allowed against this resource."))
        }
        guard let form = PostObjectForm(contentType: contentType, body: BodyIterator(request.body)) else {
            return fail(S3PostError.malformed("The body of your POST request is not well-formed multipart/form-data: it names no boundary."))
        }
        do {
            try await form.readFields()
        } catch let e as AWSError {
            return fail(e)
        } catch {
            return fail(S3PostError.malformed("The body of your POST request is not well-formed multipart/form-data."))
        }
        let fields = form.fields
        guard var key = fields["key"] else {
            return fail(S3Error.invalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
                                                name: "key", value: nil))
        }
        let unsigned = AWSError(code: "AccessDenied", status: 403,
                                message: "Bucket POST must be signed: a policy with x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature (SigV4) or AWSAccessKeyId and signature (SigV2). Cairn accepts no anonymous form uploads.")
        guard let policyText = fields["policy"] else { return fail(unsigned) }
        if fields["tagging"] != nil {
            return fail(S3Error.notImplemented("object tagging in a POST form"))
        }
        let now = clock.now()
        let caller: Authenticator.Authenticated
        let region: String
        let policy: PostPolicy
        do {
            if fields["x-amz-algorithm"] == SigV4.algorithm, let credential = fields["x-amz-credential"],
               let amzDate = fields["x-amz-date"], let signature = fields["x-amz-signature"] {
                (caller, region) = try await authenticator.authenticatePostPolicy(
                    credential: credential, amzDate: amzDate, policy: policyText, signature: signature,
                    securityToken: fields["x-amz-security-token"], now: now)
            } else if let keyId = fields["awsaccesskeyid"], let signature = fields["signature"] {
                // SigV2 (boto3's default for generate_presigned_post): the policy's expiration is its only limit.
                caller = try await authenticator.authenticateV2(
                    accessKeyId: keyId, signature: signature, stringToSign: policyText, expires: .distantFuture,
                    securityToken: fields["x-amz-security-token"], now: now)
                region = defaultRegion
            } else {
                return fail(unsigned)
            }
            policy = try PostPolicy(base64: policyText)
            try policy.check(fields: fields, bucket: bucket, now: now)
        } catch let e as AuthenticationError {
            return fail(e.awsError(for: xml))
        } catch let e as AWSError {
            return fail(e)
        } catch {
            return fail(S3PostError.malformed("\(error)"))
        }
        if let filename = form.filename { key = key.replacingOccurrences(of: "${filename}", with: filename) }
        form.lengthRange = policy.contentLengthRange

        var objectHeaders: [String: [String]] = ["host": [host], "content-type": [fields["content-type"] ?? "binary/octet-stream"]]
        for (name, value) in fields where Self.postObjectHeaderFields.contains(name) || name.hasPrefix("x-amz-meta-") {
            objectHeaders[name] = [value]
        }
        var query: [String] = []
        for name in ["success_action_status", "success_action_redirect"] {
            if let value = fields[name] { query.append(name + "=" + SigV4.percentEncode(value, keepSlash: false)) }
        }
        let rest = RESTRequest(method: "PUT", rawPath: S3Service.objectPath(host: host, bucket: bucket, key: key),
                               rawQuery: query.joined(separator: "&"), headers: objectHeaders,
                               body: Wire.RequestBody { try await form.nextFileChunk() }, authenticationMethod: "POST")
        guard let service = registry.restService(signingName: "s3", for: rest) else {
            return fail(AWSError(code: "UnknownServiceException", status: 400, message: "Cairn does not serve S3 here."))
        }
        let call = CallContext(
            requestId: requestId, principal: caller.principal, accountId: caller.accountId, region: region,
            sourceIPAddress: context.remoteAddress, userAgent: headers["user-agent"]?.first ?? "", host: host, receivedAt: now)
        var route: RESTRoute
        switch service.route(rest, context: call) {
        case .success(let r): route = r
        case .failure(let e): return fail(e)
        }
        guard route.operation == "PutObject" else { return fail(S3Error.invalidURI) }
        route.operation = "PostObject"
        return await runREST(service: service, route: route, request: rest, call: call, isHead: false)
    }
}
