import Foundation
import Testing

@testable import FaastAWS

/// A temporary home directory with optional `~/.aws/credentials` and `~/.aws/config`; removed on deinit.
final class TempHome {
    let path: String

    init(credentials: String? = nil, config: String? = nil) throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("faast-aws-\(UUID().uuidString)").standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: path + "/.aws", withIntermediateDirectories: true)
        if let credentials { try write(".aws/credentials", credentials) }
        if let config { try write(".aws/config", config) }
    }

    func write(_ relative: String, _ text: String) throws {
        try text.write(toFile: path + "/" + relative, atomically: true, encoding: .utf8)
    }

    var environment: [String: String] { ["HOME": path] }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("AWS config file parsing")
struct AWSConfigFileTests {
    @Test func sectionsKeysCommentsAndWhitespace() {
        let file = AWSConfigFile(parsing: """
            # a comment
            ; another
            stray = before any section
            [default]
            AWS_Access_Key_ID=AKID1
            aws_secret_access_key   =   secret one\t  
            region = us-east-1 # inline comment
            output=json;not a comment
            [profile   dev]   ; comment
            region=eu-west-1
            s3 =
              max_concurrent_requests = 20
              addressing_style = path
            cli_pager =
            not a key value line
            [ profile   spaced ]
            role_arn = arn:aws:iam::123:role/x
            [default]
            region = us-east-2
            """)
        #expect(file.section("default") == [
            "aws_access_key_id": "AKID1", "aws_secret_access_key": "secret one",
            "region": "us-east-2", "output": "json;not a comment",
        ])
        #expect(file.section("profile dev") == ["region": "eu-west-1", "s3": "", "cli_pager": ""])
        #expect(file.section("profile spaced")?["role_arn"] == "arn:aws:iam::123:role/x")
        #expect(file.configProfile("dev")?["region"] == "eu-west-1")
        #expect(file.configProfile("default")?["region"] == "us-east-2")
        #expect(file.section("nope") == nil)
    }

    @Test func continuationLinesAndCRLF() {
        let file = AWSConfigFile(parsing: "[a]\r\nkey = one\r\n  two\r\nother = x\r\n")
        #expect(file.section("a") == ["key": "one\ntwo", "other": "x"])
    }

    @Test func profileDefaultInConfig() {
        let file = AWSConfigFile(parsing: "[profile default]\nregion = ap-south-1\n")
        #expect(file.configProfile("default")?["region"] == "ap-south-1")
    }

    @Test func missingFileIsNil() throws {
        #expect(try AWSConfigFile.load(path: "/nonexistent/faast/config") == nil)
    }
}

