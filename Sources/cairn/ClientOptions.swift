import ArgumentParser
import CairnCore
import Foundation

/// How the CLI finds a running server and credentials — the way the aws CLI does.
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("endpoint-url"), help: "Cairn's URL (else AWS_ENDPOINT_URL_CLOUDTRAIL, AWS_ENDPOINT_URL, http://127.0.0.1:4566).")
    var endpointURL: String?
    @Option(help: "Profile in the shared credentials/config files (else AWS_PROFILE, default).")
    var profile: String?
    @Option(help: "Region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1).")
    var region: String?

    struct Credentials {
        var accessKeyId: String
        var secretAccessKey: String
        var sessionToken: String?
    }

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func resolvedEndpoint() -> String {
        endpointURL ?? environment["AWS_ENDPOINT_URL_CLOUDTRAIL"] ?? environment["AWS_ENDPOINT_URL"] ?? "http://127.0.0.1:4566"
    }

    var profileName: String { profile ?? environment["AWS_PROFILE"] ?? "default" }

    func resolvedRegion() -> String {
        if let region { return region }
        if let r = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] { return r }
        let path = environment["AWS_CONFIG_FILE"] ?? NSString(string: "~/.aws/config").expandingTildeInPath
        let section = profileName == "default" ? "default" : "profile \(profileName)"
        return Self.readINI(path)[section]?["region"] ?? "us-east-1"
    }

    func resolvedCredentials() throws -> Credentials {
        if profile == nil, let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] {
            return Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
        }
        let path = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? NSString(string: "~/.aws/credentials").expandingTildeInPath
        guard let p = Self.readINI(path)[profileName], let id = p["aws_access_key_id"], let secret = p["aws_secret_access_key"] else {
            throw ValidationError("No credentials for profile '\(profileName)' in \(path). Set AWS_SHARED_CREDENTIALS_FILE to Cairn's <data-dir>/credentials.")
        }
        return Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: p["aws_session_token"])
    }

    /// A minimal INI reader for the AWS shared files: `[section]` and `key = value` lines.
    static func readINI(_ path: String) -> [String: [String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var out: [String: [String: String]] = [:]
        var section = ""
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            out[section, default: [:]][line[..<eq].trimmingCharacters(in: .whitespaces)] =
                line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }
}
