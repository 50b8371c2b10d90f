import FaastCore
import FaastPackaging
import Foundation

/// What a deploy to Lambda would ship, without deploying: the code package's files with sizes, the layer of
/// `dependencies=`, and the totals against Lambda's limits (`package` in the shell, `faast package`).
public struct PackageReport: Sendable {
    public let code: CodePackage
    public let module: ModuleSpec
    public let architecture: Architecture
    /// The layer's name and dependency file, and what AWS says of it (nil when AWS could not be asked).
    public let layer: (name: String, file: String, status: String)?

    /// Builds the code package as a deploy would (tracing the module, installing `dependencies=` locally for
    /// the trace); asks AWS whether the layer exists only when `client` is given.
    public static func make(_ module: ModuleSpec, settings: DeploySettings, client: AWSClient?) async throws -> PackageReport {
        let notices = Notices()
        var provided: String?
        var layer: (String, String, String)?
        var layerBytes = 0
        if let dependencies = settings.package.dependencies {
            let file = try DependencyFile.load(dependencies, for: module)
            let name = LayerCache.name(file, architecture: settings.cloud.architecture)
            var status = "not checked (no AWS credentials): published at the first deploy unless it exists"
            if let client {
                do {
                    if let v = try await LayerCache(services: AWSServices(client: client)).latestVersion(name) {
                        layerBytes = (v["Description"]?.stringValue).flatMap(LayerCache.unzippedSize) ?? 0
                        status = "published (\(v["LayerVersionArn"]?.stringValue ?? name)\(layerBytes > 0 ? ", \(CodePackage.sizeText(layerBytes)) unzipped" : "")); reused as is"
                    } else {
                        status = "not published yet: installed for Lambda and published at the first deploy"
                    }
                } catch {
                    status = "not checked (\(error))"
                }
            }
            layer = (name, file.name, status)
            provided = await DeployPackage.localInstallForTracing(file, notices: notices)
        }
        let code = try await CodePackage.build(module: module, include: settings.package.include, exclude: settings.package.exclude,
                                               provided: provided, layerBytes: layerBytes, notices: notices)
        return PackageReport(code: code, module: module, architecture: settings.cloud.architecture, layer: layer)
    }

    /// The listing people read.
    public var text: String {
        var lines = ["code package of \(FilePaths.lastComponent(module.path)) for Lambda (\(module.runtime == .node ? "nodejs20.x" : "python3.12"), "
            + "\(architecture.rawValue)), handler \(code.handler):"]
        let width = code.entries.map { CodePackage.sizeText($0.size).count }.max() ?? 0
        for e in code.entries {
            let size = CodePackage.sizeText(e.size)
            lines.append("  " + String(repeating: " ", count: width - size.count) + size + "  " + e.path + (e.mode & 0o111 != 0 ? "  (executable)" : ""))
        }
        lines.append("\(code.entries.count) files, \(CodePackage.sizeText(code.unzippedBytes)) unzipped (Lambda allows 250 MB with layers), "
            + "\(CodePackage.sizeText(code.zip.count)) zipped (50 MB for a direct upload)")
        if let layer {
            lines.append("layer \(layer.name) (dependencies=\(layer.file)): \(layer.status)")
        } else {
            lines.append("no layer (no dependencies=)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The same as JSON, for `--format json`.
    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember("module", .string(module.path)), JSONMember("handler", .string(code.handler)),
            JSONMember("files", .array(code.entries.map { ["path": .string($0.path), "bytes": .int($0.size), "mode": .string(String($0.mode, radix: 8))] })),
            JSONMember("unzippedBytes", .int(code.unzippedBytes)), JSONMember("zippedBytes", .int(code.zip.count)),
            JSONMember("warnings", .array(code.warnings.map { .string($0) })),
        ]
        if let layer {
            members.append(JSONMember("layer", ["name": .string(layer.name), "dependencies": .string(layer.file), "status": .string(layer.status)]))
        }
        return .object(members)
    }
}

extension AWSProviderFactory: PackageListingFactory {
    /// The shell's `package`: AWS is asked about the dependencies layer when credentials are at hand.
    public func packageListing(_ module: ModuleSpec, settings: DeploySettings) async throws -> PackageListing {
        let client = settings.package.dependencies == nil ? nil
            : try? AWSClient.fromEnvironment(region: settings.cloud.region, environment: environment)
        let report = try await PackageReport.make(module, settings: settings, client: client)
        return PackageListing(text: report.text, json: report.json)
    }
}
