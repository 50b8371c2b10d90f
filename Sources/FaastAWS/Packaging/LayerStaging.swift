import FaastCore
import Foundation

/// A layer zip too big to publish inline (over 50 MB), held in a bucket faast creates for the upload and
/// removes right after publishing, whether publishing worked or not.
struct LayerStaging {
    let bucket: String
    let key: String

    static func upload(_ zip: Data, name: String, services: AWSServices) async throws -> LayerStaging {
        let bucket = "faast-layer-upload-\(UUID().uuidString.prefix(12).lowercased())"
        let staging = LayerStaging(bucket: bucket, key: name + ".zip")
        let client = services.client
        let region = client.region
        let create: [UInt8] = region == "us-east-1" ? [] : Array(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(region)</LocationConstraint></CreateBucketConfiguration>".utf8)
        _ = try await client.call(.s3, method: "PUT", path: "/\(bucket)", body: create, timeout: 60) {
            AWSClient.restJSONError(service: "S3", $0)
        }
        do {
            _ = try await client.call(.s3, method: "PUT", path: "/\(bucket)/\(SigV4.uriEncode(staging.key))",
                                      headers: [("Content-Type", "application/zip")], body: Array(zip), timeout: 600) {
                AWSClient.restJSONError(service: "S3", $0)
            }
        } catch {
            await staging.remove(services: services)
            throw error
        }
        return staging
    }

    /// Deletes the object and the bucket; says so on standard error if it cannot, naming them.
    func remove(services: AWSServices) async {
        let client = services.client
        do {
            _ = try await client.call(.s3, method: "DELETE", path: "/\(bucket)/\(SigV4.uriEncode(key))") { AWSClient.restJSONError(service: "S3", $0) }
            _ = try await client.call(.s3, method: "DELETE", path: "/\(bucket)") { AWSClient.restJSONError(service: "S3", $0) }
        } catch {
            FileHandle.standardError.write(Data("warning: could not delete the upload bucket s3://\(bucket) (\(error)); delete it by hand\n".utf8))
        }
    }
}
