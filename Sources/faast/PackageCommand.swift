import ArgumentParser
import FaastAWS
import FaastCore
import FaastShell
import Foundation

/// `faast package MODULE [-o FILE.zip]`: what a deploy to Lambda would ship, without deploying.
struct PackageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "List what a deploy to AWS Lambda would ship: files, sizes, the dependencies layer; -o writes the zip.")

    @Argument(help: ArgumentHelp("The module (.js, .cjs, .mjs or .py).", valueName: "module"),
              completion: .file(extensions: ["js", "cjs", "mjs", "py"]))
    var module: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the code package to this zip file.", valueName: "file"),
            completion: .file(extensions: ["zip"]))
    var output: String?

    @Option(help: ArgumentHelp("A requirements.txt or package.json, relative to the module's folder.", valueName: "file"),
            completion: .file())
    var dependencies: String?

    @Option(help: ArgumentHelp("Glob of extra files, relative to the module's folder (repeatable).", valueName: "glob"))
    var include: [String] = []

    @Option(help: ArgumentHelp("Glob of files to leave out (repeatable).", valueName: "glob"))
    var exclude: [String] = []

    @Option(help: ArgumentHelp("The function's architecture.", valueName: "arch"), completion: .list(["x86_64", "arm64"]))
    var architecture: String = "x86_64"

    @Option(help: ArgumentHelp("text, or one JSON object.", valueName: "format"), completion: .list(["text", "json"]))
    var format: String = "text"

    func validate() throws {
        guard Architecture(rawValue: architecture) != nil else {
            throw ValidationError("--architecture takes x86_64 or arm64, not '\(architecture)'")
        }
        guard ["text", "json"].contains(format) else { throw ValidationError("--format takes text or json, not '\(format)'") }
    }

    func run() async throws {
        let output = StandardOutput()
        let spec: ModuleSpec
        do {
            spec = try resolveModule(module)
        } catch {
            if format == "json" { output.out(JSONOutput.commandLineError(error.message, suggestions: error.suggestions) + "\n") }
            output.err("error: \(error.message)\n")
            throw ExitCode(ExitStatus.usage)
        }
        var settings = DeploySettings()
        settings.package.include = include
        settings.package.exclude = exclude
        settings.package.dependencies = dependencies
        settings.cloud.architecture = Architecture(rawValue: architecture) ?? .x86_64
        do {
            // AWS is asked about the layer only when credentials are at hand; the listing needs none.
            let client = try? AWSClient.fromEnvironment(region: nil)
            let report = try await PackageReport.make(spec, settings: settings, client: dependencies == nil ? nil : client)
            if let path = self.output {
                try Data(report.code.zip).write(to: URL(fileURLWithPath: FilePaths.absolute(path)))
            }
            if format == "json" {
                output.out(report.json.jsonText + "\n")
            } else {
                output.out(report.text)
                if let path = self.output { output.out("wrote \(path) (\(CodePackage.sizeText(report.code.zip.count)))\n") }
            }
        } catch let error as FaastError {
            output.err("error: \(error.message)\n")
            throw ExitCode(ExitStatus.failed)
        } catch {
            output.err("error: \(error)\n")
            throw ExitCode(ExitStatus.failed)
        }
    }
}
