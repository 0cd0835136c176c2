/// Where a trail file lives: a bucket and an object key.
public struct S3ObjectLocation: Hashable, Sendable {
    /// The bucket name.
    public var bucket: String
    /// The object key (see ``TrailObjectKeys``).
    public var key: String

    /// A location in `bucket` at `key`.
    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }
}
