import FaastCore
import Foundation

/// AWS access keys and where they came from. Printing, debug-printing or dumping them shows the access key id
/// only (and `(session)` when there is a session token), never the secret key or the token.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// Where they were found: `environment`, or a file and section such as `/home/me/.aws/credentials [default]`.
    public var source: String

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, source: String = "explicit") {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
    }
}

extension AWSCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        sessionToken == nil ? accessKeyId : "\(accessKeyId) (session)"
    }

    public var debugDescription: String { "AWSCredentials(\(description))" }

    public var customMirror: Mirror {
        var children: [(label: String?, value: Any)] = [("accessKeyId", accessKeyId)]
        if sessionToken != nil { children.append(("session", true)) }
        return Mirror(self, children: children, displayStyle: .struct)
    }
}

/// A problem with the AWS configuration (no credentials, a missing profile, an unreadable file). Its message
/// is one sentence meant for the user.
public struct AWSConfigurationError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
    public var errorDescription: String? { message }
}

/// Where the shared files are, from an explicit environment (never the process's own unless passed in).
public struct AWSSharedFiles: Sendable, Equatable {
    public var credentialsPath: String
    public var configPath: String

    public init(environment: [String: String]) {
        let home = Self.home(environment)
        credentialsPath = Self.expand(environment["AWS_SHARED_CREDENTIALS_FILE"].awsNonEmpty ?? "~/.aws/credentials", home: home)
        configPath = Self.expand(environment["AWS_CONFIG_FILE"].awsNonEmpty ?? "~/.aws/config", home: home)
    }

    /// The profile in use: `profile`, else `AWS_PROFILE`, else `default`.
    public static func profileName(_ profile: String?, environment: [String: String]) -> String {
        profile.awsNonEmpty ?? environment["AWS_PROFILE"].awsNonEmpty ?? "default"
    }

    static func home(_ environment: [String: String]) -> String {
        var home = environment["HOME"].awsNonEmpty ?? NSHomeDirectory()
        while home.count > 1 && home.hasSuffix("/") { home.removeLast() }
        return home
    }

    static func expand(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return (home == "/" ? "" : home) + path.dropFirst() }
        return path
    }
}

