import FaastCore
import FaastPackaging
import Foundation

/// A module's `dependencies=` as a Lambda layer named from what it holds: `faast-deps-<hash>`, the hash of the
/// dependency file (and the `file:` packages it names), the runtime and the architecture. A session whose
/// dependencies already have a layer uses it as is: nothing is installed or uploaded.
struct LayerCache {
    let services: AWSServices
    static let prefix = "faast-deps-"
    /// Layer zips above this go through S3 (PublishLayerVersion takes 50 MB inline).
    static let inlineLimit = 50 * 1024 * 1024

    struct Layer {
        var arn: String
        var name: String
        /// Whether this session published it (false: an earlier session's, reused).
        var published: Bool
        var unzippedBytes: Int
    }

    static func name(_ file: DependencyFile, architecture: Architecture) -> String {
        prefix + String(file.hash(target: "lambda:\(Installer.lambdaRuntime(file.runtime)):\(architecture.rawValue)").prefix(32))
    }

    /// The layer for `file` on `architecture`: found, or installed for Lambda's platform and published.
    func ensure(_ file: DependencyFile, architecture: Architecture, retentionDays: Double, notices: Notices) async throws -> Layer {
        let name = Self.name(file, architecture: architecture)
        if let existing = try await latestVersion(name) {
            let size = Int(existing["Description"]?.stringValue.flatMap(Self.unzippedSize) ?? 0)
            return Layer(arn: existing["LayerVersionArn"]?.stringValue ?? "", name: name, published: false, unzippedBytes: size)
        }
        let scratch = NSTemporaryDirectory() + "faast-layer-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let (installFolder, zipFolder, prefix) = file.runtime == .python
            ? (scratch + "/python", scratch + "/python", "python/")
            : (scratch + "/nodejs", scratch + "/nodejs/node_modules", "nodejs/node_modules/")
        try await Installer.install(file, into: installFolder, target: .lambda(architecture), notices: notices)
        let entries = try Self.entries(in: zipFolder)
        Self.warnBuiltHere(entries, notices: notices)
        let unzipped = entries.reduce(0) { $0 + $1.size }
        if unzipped > CodePackage.maxUnzippedBytes {
            throw FaastError(.deployFailed, "the dependencies of \(file.name) are \(CodePackage.sizeText(unzipped)) installed; "
                + "Lambda allows 250 MB for a function and its layers")
        }
        notices.progress("zipping the layer \(name) (\(CodePackage.sizeText(unzipped)))…")
        let zip = try DeterministicZip.make(entries, prefix: prefix)
        notices.progress("publishing the layer \(name) (\(CodePackage.sizeText(zip.count)) zipped)…")
        defer { notices.clearProgress() }
        let arn = try await publish(zip, name: name, runtime: Installer.lambdaRuntime(file.runtime), architecture: architecture,
                                    description: Self.description(file, architecture: architecture, retentionDays: retentionDays,
                                                                  unzippedBytes: unzipped))
        return Layer(arn: arn, name: name, published: true, unzippedBytes: unzipped)
    }

    /// Publishes `zip` as a new version of layer `name`: inline up to `inlineLimit`, else staged in a bucket
    /// made for the upload and removed right after. Returns the version's ARN.
    func publish(_ zip: Data, name: String, runtime: String, architecture: Architecture, description: String,
                 inlineLimit: Int = LayerCache.inlineLimit) async throws -> String {
        let content: JSONValue
        var staged: LayerStaging?
        if zip.count > inlineLimit {
            let staging = try await LayerStaging.upload(zip, name: name, services: services)
            staged = staging
            content = ["S3Bucket": .string(staging.bucket), "S3Key": .string(staging.key)]
        } else {
            content = ["ZipFile": .string(zip.base64EncodedString())]
        }
        let published: JSONValue
        do {
            published = try await services.client.restJSON(
                .lambda, method: "POST", path: "/2018-10-31/layers/\(AWSServices.path(name))/versions", body: [
                    "Content": content, "Description": .string(description),
                    "CompatibleRuntimes": [.string(runtime)], "CompatibleArchitectures": [.string(architecture.rawValue)],
                ], timeout: 300)
        } catch {
            await staged?.remove(services: services)
            throw error
        }
        await staged?.remove(services: services)
        guard let arn = published["LayerVersionArn"]?.stringValue else {
            throw FaastError(.deployFailed, "PublishLayerVersion answered no LayerVersionArn")
        }
        return arn
    }

    func latestVersion(_ name: String) async throws -> JSONValue? {
        let versions = try await listVersions(name)
        return versions.max { ($0["Version"]?.doubleValue ?? 0) < ($1["Version"]?.doubleValue ?? 0) }
    }

