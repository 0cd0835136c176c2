import CairnCore

/// A response ready for the HTTP layer.
public struct WireResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension AWSProtocol {
    /// Encodes a successful operation's output the way this protocol returns it.
    public func encodeOutput(_ output: JSONValue, operation: String, requestId: String) -> WireResponse {
        switch self {
        case .json:
            return WireResponse(headers: [("Content-Type", jsonContentType), ("x-amzn-RequestId", requestId)],
                                body: output.serialized(timestamps: .epochSeconds))
        case .restJSON:
            return WireResponse(headers: [("Content-Type", "application/json"), ("x-amzn-RequestId", requestId)],
                                body: output.serialized(timestamps: .epochMilliseconds))
        case .query(_, let xmlns):
            var w = XMLWriter()
            w.open("\(operation)Response", xmlns: xmlns)
            if case .object(let members) = output, !members.isEmpty {
                w.open("\(operation)Result")
                for (key, value) in members { w.value(key, value) }
                w.close("\(operation)Result")
            }
            w.open("ResponseMetadata")
            w.element("RequestId", requestId)
            w.close("ResponseMetadata")
            w.close("\(operation)Response")
            return WireResponse(headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestId)], body: w.bytes)
        case .restXML:
            return WireResponse(headers: [("x-amz-request-id", requestId)], body: [])
        }
    }

    /// Encodes an error in this protocol's shape (botocore's parsers, `aws-wire.md` §1.4).
    public func encodeError(_ error: AWSError, requestId: String, isHead: Bool = false) -> WireResponse {
        switch self {
        case .json(_, let prefix):
            var headers: [(String, String)] = [("Content-Type", jsonContentType), ("x-amzn-RequestId", requestId)]
            let type: String
            if let queryCode = error.queryCode {
                headers.append(("x-amzn-query-error", "\(queryCode);\(error.fault.rawValue)"))
                let namespace = prefix == "AmazonSQS" ? "com.amazonaws.sqs" : prefix
                type = "\(namespace)#\(error.code)"
            } else {
                type = error.code
            }
            let body: JSONValue = ["__type": .string(type), "message": .string(error.message)]
            return WireResponse(status: error.status, headers: headers, body: body.serialized())
        case .restJSON:
            let body: JSONValue = ["__type": .string(error.code), "message": .string(error.message)]
            return WireResponse(status: error.status,
                                headers: [("Content-Type", "application/json"), ("x-amzn-RequestId", requestId),
                                          ("x-amzn-ErrorType", error.code)],
                                body: body.serialized())
        case .query(_, let xmlns):
            var w = XMLWriter()
            w.open("ErrorResponse", xmlns: xmlns)
            w.open("Error")
            w.element("Type", error.fault.rawValue)
            w.element("Code", error.code)
            w.element("Message", error.message)
            w.close("Error")
            w.element("RequestId", requestId)
            w.close("ErrorResponse")
            return WireResponse(status: error.status,
                                headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestId)], body: w.bytes)
        case .restXML:
            let headers: [(String, String)] = [("x-amz-request-id", requestId), ("x-amz-id-2", requestId)] + error.headers
            if isHead { return WireResponse(status: error.status, headers: headers) }
            var w = XMLWriter(declaration: true)
            w.open("Error")
            w.element("Code", error.code)
            w.element("Message", error.message)
            for (k, v) in error.extra { w.element(k, v) }
            w.element("RequestId", requestId)
            w.element("HostId", requestId)
            w.close("Error")
            return WireResponse(status: error.status, headers: headers + [("Content-Type", "application/xml")], body: w.bytes)
        }
    }
}