@Suite("Credential resolution")
struct CredentialResolverTests {
    @Test func environmentFirst() throws {
        let home = try TempHome(credentials: "[default]\naws_access_key_id = FILE\naws_secret_access_key = filesecret\n")
        var env = home.environment
        env["AWS_ACCESS_KEY_ID"] = "ENVKEY"
        env["AWS_SECRET_ACCESS_KEY"] = "envsecret"
        env["AWS_SESSION_TOKEN"] = "envtoken"
        let credentials = try CredentialResolver.resolve(environment: env, profile: nil)
        #expect(credentials == AWSCredentials(
            accessKeyId: "ENVKEY", secretAccessKey: "envsecret", sessionToken: "envtoken", source: "environment"))
    }

    @Test func explicitProfileWinsOverEnvironmentLikeTheCLI() throws {
        let home = try TempHome(credentials: "[prod]\naws_access_key_id = PROD\naws_secret_access_key = prodsecret\n")
        var env = home.environment
        env["AWS_ACCESS_KEY_ID"] = "ENVKEY"
        env["AWS_SECRET_ACCESS_KEY"] = "envsecret"
        let credentials = try CredentialResolver.resolve(environment: env, profile: "prod")
        #expect(credentials.accessKeyId == "PROD")
        #expect(credentials.source == "\(home.path)/.aws/credentials [prod]")
    }

    @Test func partialEnvironmentIsAnError() throws {
        let home = try TempHome()
        var env = home.environment
        env["AWS_ACCESS_KEY_ID"] = "ENVKEY"
        #expect(throws: AWSConfigurationError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")) {
            try CredentialResolver.resolve(environment: env, profile: nil)
        }
    }

    @Test func defaultProfileFromCredentialsFile() throws {
        let home = try TempHome(credentials: """
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key = defaultsecret
            aws_session_token = tok
            """)
        let credentials = try CredentialResolver.resolve(environment: home.environment, profile: nil)
        #expect(credentials == AWSCredentials(
            accessKeyId: "AKIDDEFAULT", secretAccessKey: "defaultsecret", sessionToken: "tok",
            source: "\(home.path)/.aws/credentials [default]"))
    }

    @Test func awsProfileVariableThenConfigFile() throws {
        let home = try TempHome(
            credentials: "[other]\naws_access_key_id = X\naws_secret_access_key = y\n",
            config: "[profile dev]\nregion = eu-west-1\naws_access_key_id = DEVKEY\naws_secret_access_key = devsecret\n")
        var env = home.environment
        env["AWS_PROFILE"] = "dev"
        let credentials = try CredentialResolver.resolve(environment: env, profile: nil)
        #expect(credentials.accessKeyId == "DEVKEY")
        #expect(credentials.sessionToken == nil)
        #expect(credentials.source == "\(home.path)/.aws/config [profile dev]")
    }

    @Test func credentialsFileBeforeConfigFile() throws {
        let home = try TempHome(
            credentials: "[dev]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s\n",
            config: "[profile dev]\naws_access_key_id = FROMCONFIG\naws_secret_access_key = s\n")
        #expect(try CredentialResolver.resolve(environment: home.environment, profile: "dev").accessKeyId == "FROMCREDS")
    }

    @Test func fileLocationsFromEnvironment() throws {
        let home = try TempHome()
        try home.write("creds.ini", "[default]\naws_access_key_id = CUSTOM\naws_secret_access_key = s\n")
        try home.write("conf.ini", "[default]\nregion = sa-east-1\n")
        var env = home.environment
        env["AWS_SHARED_CREDENTIALS_FILE"] = "~/creds.ini"
        env["AWS_CONFIG_FILE"] = home.path + "/conf.ini"
        let credentials = try CredentialResolver.resolve(environment: env, profile: nil)
        #expect(credentials.accessKeyId == "CUSTOM")
        #expect(credentials.source == "\(home.path)/creds.ini [default]")
        #expect(RegionResolver.resolve(option: nil, environment: env, profile: nil) == ("sa-east-1", "\(home.path)/conf.ini [default]"))
    }

    @Test func nothingFoundNamesWhereItLooked() throws {
        let home = try TempHome()
        let error = try #require(throws: AWSConfigurationError.self) {
            try CredentialResolver.resolve(environment: home.environment, profile: nil)
        }
        #expect(error.message == "no AWS credentials found: looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            + "\(home.path)/.aws/credentials [default] and \(home.path)/.aws/config [default]")
        #expect("\(error)" == error.message)
        #expect(error.localizedDescription == error.message)
    }

    @Test func namedProfileMissing() throws {
        let home = try TempHome(credentials: "[default]\naws_access_key_id = A\naws_secret_access_key = s\n")
        let error = try #require(throws: AWSConfigurationError.self) {
            try CredentialResolver.resolve(environment: home.environment, profile: "prod")
        }
        #expect(error.message == "AWS profile 'prod' not found: looked for "
            + "\(home.path)/.aws/credentials [prod] and \(home.path)/.aws/config [profile prod]")

        var env = home.environment
        env["AWS_PROFILE"] = "staging"
        let fromVariable = try #require(throws: AWSConfigurationError.self) {
            try CredentialResolver.resolve(environment: env, profile: nil)
        }
        #expect(fromVariable.message.hasPrefix("AWS profile 'staging' (from AWS_PROFILE) not found: looked for "))
    }

    @Test func profileWithoutKeys() throws {
        let home = try TempHome(config: "[profile plain]\nregion = us-east-1\n[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n")
        let plain = try #require(throws: AWSConfigurationError.self) {
            try CredentialResolver.resolve(environment: home.environment, profile: "plain")
        }
        #expect(plain.message == "no AWS credentials found: looked in "
            + "\(home.path)/.aws/credentials [plain] and \(home.path)/.aws/config [profile plain]")
        let role = try #require(throws: AWSConfigurationError.self) {
            try CredentialResolver.resolve(environment: home.environment, profile: "role")
        }
        #expect(role.message.hasPrefix("AWS profile 'role' uses role_arn (assume role), which faast does not support"))
    }

    @Test func partialProfileIsAnError() throws {
        let home = try TempHome(credentials: "[default]\naws_access_key_id = ONLYID\n")
        let error = try #require(throws: AWSConfigurationError.self) {
            try CredentialResolver.resolve(environment: home.environment, profile: nil)
        }
        #expect(error.message == "\(home.path)/.aws/credentials [default] has aws_access_key_id but no aws_secret_access_key")
    }

    @Test func descriptionsNeverShowSecrets() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        let token = "SESSIONTOKENVALUE"
        let plain = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret)
        let session = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret, sessionToken: token)
        #expect("\(plain)" == "AKIDEXAMPLE")
        #expect("\(session)" == "AKIDEXAMPLE (session)")
        #expect(String(reflecting: session) == "AWSCredentials(AKIDEXAMPLE (session))")
        for credentials in [plain, session] {
            var dumped = ""
            dump(credentials, to: &dumped)
            let texts = [
                String(describing: credentials), String(reflecting: credentials), dumped,
                "\([credentials])", "\(Optional(credentials) as Any)",
                Mirror(reflecting: credentials).children.map { "\($0.label ?? ""): \($0.value)" }.joined(),
            ]
            for text in texts {
                #expect(text.contains("AKIDEXAMPLE"))
                #expect(!text.contains(secret))
                #expect(!text.contains(token))
            }
        }
    }
}

