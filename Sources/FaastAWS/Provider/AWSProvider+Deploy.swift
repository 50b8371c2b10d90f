import FaastCore
import FaastPackaging
import Foundation

/// Deploying: the package, the role, the log group (and, when the session defaults to queue mode, the queue and
/// topic) at once; then the function, waited for until Active; then the module's description (and queue mode's
/// destinations and subscription). A deploy that fails rolls back what any of its steps created.
extension AWSProvider {
    /// What the independent first steps of a deploy produce.
    private enum Prepared: Sendable {
        case package(DeployPackage)
        case role(arn: String, isNew: Bool)
        case logGroup
        case queue(QueueTransport.Infrastructure)
    }

    static func deploy(_ module: ModuleSpec, settings: DeploySettings, client: AWSClient,
                       names: ResourceNames = .newSession(), notices: Notices = Notices()) async throws -> AWSProvider {
        let services = AWSServices(client: client)
        let tags = names.tags(retentionDays: settings.logRetentionDays)
        let roleName = settings.cloud.role ?? ResourceNames.defaultRole
        let ledger = DeployLedger()
        let progress = DeployProgress(notices: notices, module: FilePaths.lastComponent(module.path))
        defer { progress.finish() }
        // The module as the trampoline describes it here, asked for at once when it needs no installed dependencies
        // (else once the package step has installed them): the first call then need not wait for Lambda's.
        // What runs here (installs, the tracer, the local describe) is stopped when a step fails: unlike a creating
        // request, a local process cut off leaves nothing in AWS, and a long npm or pip need not hold up the rollback.
        let children = ChildProcesses()
        var localDescription: Task<[FunctionInfo]?, Never>?
        func describeLocally(modulePath: String?) -> Task<[FunctionInfo]?, Never> {
            ChildProcesses.$current.withValue(children) {
                Task { await LocalDescription.run(module, modulePath: modulePath, provider: "local", environment: settings.env) }
            }
        }
        if settings.package.dependencies == nil { localDescription = describeLocally(modulePath: nil) }
        do {
            // Nothing here needs another's result: run them at once. A failed step does not cancel the others:
            // a creating request cut off on the way may still take effect after the rollback looked, so each one
            // runs to its answer and the rollback sees everything they made. (Ctrl-C cancels them all; the
            // rollback then looks the queue and topic up by name.)
            var package: DeployPackage?
            var role: (arn: String, isNew: Bool)?
            var queue: QueueTransport.Infrastructure?
            var failure: (any Error)?
            await withTaskGroup(of: Result<Prepared, any Error>.self) { group in
                group.addTask {
                    await outcome { .package(try await ChildProcesses.$current.withValue(children) {
                        try await progress.step("packaging") {
                            try await DeployPackage.prepare(module, settings: settings, services: services, notices: notices)
                        }
                    }) }
                }
                group.addTask {
                    await outcome {
                        let r = try await progress.step("role check") {
                            try await ensureRole(roleName, custom: settings.cloud.role != nil, services: services)
                        }
                        return .role(arn: r.arn, isNew: r.isNew)
                    }
                }
                group.addTask {
                    await outcome {
                        try await progress.step("log group") {
                            ledger.note { $0.logGroup = true }
                            try await services.createLogGroup(names.logGroup, tags: tags, retentionDays: retentionInDays(settings.logRetentionDays))
                        }
                        return .logGroup
                    }
                }
                if settings.mode == .queue {
                    group.addTask {
                        await outcome { .queue(try await progress.step("queue and topic") {
                            try await QueueTransport.createQueueAndTopic(services: services, names: names, tags: tags, sending: { what in
                                ledger.note { if what == "queue" { $0.queueRequested = true } else { $0.topicRequested = true } }
                            }, made: { infra in
                                ledger.note { $0.queue = infra }
                            })
                        }) }
                    }
                }
                for await step in group {
                    switch step {
                    case .success(.package(let p)): package = p
                    case .success(.role(let arn, let isNew)): role = (arn, isNew)
                    case .success(.logGroup): break
                    case .success(.queue(let infra)): queue = infra
                    case .failure(let error):
                        // The first failure is the one to report, unless it is only a consequence (cancelled).
                        if failure == nil || (failure as? FaastError)?.kind == .cancelled { failure = error }
                        children.stop()
                    }
                }
            }
            if let failure { throw failure }
            guard let package, let role else { throw FaastError(.deployFailed, "the deploy's first steps did not finish") }
            let described = localDescription ?? describeLocally(modulePath: package.modulePath)
            localDescription = described

            var env = settings.env
            env["FAAST_PROVIDER"] = "aws"
            env["FAAST_SESSION_ID"] = names.sessionId
            // The trampoline loads this file next to it and then sets FAAST_MODULE to its absolute path, as locally.
            env["FAAST_MODULE"] = package.code.moduleFile
            let body: JSONValue = [
                "FunctionName": .string(names.function),
                "Runtime": module.runtime == .node ? "nodejs20.x" : "python3.12",
                "Role": .string(role.arn), "Handler": .string(package.code.handler),
                "Layers": .array(package.layer.map { [.string($0.arn)] } ?? []),
                "Code": ["ZipFile": .string(Data(package.code.zip).base64EncodedString())],
                "MemorySize": .int(settings.memoryMb), "Timeout": .int(Int(settings.timeout.rounded(.up))),
                "Environment": ["Variables": AWSServices.json(env)],
                "Architectures": [.string(settings.cloud.architecture.rawValue)], "Tags": AWSServices.json(tags),
                "Description": .string("faast session \(names.sessionId): \(FilePaths.lastComponent(module.path))"),
            ]
            // From here the function may exist even when CreateFunction fails (accepted, then an error or a lost
            // answer): the rollback looks for it by name.
            ledger.note { $0.function = true }
            let function = try await progress.step(role.isNew ? "creating the function (waiting for the new role)" : "creating the function") {
                try await createFunction(body, waitForRole: role.isNew, services: services)
            }
            let arn = function["FunctionArn"]?.stringValue ?? ""
            try await progress.step("waiting until the function is Active") {
                try await waitUntilActive(names.function, services: services)
            }
            // Lambda's description and the queue's second half need the function Active, neither needs the other.
            // Lambda's is asked for at once; when the module was described here, nothing waits for it.
            let remote = Task { try await describe(names.function, services: services, module: module) }
            let made = queue
            let (functions, infra) = try await withTaskCancellationHandler {
                async let connected = connectQueue(made, names: names, functionArn: arn, services: services, ledger: ledger, progress: progress)
                let local = await described.value
                // The queue first: its requests create things, so they run to their answers even when describing fails.
                let infra: QueueTransport.Infrastructure?
                do { infra = try await connected } catch {
                    remote.cancel()  // the deploy rolls back: no answer is wanted
                    throw error
                }
                if let local { return (ModuleDescription(local: local, remote: remote), infra) }
                // The module did not load here (or needs what only Lambda has): Lambda's description is the only one.
                return (ModuleDescription(try await progress.step("loading the module on Lambda") { try await remote.value }), infra)
            } onCancel: { remote.cancel() }
            let provider = AWSProvider(module: module, functions: functions, settings: settings, names: names, functionArn: arn,
                                       services: services, roleName: roleName, layer: package.layer,
                                       sourceFiles: package.code.sourceFiles)
            if let infra { provider.queue.adopt(infra) }
            return provider
        } catch {
            progress.finish()
            children.stop()
            _ = await localDescription?.value  // gone before the deploy ends
            // Roll back what this deploy created; the shared role stays for the next session.
            let made = ledger.snapshot
            // In a task of its own: a deploy cancelled by Ctrl-C must still roll back, and its own requests would
            // be cancelled with it.
            let (deleted, left) = await Task {
                let queue = await QueueTransport.findByName(made.queue, queue: made.queueRequested, topic: made.topicRequested,
                                                            services: services, names: names)
                return await deleteSession(names: names, queue: queue, function: made.function, logGroup: made.logGroup,
                                           services: services)
            }.value
            var failure = AWSErrors.faastError(error)
            if failure.kind == .cancelled { failure.message = "the deploy was cancelled" }
            failure.kind = .deployFailed
            // What the rollback undid: local work stopped, resources deleted (not those that never came to be).
            let undone = children.stoppedLabels.map { "stopped \($0)" } + deleted.filter { $0.hasPrefix("deleted ") }
            if !undone.isEmpty { failure.message += "; rolled back: " + undone.joined(separator: ", ") }
            if !left.isEmpty {
                failure.message += "; the rollback could not delete \(left.map(\.what).joined(separator: ", ")) (`faast cleanup aws --execute` removes it)"
            }
            throw failure
        }
    }

