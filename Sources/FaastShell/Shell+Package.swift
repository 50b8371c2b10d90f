import FaastCore
import FaastLanguage
import Foundation

extension Shell {
    /// `package [MODULE] [key=value …]`: what a deploy to Lambda would ship, for the open module (with its
    /// settings) or for MODULE, from the provider that uploads code packages.
    func packageCommand(_ module: String?, options opts: [OptionArg], context: SourceContext) async throws -> CommandStatus {
        guard let packager = factories.values.compactMap({ $0 as? any PackageListingFactory }).first else {
            throw ShellError("no provider here uploads code packages (package shows what AWS Lambda would get)")
        }
        let spec: ModuleSpec
        let base: DeploySettings
        if let module {
            do {
                spec = try resolveModule(module, relativeTo: context.directory)
            } catch {
                throw ShellError(error.message, suggestions: error.suggestions)
            }
            base = options.deploy
        } else {
            let provider = try requireSession().provider
            spec = provider.module
            base = provider.settings
        }
        let listing = try await packager.packageListing(spec, settings: try deploySettings(opts, over: base))
        report(.packaged(listing), command: "package")
        return .ok
    }
}
