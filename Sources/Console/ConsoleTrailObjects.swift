import CairnCore
import Foundation
import TrailIntegrity
import Wire

/// A trail's bucket as the signed-in person reads it: ListObjectsV2 and GetObject through the console's backend,
/// authorized and recorded as theirs, as `aws cloudtrail validate-logs` reads it with their keys.
struct ConsoleTrailObjects: TrailObjectSource {
    let backend: any ConsoleBackend
    let caller: ConsoleCaller

    /// A call the validator cannot go on without (denied, or the bucket is gone): it ends the validation with this.
    struct Refused: Error {
        var error: AWSError
    }

    /// One ListObjectsV2 page: the validator asks again after the last key until it has what it needs.
    func keys(bucket: String, prefix: String, startAfter: String?) async throws -> [String] {
        var query = "list-type=2&prefix=" + SigV4.percentEncode(prefix, keepSlash: false)
        if let startAfter { query += "&start-after=" + SigV4.percentEncode(startAfter, keepSlash: false) }
        let answer = try await get("/" + SigV4.percentEncode(bucket, keepSlash: false), query: query)
        return XMLElement.parse(answer.body)?.children("Contents").compactMap { $0.text("Key") } ?? []
    }

    func object(bucket: String, key: String) async throws -> (body: [UInt8], metadata: [String: String])? {
        let answer: ConsoleRESTResponse
        do {
            answer = try await get("/" + SigV4.percentEncode(bucket, keepSlash: false) + "/" + SigV4.percentEncode(key, keepSlash: true), query: "")
        } catch let refused as Refused where refused.error.code == "NoSuchKey" {
            return nil
        }
        var metadata: [String: String] = [:]
        for (name, value) in answer.headers where name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(name.lowercased().dropFirst("x-amz-meta-".count))] = value
        }
        return (answer.body, metadata)
    }

    func get(_ path: String, query: String) async throws -> ConsoleRESTResponse {
        switch await backend.callREST("s3", "GET", path, query: query, headers: [:], body: [], as: caller) {
        case .success(let answer): return answer
        case .failure(let e): throw Refused(error: e)
        }
    }
}
