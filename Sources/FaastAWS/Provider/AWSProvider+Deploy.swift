import FaastCore
import FaastPackaging
import Foundation

/// Deploying: the role, the log group, the function (waited for until Active), and the module's description;
/// a deploy that fails rolls back what it created.
extension AWSProvider {
    static func deploy(_ module: ModuleSpec, settings: DeploySettings, client: AWSClient) async throws -> AWSProvider {
        let services = AWSServices(client: client)
        let names = ResourceNames.newSession()
        let tags = names.tags(retentionDays: settings.logRetentionDays)
        let architecture = settings.cloud.architecture.rawValue
        let prepared = try await DeployPackage.prepare(module, settings: settings, services: services, notices: Notices())
        let package = prepared.code
        var created: Set<String> = []
        do {
            let roleName = settings.cloud.role ?? ResourceNames.defaultRole
            let role = try await ensureRole(roleName, custom: settings.cloud.role != nil, services: services)
            try await services.createLogGroup(names.logGroup, tags: tags, retentionDays: retentionInDays(settings.logRetentionDays))
            created.insert("logGroup")
            var env = settings.env
            env["FAAST_PROVIDER"] = "aws"
            env["FAAST_SESSION_ID"] = names.sessionId
            let body: JSONValue = [
                "FunctionName": .string(names.function),
                "Runtime": module.runtime == .node ? "nodejs20.x" : "python3.12",
                "Role": .string(role.arn), "Handler": .string(package.handler),
                "Layers": .array(prepared.layer.map { [.string($0.arn)] } ?? []),
                "Code": ["ZipFile": .string(Data(package.zip).base64EncodedString())],
                "MemorySize": .int(settings.memoryMb), "Timeout": .int(Int(settings.timeout.rounded(.up))),
                "Environment": ["Variables": AWSServices.json(env)],
                "Architectures": [.string(architecture)], "Tags": AWSServices.json(tags),
                "Description": .string("faast session \(names.sessionId): \(FilePaths.lastComponent(module.path))"),
            ]
            // From here the function may exist even when CreateFunction fails (accepted, then an error or a lost
            // answer): the rollback looks for it by name.
            created.insert("function")
            let function = try await createFunction(body, waitForRole: role.isNew, services: services)
            let arn = function["FunctionArn"]?.stringValue ?? ""
            try await waitUntilActive(names.function, services: services)
            let functions = try await describe(names.function, services: services, module: module)
            return AWSProvider(module: module, functions: functions, settings: settings, names: names, functionArn: arn,
                               services: services, roleName: roleName, layer: prepared.layer)
        } catch {
            // Roll back what this deploy created; the shared role stays for the next session.
            var left: [String] = []
            if created.contains("function"), !(await deleteIfPresent(services: services, { try await services.deleteFunction(names.function) })) {
                left.append("function \(names.function)")
            }
            if created.contains("logGroup"), !(await deleteIfPresent(services: services, { try await services.deleteLogGroup(names.logGroup) })) {
                left.append("log group \(names.logGroup)")
            }
            var failure = AWSErrors.faastError(error)
            if failure.kind == .cancelled { failure.message = "the deploy was cancelled" }
            failure.kind = .deployFailed
            if !left.isEmpty {
                failure.message += "; the rollback could not delete \(left.joined(separator: ", ")) (`faast cleanup aws --execute` removes it)"
            }
            throw failure
        }
    }

    /// Deletes something that may or may not exist; true when it is gone (deleted now, or never there).
    static func deleteIfPresent(services: AWSServices, _ delete: () async throws -> Void) async -> Bool {
        do {
            try await delete()
            return true
        } catch let e as AWSServiceError where e.isNotFound {
            return true
        } catch {
            return false
        }
    }

    /// CloudWatch accepts only some retention periods: the smallest one that keeps logs at least `days`.
    static func retentionInDays(_ days: Double) -> Int {
        let allowed = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
        return allowed.first { Double($0) >= days } ?? 3653
    }