/// Finds credentials the way the AWS CLI does, for static keys:
/// 1. `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`), unless a profile is passed
///    explicitly (as `--profile` does in the CLI, it then wins over the environment);
/// 2. the profile (`profile`, else `AWS_PROFILE`, else `default`) in the credentials file
///    (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`, section `[name]`);
/// 3. the same profile in the config file (`AWS_CONFIG_FILE` or `~/.aws/config`, `[profile name]` or `[default]`).
/// `~` is the environment's `HOME`. Role, SSO, process and web-identity profiles are not supported and say so.
public enum CredentialResolver {
    public static func resolve(environment: [String: String], profile: String? = nil) throws -> AWSCredentials {
        let explicitProfile = profile.awsNonEmpty
        if explicitProfile == nil, let credentials = try fromEnvironment(environment) {
            return credentials
        }
        let name = AWSSharedFiles.profileName(explicitProfile, environment: environment)
        let files = AWSSharedFiles(environment: environment)
        let credentialsSection = "[\(name)]"
        let configSection = AWSConfigFile.configSectionName(name)

        let credentialsFile = try AWSConfigFile.load(path: files.credentialsPath)
        let fromCredentials = credentialsFile?.section(name)
        if let keys = fromCredentials,
            let credentials = try fromProfile(keys, source: "\(files.credentialsPath) \(credentialsSection)", profile: name)
        {
            return credentials
        }
        let configFile = try AWSConfigFile.load(path: files.configPath)
        let fromConfig = configFile?.configProfile(name)
        if let keys = fromConfig,
            let credentials = try fromProfile(keys, source: "\(files.configPath) \(configSection)", profile: name)
        {
            return credentials
        }

        let places = "\(files.credentialsPath) \(credentialsSection) and \(files.configPath) \(configSection)"
        let named = explicitProfile != nil || environment["AWS_PROFILE"].awsNonEmpty != nil
        if fromCredentials == nil && fromConfig == nil && named {
            let via = explicitProfile != nil ? "" : " (from AWS_PROFILE)"
            throw AWSConfigurationError("AWS profile '\(name)'\(via) not found: looked for \(places)")
        }
        if let keys = fromConfig ?? fromCredentials, let kind = unsupportedKind(keys) {
            throw AWSConfigurationError(
                "AWS profile '\(name)' uses \(kind), which faast does not support: give it aws_access_key_id and aws_secret_access_key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        let env = explicitProfile == nil ? "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " : ""
        throw AWSConfigurationError("no AWS credentials found: looked in \(env)\(places)")
    }

    static func fromEnvironment(_ environment: [String: String]) throws -> AWSCredentials? {
        let id = environment["AWS_ACCESS_KEY_ID"].awsNonEmpty
        let secret = environment["AWS_SECRET_ACCESS_KEY"].awsNonEmpty
        switch (id, secret) {
        case let (id?, secret?):
            return AWSCredentials(
                accessKeyId: id, secretAccessKey: secret,
                sessionToken: environment["AWS_SESSION_TOKEN"].awsNonEmpty, source: "environment")
        case (nil, nil):
            return nil
        case (nil, _?):
            throw AWSConfigurationError("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
        case (_?, nil):
            throw AWSConfigurationError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        }
    }

    static func fromProfile(_ keys: [String: String], source: String, profile: String) throws -> AWSCredentials? {
        let id = keys["aws_access_key_id"].awsNonEmpty
        let secret = keys["aws_secret_access_key"].awsNonEmpty
        switch (id, secret) {
        case let (id?, secret?):
            return AWSCredentials(
                accessKeyId: id, secretAccessKey: secret,
                sessionToken: keys["aws_session_token"].awsNonEmpty ?? keys["aws_security_token"].awsNonEmpty, source: source)
        case (nil, nil):
            return nil
        case (nil, _?):
            throw AWSConfigurationError("\(source) has aws_secret_access_key but no aws_access_key_id")
        case (_?, nil):
            throw AWSConfigurationError("\(source) has aws_access_key_id but no aws_secret_access_key")
        }
    }

    private static func unsupportedKind(_ keys: [String: String]) -> String? {
        if keys["role_arn"] != nil { return "role_arn (assume role)" }
        if keys["sso_session"] != nil || keys["sso_start_url"] != nil { return "IAM Identity Center (SSO)" }
        if keys["credential_process"] != nil { return "credential_process" }
        if keys["web_identity_token_file"] != nil { return "web_identity_token_file" }
        return nil
    }
}

/// Finds the region the way the AWS CLI does: the option (`--region`), `AWS_REGION`, `AWS_DEFAULT_REGION`,
/// the profile's `region` in the config file, else `us-west-2`.
public enum RegionResolver {
    public static let defaultRegion = "us-west-2"

    public static func resolve(option: String?, environment: [String: String], profile: String? = nil) -> (region: String, source: String) {
        if let region = option.awsNonEmpty { return (region, "--region") }
        if let region = environment["AWS_REGION"].awsNonEmpty { return (region, "AWS_REGION") }
        if let region = environment["AWS_DEFAULT_REGION"].awsNonEmpty { return (region, "AWS_DEFAULT_REGION") }
        let name = AWSSharedFiles.profileName(profile, environment: environment)
        let files = AWSSharedFiles(environment: environment)
        if let config = try? AWSConfigFile.load(path: files.configPath),
            let region = config.configProfile(name)?["region"].awsNonEmpty
        {
            return (region, "\(files.configPath) \(AWSConfigFile.configSectionName(name))")
        }
        return (defaultRegion, "default")
    }

    /// Whether `region` is a name AWS could have given a region: letters, digits and dashes (what botocore
    /// accepts, one DNS label), so that it can never point a signed request at another host.
    public static func isValid(_ region: String) -> Bool {
        guard (1...63).contains(region.utf8.count) else { return false }
        let bytes = Array(region.utf8)
        guard bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }

    /// The region and where it came from, or an error naming both when it is not a valid region name.
    public static func validated(option: String?, environment: [String: String]) throws(FaastError) -> (region: String, source: String) {
        let found = resolve(option: option, environment: environment)
        guard isValid(found.region) else {
            throw FaastError(.invalidArgument,
                             "invalid region '\(found.region)' (from \(found.source)): a region is letters, digits and dashes, e.g. us-west-2")
        }
        return found
    }
}

extension Optional where Wrapped == String {
    /// The string when present and not blank.
    var awsNonEmpty: String? {
        guard let value = self?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }
}
