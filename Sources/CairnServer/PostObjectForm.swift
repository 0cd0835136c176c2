import Foundation
import MultipartKit
import NIOCore
import Wire

/// An S3 browser-form upload's `multipart/form-data` body, read as it streams: the fields first (bounded), then the
/// `file` part's bytes, chunk by chunk, for the object store. Fields after `file` are ignored, as S3 does.
///
/// One task reads it (the request's); `@unchecked Sendable` only because the object store pulls the file's chunks
/// through a `@Sendable` closure.
final class PostObjectForm: @unchecked Sendable {
    /// S3's limit for the form's fields, everything but the file.
    static let maxFieldBytes = 20 * 1024

    /// Field names lower-cased (S3 matches them without regard to case), values as sent.
    private(set) var fields: [String: String] = [:]
    /// The uploaded file's name (`${filename}` in the key).
    private(set) var filename: String?
    /// The policy's `content-length-range`, enforced as the file streams.
    var lengthRange: ClosedRange<Int64>?
    private var fileSize: Int64 = 0

    private let parser: MultipartParser
    private let body: BodyIterator
    private var partName: String?
    private var partValue: [UInt8] = []
    private var fieldBytes = 0
    /// The current part is the file; its headers are all read once its body starts (or it ends empty).
    private var inFile = false
    private var fileReady = false
    private var fileEnded = false
    private var pending: [[UInt8]] = []
    private var failure: AWSError?

    init?(contentType: String, body: BodyIterator) {
        guard let boundary = Self.boundary(contentType) else { return nil }
        self.body = body
        parser = MultipartParser(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in self.header(name, value) }
        parser.onBody = { [unowned self] buffer in self.bytes(&buffer) }
        parser.onPartComplete = { [unowned self] in self.partComplete() }
    }

    /// `multipart/form-data; boundary=...`, the boundary possibly quoted.
    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return (1...70).contains(value.count) ? value : nil
        }
        return nil
    }

    /// Reads until the `file` part's body begins; its first bytes wait in `pending`.
    func readFields() async throws {
        while !fileReady {
            guard let chunk = try await body.next() else {
                throw S3PostError.malformed("POST requires exactly one file upload per request.")
            }
            try feed(chunk)
        }
    }

    /// The file's next chunk, or nil after its last: the object store's body.
    func nextFileChunk() async throws -> [UInt8]? {
        while pending.isEmpty {
            if fileEnded {
                if let range = lengthRange, fileSize < range.lowerBound {
                    throw AWSError(code: "EntityTooSmall", status: 400, message: "Your proposed upload is smaller than the minimum allowed size",
                                   extra: [("ProposedSize", String(fileSize)), ("MinSizeAllowed", String(range.lowerBound))])
                }
                return nil
            }
            guard let chunk = try await body.next() else {
                throw S3PostError.malformed("The body of your POST request is not well-formed multipart/form-data.")
            }
            try feed(chunk)
        }
        let chunk = pending.removeFirst()
        fileSize += Int64(chunk.count)
        if let range = lengthRange, fileSize > range.upperBound {
            throw AWSError(code: "EntityTooLarge", status: 400, message: "Your proposed upload exceeds the maximum allowed size",
                           extra: [("MaxSizeAllowed", String(range.upperBound))])
        }
        return chunk
    }

    private func feed(_ chunk: [UInt8]) throws {
        do {
            try parser.execute(chunk)
        } catch {
            throw S3PostError.malformed("The body of your POST request is not well-formed multipart/form-data.")
        }
        if let failure { throw failure }
    }

    private func header(_ name: String, _ value: String) {
        guard !fileReady else { return }
        if name.lowercased() == "content-disposition" {
            partName = Self.parameter("name", in: value)
            if partName?.lowercased() == "file" {
                inFile = true
                filename = Self.parameter("filename", in: value)
            }
        }
    }

    /// The file part's headers are complete. (Its own Content-Type is not the object's: as in S3, that is the
    /// `Content-Type` field, else binary/octet-stream.)
    private func fileBegins() {
        fileReady = true
    }

    private func bytes(_ buffer: inout ByteBuffer) {
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        if inFile {
            fileBegins()
            if !fileEnded, !bytes.isEmpty { pending.append(bytes) }
            return
        }
        fieldBytes += bytes.count
        guard fieldBytes <= Self.maxFieldBytes else {
            failure = S3PostError.malformed("Your POST request fields preceding the upload file were too large.")
            return
        }
        partValue += bytes
    }

    private func partComplete() {
        if inFile {
            fileBegins()
            fileEnded = true
            return
        }
        if let name = partName?.lowercased() {
            guard let value = String(validating: partValue, as: UTF8.self) else {
                failure = S3PostError.malformed("The form field \(name) is not UTF-8 text.")
                return
            }
            fields[name] = value
        }
        partName = nil
        partValue = []
    }

    /// `name="value"` in a Content-Disposition header.
    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == name else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}

/// The errors S3 answers a browser-form upload with.
enum S3PostError {
    static func malformed(_ message: String) -> AWSError {
        AWSError(code: "MalformedPOSTRequest", status: 400, message: message)
    }

    static func policy(_ reason: String) -> AWSError {
        AWSError(code: "AccessDenied", status: 403, message: "Invalid according to Policy: \(reason)")
    }
}