    /// The least-privilege execution role: write its own logs, send to its own response queue.
    static let trustPolicy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
    static let rolePolicy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:*:log-group:/aws/lambda/faast-*:*"},{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:faast-*"}]}"#

    /// The role functions run as: `role=`'s (which must exist), else faast's own, made on first use. Several
    /// sessions may make it at once: `EntityAlreadyExists` means another one did, and its role is used. Its
    /// policy is (re)written when missing or not the current one (a session killed between CreateRole and
    /// PutRolePolicy leaves a role without it).
    static func ensureRole(_ name: String, custom: Bool, services: AWSServices) async throws -> (arn: String, isNew: Bool) {
        if let arn = try await services.roleArn(name) {
            if !custom { try await repairRolePolicy(name, services: services) }
            return (arn, false)
        }
        if custom { throw FaastError(.deployFailed, "the role '\(name)' (role=) does not exist") }
        do {
            let arn = try await services.createRole(name, trustPolicy: trustPolicy,
                                                    description: "faast: Lambda functions write their logs and send results to their queue")
            try await services.putRolePolicy(name, name: ResourceNames.rolePolicyName, document: rolePolicy)
            return (arn, true)
        } catch let e as AWSServiceError where e.code == "EntityAlreadyExists" {
            // Another session made it between our GetRole and CreateRole (or our own CreateRole was taken and
            // answered with an error, then sent again).
            guard let arn = try await services.roleArn(name) else { throw e }
            try await repairRolePolicy(name, services: services)
            return (arn, true)
        }
    }

    /// Writes faast's policy on its role unless the role already has exactly it.
    static func repairRolePolicy(_ role: String, services: AWSServices) async throws {
        let current = try await services.rolePolicy(role, name: ResourceNames.rolePolicyName)
        if let current, (try? JSONParser.parse(current)) == (try? JSONParser.parse(rolePolicy)) { return }
        try await services.putRolePolicy(role, name: ResourceNames.rolePolicyName, document: rolePolicy)
    }

    /// CreateFunction, waiting out IAM propagation when the role is new (for some seconds Lambda answers that it
    /// cannot assume it, as `InvalidParameterValueException`). A CreateFunction whose earlier attempt was taken
    /// answers `ResourceConflictException`: the function exists, which is what was asked.
    static func createFunction(_ body: JSONValue, waitForRole: Bool, services: AWSServices) async throws -> JSONValue {
        let started = MonotonicClock.seconds()
        while true {
            do {
                return try await services.createFunction(body)
            } catch let e as AWSServiceError where e.code == "InvalidParameterValueException" && waitForRole
                && MonotonicClock.seconds() - started < 30 {
                try await Task.sleep(nanoseconds: 2_000_000_000)
            } catch let e as AWSServiceError where e.code == "ResourceConflictException" {
                let name = body["FunctionName"]?.stringValue ?? ""
                guard let existing = try? await services.getFunction(name), let configuration = existing["Configuration"] else { throw e }
                return configuration
            }
        }
    }

    static func waitUntilActive(_ name: String, services: AWSServices) async throws {
        for _ in 0..<120 {
            let f = try await services.getFunction(name)
            let state = f["Configuration"]?["State"]?.stringValue ?? "Active"
            switch state {
            case "Active": return
            case "Failed":
                throw FaastError(.deployFailed, "the function failed to start: \(f["Configuration"]?["StateReason"]?.stringValue ?? "no reason given")")
            default: try await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
        throw FaastError(.deployFailed, "the function did not become Active within 2 minutes")
    }

    /// Asks the deployed trampoline for the module's functions (this also proves the package loads).
    static func describe(_ name: String, services: AWSServices, module: ModuleSpec) async throws -> [FunctionInfo] {
        let response = try await services.client.send(
            .lambda, method: "POST", path: "/2015-03-31/functions/\(AWSServices.path(name))/invocations",
            headers: [("X-Amz-Invocation-Type", "RequestResponse"), ("Content-Type", "application/json")],
            body: Array(WireProtocol.describeRequest(callId: "describe").utf8), timeout: 120)
        guard response.status < 300 else { throw AWSClient.restJSONError(service: "Lambda", response) }
        let payload = (try? JSONParser.parse(bytes: response.body)) ?? .null
        if response.header("x-amz-function-error") != nil {
            throw FaastError(.deployFailed, "the module failed to load on Lambda: \(payload["errorMessage"]?.stringValue ?? payload.jsonText)")
        }
        switch try WireProtocol.decode(payload) {
        case .described(let list) where !list.isEmpty: return list
        case .described: throw FaastError(.deployFailed, "\(FilePaths.lastComponent(module.path)) has no functions to call")
        case .loadError(let e): throw FaastError(.deployFailed, "the module failed to load: \(e.name): \(e.message)")
        default: throw FaastError(.deployFailed, "the runtime did not describe the module")
        }
    }
}
