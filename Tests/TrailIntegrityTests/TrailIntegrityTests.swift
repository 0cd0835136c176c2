import Testing
@testable import TrailIntegrity
