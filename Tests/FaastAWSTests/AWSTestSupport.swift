import FaastCore
import Foundation

@testable import FaastAWS

/// The moto_server the AWS tests talk to: `AWS_ENDPOINT_URL` when scripts/test started it,
/// else started here with scripts/moto (which runs uploaded packages with the local node/python).
enum Moto {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// Started once per test process. Its output goes to a file, not a pipe: the server it leaves running
    /// in the background would hold a pipe open, and reading it to the end would never return.
    private static let started: Result<String, FaastError> = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: repo + "/scripts/moto")
        p.arguments = ["start"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            return .failure(FaastError(.transport, "could not run scripts/moto: \(error)"))
        }
        p.waitUntilExit()
        let url = ((try? String(contentsOfFile: repo + "/.build/moto.endpoint", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard p.terminationStatus == 0, url.hasPrefix("http") else {
            return .failure(FaastError(.transport, "could not start moto_server with scripts/moto (see .build/moto.log)"))
        }
        return .success(url)
    }()

    static func endpoint() throws -> String {
        if let url = ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL"], !url.isEmpty { return url }
        return try started.get()
    }

    /// The environment a provider sees: moto's endpoint and dummy credentials, nothing from the real one.
    static func environment(home: String = NSTemporaryDirectory()) throws -> [String: String] {
        ["AWS_ENDPOINT_URL": try endpoint(), "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
         "AWS_REGION": "us-east-1", "HOME": home, "XDG_CACHE_HOME": NSTemporaryDirectory() + "faast-aws-cache-\(UUID().uuidString.prefix(6))"]
    }

    static func client() throws -> AWSClient {
        try AWSClient.fromEnvironment(region: nil, environment: environment())
    }

    /// Lists the emulator's resources with boto3 — an independent client — as JSON.
    static func inventory(containing needle: String) throws -> [String: [String]] {
        let script = """
            import boto3, json, sys
            kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
            n = sys.argv[2]
            out = {
              "functions": [f["FunctionName"] for f in boto3.client("lambda", **kw).list_functions()["Functions"] if n in f["FunctionName"]],
              "topics": [t["TopicArn"] for t in boto3.client("sns", **kw).list_topics()["Topics"] if n in t["TopicArn"]],
              "queues": [q for q in boto3.client("sqs", **kw).list_queues().get("QueueUrls", []) if n in q],
              "logGroups": [g["logGroupName"] for g in boto3.client("logs", **kw).describe_log_groups()["logGroups"] if n in g["logGroupName"]],
            }
            print(json.dumps(out))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, try endpoint(), needle]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let doc = try JSONParser.parse(bytes: Array(data))
        var result: [String: [String]] = [:]
        for key in ["functions", "topics", "queues", "logGroups"] {
            result[key] = (doc[key]?.arrayValue ?? []).compactMap(\.stringValue)
        }
        return result
    }

    static func module(_ name: String) -> String { repo + "/Tests/Fixtures/modules/" + name }
}
