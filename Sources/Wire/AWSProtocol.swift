/// The wire protocols of the AWS services Cairn speaks (botocore model `metadata.protocol`).
public enum AWSProtocol: Sendable, Equatable {
    /// `json` 1.0 or 1.1: `POST /` with `X-Amz-Target: <prefix>.<Operation>`.
    case json(version: String, targetPrefix: String)
    /// `query`: form-encoded `Action=<Operation>&Version=<apiVersion>`; XML responses in `xmlns`.
    case query(apiVersion: String, xmlNamespace: String)
    /// `rest-json`: method + path, JSON bodies.
    case restJSON
    /// `rest-xml`: method + path, XML bodies.
    case restXML(xmlNamespace: String)

    /// The response content type for JSON protocols.
    public var jsonContentType: String {
        if case .json(let version, _) = self { return "application/x-amz-json-\(version)" }
        return "application/json"
    }
}
