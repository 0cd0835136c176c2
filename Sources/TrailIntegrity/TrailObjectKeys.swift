import Foundation

/// S3 object keys of trail log files and digest files (aws-wire.md §5.1, §5.2).
///
/// Dates in keys are UTC. A `nil` or empty prefix means none, as `validate-logs` treats it.
public enum TrailObjectKeys {
    /// The key of a log file delivered at `deliveryTime`:
    /// `[prefix/]AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<id>.json.gz`.
    ///
    /// - Parameter uniqueID: the 16-character alphanumeric suffix; random unless given (for tests).
    public static func logFile(
        prefix: String?, accountID: String, region: String, deliveryTime: Date,
        uniqueID: String = randomLogFileID()
    ) -> String {
        let time = UTCTime(deliveryTime)
        return withPrefix(
            prefix,
            "AWSLogs/\(accountID)/CloudTrail/\(region)/\(time.datePath)/"
                + "\(accountID)_CloudTrail_\(region)_\(time.compactMinute)_\(uniqueID).json.gz")
    }

    /// The key of a digest file whose window ends at `endTime`:
    /// `[prefix/]AWSLogs/<acct>/CloudTrail-Digest/<region>/YYYY/MM/DD/<acct>_CloudTrail-Digest_<region>_<trail>_<homeRegion>_<YYYYMMDDTHHMMSSZ>.json.gz`.
    ///
    /// `region` is where the logs were produced, `homeRegion` where the trail was created. The
    /// timestamp is the 16 characters `validate-logs` reads back as `key[-24:-8]`.
    public static func digestFile(
        prefix: String?, accountID: String, region: String, trailName: String, homeRegion: String, endTime: Date
    ) -> String {
        let time = UTCTime(endTime)
        return withPrefix(
            prefix,
            "AWSLogs/\(accountID)/CloudTrail-Digest/\(region)/\(time.datePath)/"
                + "\(accountID)_CloudTrail-Digest_\(region)_\(trailName)_\(homeRegion)_\(time.compactSecond).json.gz")
    }

    /// 16 random characters from `[A-Za-z0-9]`, the unique suffix of a log file name.
    public static func randomLogFileID() -> String {
        var generator = SystemRandomNumberGenerator()
        return randomLogFileID(using: &generator)
    }

    /// 16 characters from `[A-Za-z0-9]` drawn from `generator` (seed it for reproducible names).
    public static func randomLogFileID(using generator: inout some RandomNumberGenerator) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var id: [UInt8] = []
        id.reserveCapacity(16)
        for _ in 0..<16 { id.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]) }
        return String(decoding: id, as: UTF8.self)
    }

    private static func withPrefix(_ prefix: String?, _ key: String) -> String {
        guard let prefix, !prefix.isEmpty else { return key }
        return prefix + "/" + key
    }
}
