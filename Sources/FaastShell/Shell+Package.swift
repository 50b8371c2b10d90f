import FaastAWS
import FaastCore
import FaastLanguage
import Foundation

extension Shell {
    /// `package [MODULE] [key=value …]`: what a deploy to Lambda would ship, for the open module (with its
    /// settings) or for MODULE; AWS is asked about the dependencies layer when credentials are at hand.
    func packageCommand(_ module: String?, options opts: [OptionArg], context: SourceContext) async throws -> CommandStatus {
        let spec: ModuleSpec
        let base: DeploySettings
        if let module {
            spec = try resolveModule(FilePaths.absolute(module, relativeTo: context.directory))
            base = options.deploy
        } else {
            let provider = try requireSession().provider
            spec = provider.module
            base = provider.settings
        }
        let settings = try deploySettings(opts, over: base)
        let client = settings.package.dependencies == nil ? nil : try? AWSClient.fromEnvironment(region: settings.cloud.region)
        let report = try await PackageReport.make(spec, settings: settings, client: client)
        if format == .json {
            var fields: [String: JSONValue] = [:]
            if case .object(let members) = report.json { for m in members { fields[m.key] = m.value } }
            emitJSON(command: "package", ok: true, fields)
        } else {
            output.out(report.text)
        }
        return .ok
    }
}
