import FaastCore
import FaastPackaging
import Foundation

/// Everything a deploy uploads: the layer of `dependencies=` (found or published) and the code package.
/// Runs before anything else is created, so a failed install or an oversized package deploys nothing.
struct DeployPackage {
    var code: CodePackage
    var layer: LayerCache.Layer?

    static func prepare(_ module: ModuleSpec, settings: DeploySettings, services: AWSServices, notices: Notices) async throws -> DeployPackage {
        var layer: LayerCache.Layer?
        var provided: String?
        if let name = settings.package.dependencies {
            let file = try DependencyFile.load(name, for: module)
            layer = try await LayerCache(services: services).ensure(
                file, architecture: settings.cloud.architecture, retentionDays: settings.logRetentionDays, notices: notices)
            provided = await localInstallForTracing(file, notices: notices)
        }
        let code = try await CodePackage.build(
            module: module, include: settings.package.include, exclude: settings.package.exclude,
            provided: provided, layerBytes: layer?.unzippedBytes ?? 0, notices: notices)
        return DeployPackage(code: code, layer: layer)
    }

    /// The local install lets the tracer import the module as the local provider would; the code package
    /// leaves out what comes from it (the layer has those packages). Without it, packaging still goes on.
    static func localInstallForTracing(_ file: DependencyFile, notices: Notices) async -> String? {
        do {
            return try await DependencyCache.localModulePath(file, notices: notices)
        } catch {
            notices.warn("\(error.message.split(separator: "\n").first ?? "") (for tracing locally; the layer for Lambda is ready)")
            return nil
        }
    }
}
