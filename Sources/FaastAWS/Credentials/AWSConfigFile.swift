import Foundation

/// An AWS shared config or credentials file (`~/.aws/config`, `~/.aws/credentials`), parsed as the AWS CLI does:
/// `[section]` headers, `key = value` lines, `#` and `;` comment lines, keys lowercased, values trimmed.
///
/// - Whitespace inside a section header is collapsed (`[profile   dev]` is `profile dev`); names keep their case.
/// - An inline comment needs whitespace before its `#`/`;` on a property line (`region = us-east-1 # x`);
///   on a section line anything after `#`/`;` is a comment.
/// - A key with an empty value followed by indented `key = value` lines is a nested sub-section (the CLI's
///   `s3 =` settings); those lines are skipped. An indented line after a non-empty value continues it (joined with `\n`).
/// - Lines that are none of these, and lines before the first section, are ignored rather than failing.
/// - A section that appears twice is merged; the later value of a key wins.
public struct AWSConfigFile: Sendable, Equatable {
    /// Section name → (lowercased key → value).
    public var sections: [String: [String: String]]

    public init(sections: [String: [String: String]] = [:]) {
        self.sections = sections
    }

    public init(parsing text: String) {
        var sections: [String: [String: String]] = [:]
        var current: String?
        var lastKey: String?
        var inSubsection = false

        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            let indented = line.first == " " || line.first == "\t"

            if !indented, trimmed.hasPrefix("[") {
                var header = Substring(trimmed.dropFirst())
                if let end = header.firstIndex(of: "]") {
                    header = header[..<end]
                } else if let comment = header.firstIndex(where: { $0 == "#" || $0 == ";" }) {
                    header = header[..<comment]
                }
                let name = header.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
                current = name
                if sections[name] == nil { sections[name] = [:] }
                lastKey = nil
                inSubsection = false
                continue
            }
            guard let section = current else { continue }

            if indented, let key = lastKey {
                if inSubsection { continue }
                let continuation = Self.stripInlineComment(trimmed)
                if !continuation.isEmpty, let previous = sections[section]?[key] {
                    sections[section]?[key] = previous + "\n" + continuation
                }
                continue
            }

            guard let equals = trimmed.firstIndex(of: "=") else {
                lastKey = nil
                continue
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = Self.stripInlineComment(String(trimmed[trimmed.index(after: equals)...]))
            guard !key.isEmpty else {
                lastKey = nil
                continue
            }
            lastKey = key
            inSubsection = value.isEmpty
            sections[section]?[key] = value
        }
        self.sections = sections
    }

    /// Reads and parses the file at `path`; nil when it does not exist. Throws when it exists but cannot be read.
    public static func load(path: String) throws -> AWSConfigFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AWSConfigurationError("cannot read AWS configuration file \(path)")
        }
        return AWSConfigFile(parsing: String(decoding: data, as: UTF8.self))
    }

    /// The keys of section `name`, nil when there is no such section.
    public func section(_ name: String) -> [String: String]? {
        sections[name]
    }

    /// The section of profile `profile` in a *config* file: `[profile NAME]`, or `[default]` (also
    /// `[profile default]`) for the default profile.
    public func configProfile(_ profile: String) -> [String: String]? {
        if profile == "default" { return sections["default"] ?? sections["profile default"] }
        return sections["profile \(profile)"]
    }

    /// How the config file's section for `profile` is written, for messages.
    public static func configSectionName(_ profile: String) -> String {
        profile == "default" ? "[default]" : "[profile \(profile)]"
    }

    private static func stripInlineComment(_ value: String) -> String {
        var previousIsSpace = false
        for index in value.indices {
            let c = value[index]
            if (c == "#" || c == ";") && previousIsSpace {
                return value[..<index].trimmingCharacters(in: .whitespaces)
            }
            previousIsSpace = c == " " || c == "\t"
        }
        return value.trimmingCharacters(in: .whitespaces)
    }
}