    func listVersions(_ name: String) async throws -> [JSONValue] {
        var all: [JSONValue] = []
        var marker: String?
        repeat {
            let query = marker.map { [(name: "Marker", value: $0)] } ?? []
            let page: JSONValue
            do {
                page = try await services.client.restJSON(.lambda, method: "GET", path: "/2018-10-31/layers/\(AWSServices.path(name))/versions",
                                                          query: query)
            } catch let e as FaastError where e.message.contains("NotFound") {
                return []
            }
            all += page["LayerVersions"]?.arrayValue ?? []
            marker = page["NextMarker"]?.stringValue
        } while marker != nil
        return all
    }

    /// Every faast layer's name.
    func layerNames() async throws -> [String] {
        var names: [String] = []
        var marker: String?
        repeat {
            let query = marker.map { [(name: "Marker", value: $0)] } ?? []
            let page = try await services.client.restJSON(.lambda, method: "GET", path: "/2018-10-31/layers", query: query)
            names += (page["Layers"]?.arrayValue ?? []).compactMap { $0["LayerName"]?.stringValue }.filter { $0.hasPrefix(Self.prefix) }
            marker = page["NextMarker"]?.stringValue
        } while marker != nil
        return names.sorted()
    }

    func deleteVersion(arn: String) async throws {
        let parts = arn.split(separator: ":")
        guard parts.count >= 8 else { throw FaastError(.provider, "not a layer version ARN: \(arn)") }
        _ = try await services.client.restJSON(
            .lambda, method: "DELETE", path: "/2018-10-31/layers/\(AWSServices.path(String(parts[6])))/versions/\(parts[7])")
    }

    // MARK: - What a layer says about itself (layers take no tags)

    static func description(_ file: DependencyFile, architecture: Architecture, retentionDays: Double, unzippedBytes: Int) -> String {
        "faast dependencies (\(file.name), \(Installer.lambdaRuntime(file.runtime)), \(architecture.rawValue)) "
            + "faast:created=\(Int(Date().timeIntervalSince1970)) faast:retentionDays=\(Format.seconds(retentionDays)) "
            + "faast:unzippedBytes=\(unzippedBytes)"
    }

    static func field(_ key: String, in description: String) -> String? {
        guard let range = description.range(of: key + "=") else { return nil }
        return String(description[range.upperBound...].prefix { !$0.isWhitespace })
    }

    static func unzippedSize(_ description: String) -> Int? { field("faast:unzippedBytes", in: description).flatMap { Int($0) } }

    /// The layer's zip entries: every installed file (pip's and npm's own bookkeeping left out).
    static func entries(in folder: String) throws -> [PackageEntry] {
        try PackageFolder.entries(in: folder).filter { !$0.path.hasPrefix("bin/") && !$0.path.hasPrefix(".bin/") && $0.path != ".package-lock.json" }
    }

    /// Native modules compiled by an install script ran on this machine, not fetched for Lambda's platform.
    static func warnBuiltHere(_ entries: [PackageEntry], notices: Notices) {
        let built = entries.filter { $0.path.hasSuffix(".node") && $0.path.contains("/build/") }
        let packages = Set(built.map { String($0.path.split(separator: "/").first ?? "") })
        for package in packages.sorted() {
            notices.warn("\(package) compiled native code on this machine while installing (\(built.first { $0.path.hasPrefix(package + "/") }?.path ?? "")); "
                + "it may not load on Lambda (Linux, \(Installer.lambdaRuntime(.node))); prefer a version with prebuilt Linux binaries")
        }
    }
}

extension LayerCache {
    /// Every version of every faast layer, for `faast cleanup aws` and `gc`. A version expires its retention
    /// after it was published, and never while a function still uses it (gc leaves it for a later pass).
    func inventory() async throws -> [FaastResource] {
        let names = try await layerNames()
        guard !names.isEmpty else { return [] }
        let inUse = Set(try await services.listFunctions().flatMap { f in
            (f["Layers"]?.arrayValue ?? []).compactMap { $0["Arn"]?.stringValue }
        })
        var out: [FaastResource] = []
        for name in names {
            for v in try await listVersions(name) {
                guard let arn = v["LayerVersionArn"]?.stringValue else { continue }
                let description = v["Description"]?.stringValue ?? ""
                let created = Self.field("faast:created", in: description).flatMap(Double.init)
                let days = Self.field("faast:retentionDays", in: description).flatMap(Double.init) ?? 1
                let expires = inUse.contains(arn) ? nil : created.map { Date(timeIntervalSince1970: $0 + days * 86_400) }
                out.append(FaastResource(kind: .layer, name: "\(name):\(v["Version"]?.jsonText ?? "?")", handle: arn, sessionId: nil,
                                         expires: expires))
            }
        }
        return out
    }
}
