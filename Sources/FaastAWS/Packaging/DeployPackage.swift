import FaastCore
import FaastPackaging
import Foundation

/// Everything a deploy uploads: the layer of `dependencies=` (found or published) and the code package.
/// Runs before anything else is created, so a failed install or an oversized package deploys nothing.
struct DeployPackage {
    var code: CodePackage
    var layer: LayerCache.Layer?
    /// The local install of `dependencies=` the tracer imported the module with (nil without one, or when it failed).
    var modulePath: String?

    static func prepare(_ module: ModuleSpec, settings: DeploySettings, services: AWSServices, notices: Notices) async throws -> DeployPackage {
        var layer: LayerCache.Layer?
        if let name = settings.package.dependencies {
            let file = try DependencyFile.load(name, for: module)
            layer = try await LayerCache(services: services).ensure(
                file, architecture: settings.cloud.architecture, retentionDays: settings.logRetentionDays, notices: notices)
        }
        let (code, provided) = try await build(module, settings: settings, layerBytes: layer?.unzippedBytes ?? 0, notices: notices)
        return DeployPackage(code: code, layer: layer, modulePath: provided)
    }

    /// The code package alone, built exactly as `prepare` builds it (same bytes, same CodeSha256): a kept
    /// session's re-open compares it with the function's without asking for the layer.
    static func codePackage(_ module: ModuleSpec, settings: DeploySettings, layerBytes: Int = 0, notices: Notices) async throws -> CodePackage {
        try await build(module, settings: settings, layerBytes: layerBytes, notices: notices).code
    }

    /// The code package and the local install of `dependencies=` it was traced with.
    private static func build(_ module: ModuleSpec, settings: DeploySettings, layerBytes: Int, notices: Notices) async throws
        -> (code: CodePackage, provided: String?) {
        var provided: String?
        if let name = settings.package.dependencies {
            provided = await localInstallForTracing(try DependencyFile.load(name, for: module), notices: notices)
        }
        let code = try await CodePackage.build(
            module: module, include: settings.package.include, exclude: settings.package.exclude,
            provided: provided, layerBytes: layerBytes, notices: notices)
        return (code, provided)
    }

    /// The name of the layer `dependencies=` would use (`faast-deps-<hash of the dependency files>`), read
    /// locally: nil without `dependencies=`.
    static func layerName(_ module: ModuleSpec, settings: DeploySettings) throws -> String? {
        guard let name = settings.package.dependencies else { return nil }
        return LayerCache.name(try DependencyFile.load(name, for: module), architecture: settings.cloud.architecture)
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
