import Wire

/// The services on the one port, found by SigV4 signing name.
public struct ServiceRegistry: Sendable {
    let bySigningName: [String: any AWSService]
    /// REST services by signing name; several may share one (`s3` serves S3 and S3 Control), told apart by `accepts`.
    let restBySigningName: [String: [any RESTService]]

    public init(_ services: [any AWSService], rest: [any RESTService] = []) {
        var map: [String: any AWSService] = [:]
        for s in services { map[s.descriptor.signingName] = s }
        self.bySigningName = map
        var restMap: [String: [any RESTService]] = [:]
        for s in rest { restMap[s.descriptor.signingName, default: []].append(s) }
        self.restBySigningName = restMap
    }

    public func service(signingName: String) -> (any AWSService)? { bySigningName[signingName] }

    /// The REST service for this signing name that accepts the request.
    public func restService(signingName: String, for request: RESTRequest) -> (any RESTService)? {
        restBySigningName[signingName]?.first { $0.accepts(request) }
    }

    /// Whether some REST service signs with this name.
    func servesREST(_ signingName: String) -> Bool { restBySigningName[signingName] != nil }

    /// Every service, for checks that must hold of all of them (each operation has an authorization rule).
    public var services: [any AWSService] { bySigningName.keys.sorted().compactMap { bySigningName[$0] } }
    public var restServices: [any RESTService] { restBySigningName.keys.sorted().flatMap { restBySigningName[$0] ?? [] } }

    /// Signing names, sorted, for the health endpoint.
    public var names: [String] { Set(bySigningName.keys).union(restBySigningName.keys).sorted() }

    /// Guesses the protocol of an unauthenticated request so its error comes back in a shape the client reads.
    func guessProtocol(target: String?, contentType: String?) -> AWSProtocol {
        if let target {
            for s in bySigningName.values {
                if case .json(_, let prefix) = s.descriptor.wireProtocol, target.hasPrefix(prefix + ".") {
                    return s.descriptor.wireProtocol
                }
            }
            return .json(version: "1.1", targetPrefix: "")
        }
        if contentType?.hasPrefix("application/x-www-form-urlencoded") == true {
            return .query(apiVersion: "", xmlNamespace: "https://sts.amazonaws.com/doc/2011-06-15/")
        }
        return .json(version: "1.1", targetPrefix: "")
    }
}
