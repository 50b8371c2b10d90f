import FaastCore
import Foundation
import Testing

@testable import FaastAWS

@Suite("Dependency layers on moto")
struct LayerTests {
    @Test("a layer zip over the inline limit goes through a bucket that is gone after publishing")
    func throughS3() async throws {
        let client = try Moto.client()
        let cache = LayerCache(services: AWSServices(client: client))
        let name = "faast-deps-test\(UUID().uuidString.prefix(8).lowercased())"
        let zip = Data((0..<4096).map { UInt8($0 % 251) })
        let arn = try await cache.publish(zip, name: name, runtime: "python3.12", architecture: .x86_64,
                                          description: "faast test layer", inlineLimit: 1024)
        #expect(arn.hasSuffix(":layer:\(name):1"))
        let version = try #require(try await cache.latestVersion(name))
        #expect(version["Content"]?["CodeSize"]?.doubleValue == Double(zip.count))
        let buckets = try await client.call(.s3, method: "GET", path: "/") { AWSClient.restJSONError(service: "S3", $0) }
        #expect(!String(decoding: buckets.body, as: UTF8.self).contains("faast-layer-upload-"))
        try await cache.deleteVersion(arn: arn)
        #expect(try await cache.latestVersion(name) == nil)
    }

    @Test("gc sees a layer version's retention from its description; cleanup aws lists it")
    func inventory() async throws {
        let client = try Moto.client()
        let cache = LayerCache(services: AWSServices(client: client))
        let name = "faast-deps-test\(UUID().uuidString.prefix(8).lowercased())"
        let created = Int(Date().timeIntervalSince1970) - 3 * 86_400
        let arn = try await cache.publish(Data("PK".utf8), name: name, runtime: "nodejs20.x", architecture: .arm64,
                                          description: "faast dependencies faast:created=\(created) faast:retentionDays=2")
        let listed = try #require(try await GarbageCollector(client: client).inventory().first { $0.handle == arn })
        #expect(listed.kind == .layer)
        #expect(listed.name == "\(name):1")
        // Unused, published three days ago with two days' retention: expired.
        #expect(listed.expires == Date(timeIntervalSince1970: Double(created + 2 * 86_400)))
        try await cache.deleteVersion(arn: arn)
    }
}