    /// A step's result or error, so that one step's failure leaves the others running to their answers.
    private static func outcome(_ body: () async throws -> Prepared) async -> Result<Prepared, any Error> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    /// Queue mode's second half for a session that defaults to it (nil otherwise).
    private static func connectQueue(_ infra: QueueTransport.Infrastructure?, names: ResourceNames, functionArn: String,
                                     services: AWSServices, ledger: DeployLedger, progress: DeployProgress) async throws
        -> QueueTransport.Infrastructure? {
        guard let infra else { return nil }
        return try await progress.step("connecting the queue") {
            try await QueueTransport.connect(infra, services: services, names: names, functionArn: functionArn) { full in
                ledger.note { $0.queue = full }
            }
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
        var delay = 0.25
        while true {
            do {
                return try await services.createFunction(body)
            } catch let e as AWSServiceError where e.code == "InvalidParameterValueException" && waitForRole
                && MonotonicClock.seconds() - started < 30 {
                // Propagation usually takes a few seconds: ask again soon, then every 2 s.
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                delay = min(2, delay * 2)
            } catch let e as AWSServiceError where e.code == "ResourceConflictException" {
                let name = body["FunctionName"]?.stringValue ?? ""
                guard let existing = try? await services.getFunction(name), let configuration = existing["Configuration"] else { throw e }
                return configuration
            }
        }
    }

    /// Polls the function's state until it is Active (50 ms doubling to 1 s between polls).
    static func waitUntilActive(_ name: String, services: AWSServices) async throws {
        let active = try await poll(limit: 120) { () -> Bool? in
            let f = try await services.getFunction(name)
            switch f["Configuration"]?["State"]?.stringValue ?? "Active" {
            case "Active": return true
            case "Failed":
                throw FaastError(.deployFailed, "the function failed to start: \(f["Configuration"]?["StateReason"]?.stringValue ?? "no reason given")")
            default: return nil
            }
        }
        if active == nil { throw FaastError(.deployFailed, "the function did not become Active within 2 minutes") }
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
        case .described(let list, _) where !list.isEmpty: return list
        case .described: throw FaastError(.deployFailed, "\(FilePaths.lastComponent(module.path)) has no functions to call")
        case .loadError(let e): throw FaastError(.deployFailed, "the module failed to load: \(e.name): \(e.message)")
        default: throw FaastError(.deployFailed, "the runtime did not describe the module")
        }
    }
}