@Suite("Region resolution")
struct RegionResolverTests {
    @Test func order() throws {
        let home = try TempHome(config: "[default]\nregion = eu-central-1\n[profile dev]\nregion = ap-northeast-1\n")
        var env = home.environment
        #expect(RegionResolver.resolve(option: nil, environment: env, profile: nil) == ("eu-central-1", "\(home.path)/.aws/config [default]"))
        #expect(RegionResolver.resolve(option: nil, environment: env, profile: "dev") == ("ap-northeast-1", "\(home.path)/.aws/config [profile dev]"))
        env["AWS_PROFILE"] = "dev"
        #expect(RegionResolver.resolve(option: nil, environment: env, profile: nil).region == "ap-northeast-1")
        env["AWS_DEFAULT_REGION"] = "us-east-2"
        #expect(RegionResolver.resolve(option: nil, environment: env, profile: nil) == ("us-east-2", "AWS_DEFAULT_REGION"))
        env["AWS_REGION"] = "ca-central-1"
        #expect(RegionResolver.resolve(option: nil, environment: env, profile: nil) == ("ca-central-1", "AWS_REGION"))
        #expect(RegionResolver.resolve(option: "eu-north-1", environment: env, profile: nil) == ("eu-north-1", "--region"))
    }

    @Test func fallback() throws {
        let home = try TempHome(config: "[profile other]\nregion = eu-west-3\n")
        #expect(RegionResolver.resolve(option: nil, environment: home.environment, profile: nil) == ("us-west-2", "default"))
        #expect(RegionResolver.resolve(option: "", environment: ["HOME": "/nonexistent"], profile: nil) == ("us-west-2", "default"))
    }
}
