import ArgumentParser
import FaastAWS
import FaastCore
import FaastShell
import Foundation

/// `faast sessions`: the kept sessions recorded on this machine, and whether their resources still exist.
struct Sessions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List kept sessions (--keep): provider, region, module, code hash, age, last use, state.")

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let rows = await SessionStore(environment: environment).statuses(environment: environment)
        let output = StandardOutput()
        guard !rows.isEmpty else {
            output.out("no kept sessions (faast --provider aws --keep MODULE keeps one)\n")
            return
        }
        let now = Date().timeIntervalSince1970
        var table = [["ID", "PROVIDER", "REGION", "MODULE", "CODE", "AGE", "LAST USE", "STATE"]]
        for row in rows {
            let s = row.session
            let state = row.attached ? "attached"
                : row.exists == true ? (s.expires.timeIntervalSince1970 < now ? "expired" : "kept")
                : row.exists == false ? "gone" : "unknown"
            table.append([s.id, s.provider, s.region, s.module, String(s.codeHash.prefix(8)),
                          Self.age(now - s.created), Self.age(now - s.lastUsed) + " ago", state])
        }
        let widths = table[0].indices.map { i in table.map { $0[i].count }.max() ?? 0 }
        for line in table {
            output.out(zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n")
        }
    }

    static func age(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 120 { return "\(s)s" }
        if s < 7200 { return "\(s / 60)m" }
        if s < 172_800 { return "\(s / 3600)h" }
        return "\(s / 86_400)d"
    }
}

/// `faast attach ID`: re-opens a kept session on its own module, with the session's settings.
struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-attach a kept session (see faast sessions) and start the prompt.")

    @Argument(help: ArgumentHelp("The session id (faast sessions lists them).", valueName: "ID"))
    var id: String

    @Option(name: .customShort("c"), help: ArgumentHelp("A command to run (repeatable); then exit.", valueName: "COMMAND"))
    var commands: [String] = []

    @OptionGroup var flags: SessionFlags

    func run() async throws {
        guard let record = SessionStore(environment: ProcessInfo.processInfo.environment).read(id) else {
            throw ValidationError("no kept session '\(id)' (faast sessions lists them)")
        }
        var flags = flags
        flags.provider = record.provider
        flags.session = id
        throw ExitCode(await Launcher(flags: flags).runSession(module: record.module, commands: commands))
    }
}
