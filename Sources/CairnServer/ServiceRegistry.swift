import Wire

/// The services on the one port, found by SigV4 signing name.
public struct ServiceRegistry: Sendable {
    let bySigningName: [String: any AWSService]

    public init(_ services: [any AWSService]) {
        var map: [String: any AWSService] = [:]
        for s in services { map[s.descriptor.signingName] = s }
        self.bySigningName = map
    }

    public func service(signingName: String) -> (any AWSService)? { bySigningName[signingName] }

    /// Signing names, sorted, for the health endpoint.
    public var names: [String] { bySigningName.keys.sorted() }

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
