/// The request/response envelope that every provider and both trampolines speak: one JSON object per
/// message (newline-delimited on local pipes, the payload of `Invoke` on Lambda).
public enum WireProtocol {
    /// The request for calling `function` with `args` (and `keywords`, sent as `"kwargs"` only when there are
    /// some: python's keyword arguments); `newline` ends it as a line for a pipe. `stream` asks a
    /// generator to send each value it yields as its own message: `true` on the response channel (a local
    /// worker's pipe), a queue URL for an SQS queue (Lambda's queue mode).
    public static func callRequest(callId: String, function: String, args: [JSONValue], keywords: [JSONMember] = [],
                                   newline: Bool = false, stream: JSONValue? = nil) -> String {
        var out = "{\"callId\":"
        out.reserveCapacity(40 + callId.utf8.count + function.utf8.count + 16 * args.count)
        JSONValue.writeString(callId, to: &out)
        out += ",\"name\":"
        JSONValue.writeString(function, to: &out)
        out += ",\"args\":["
        for (i, a) in args.enumerated() {
            if i > 0 { out += "," }
            a.write(to: &out)
        }
        out += "]"
        if !keywords.isEmpty {
            out += ",\"kwargs\":"
            JSONValue.object(keywords).write(to: &out)
        }
        if let stream {
            out += ",\"stream\":"
            stream.write(to: &out)
        }
        out += newline ? "}\n" : "}"
        return out
    }

    /// The request line asking a trampoline to describe its module.
    public static func describeRequest(callId: String) -> String {
        var out = "{\"op\":\"describe\",\"callId\":"
        JSONValue.writeString(callId, to: &out)
        return out + "}"
    }

    /// Decodes one response object.
    public static func decode(_ value: JSONValue) throws(FaastError) -> WireResponse {
        guard case .object = value, let type = value["type"]?.stringValue else {
            throw FaastError(.transport, "malformed response from the runtime: \(value.jsonText.prefix(200))")
        }
        let callId = value["callId"]?.stringValue ?? ""
        let timing = RemoteTiming(
            start: value["start"]?.doubleValue, end: value["end"]?.doubleValue,
            memoryMb: value["memoryMb"]?.doubleValue)
        switch type {
        case "returned":
            return .returned(callId: callId, value: value["value"] ?? .null, timing: timing)
        case "error", "loadError":
            let (error, kind) = remoteError(from: value["error"] ?? .null)
            if type == "loadError" { return .loadError(error) }
            return .failed(callId: callId, error: error, kind: kind, timing: timing)
        case "yield":
            return .yielded(callId: callId, seq: value["seq"]?.intValue ?? 0, value: value["value"] ?? .null)
        case "ready":
            return .ready(runtime: value["runtime"]?.stringValue ?? "?", version: value["version"]?.stringValue ?? "?")
        case "described":
            let functions = (value["functions"]?.arrayValue ?? []).compactMap { f -> FunctionInfo? in
                guard let name = f["name"]?.stringValue else { return nil }
                let params = (f["params"]?.arrayValue ?? []).compactMap(\.stringValue)
                var info = FunctionInfo(name: name, parameters: params, isGenerator: f["generator"]?.boolValue ?? false)
                info.declared = f["parameters"]?.arrayValue?.compactMap { p -> ParameterInfo? in
                    guard let name = p["name"]?.stringValue else { return nil }
                    return ParameterInfo(name: name, kind: p["kind"]?.stringValue.flatMap(ParameterInfo.Kind.init) ?? .positional,
                                         defaultText: p["default"]?.stringValue)
                }
                info.declaration = f["signature"]?.stringValue
                info.doc = f["doc"]?.stringValue
                return info
            }
            return .described(functions, files: (value["files"]?.arrayValue ?? []).compactMap(\.stringValue))
        default:
            throw FaastError(.transport, "unknown response type '\(type)' from the runtime")
        }
    }

    /// Splits a runtime's error object into a `RemoteError` and the faast kind it names (if any).
    public static func remoteError(from value: JSONValue) -> (RemoteError, String?) {
        var error = RemoteError(
            name: value["name"]?.stringValue ?? "Error",
            message: value["message"]?.stringValue ?? (value.stringValue ?? value.jsonText))
        error.stack = value["stack"]?.stringValue
        var kind: String?
        if case .object(let members) = value {
            for m in members {
                switch m.key {
                case "name", "message", "stack": continue
                case "kind": kind = m.value.stringValue
                case "file", "line": error.properties.append(m)
                default: error.properties.append(m)
                }
            }
        }
        return (error, kind)
    }
}

/// The function's own timing as measured where it ran: epoch milliseconds and memory in MB.
public struct RemoteTiming: Sendable, Hashable {
    public var start: Double?
    public var end: Double?
    public var memoryMb: Double?
    /// Whether the attempt was the first call of a new worker (locally) or instance (Lambda's REPORT line has an
    /// `Init Duration`): its latency may include starting the runtime and loading the module.
    public var coldStart = false
    public init(start: Double? = nil, end: Double? = nil, memoryMb: Double? = nil, coldStart: Bool = false) {
        self.start = start
        self.end = end
        self.memoryMb = memoryMb
        self.coldStart = coldStart
    }
    /// Execution time in milliseconds, when both ends are known.
    public var executionMs: Double? {
        guard let start, let end else { return nil }
        return max(0, end - start)
    }
}

/// A decoded response.
public enum WireResponse: Sendable {
    case returned(callId: String, value: JSONValue, timing: RemoteTiming)
    case failed(callId: String, error: RemoteError, kind: String?, timing: RemoteTiming)
    case ready(runtime: String, version: String)
    case loadError(RemoteError)
    /// The module's functions, and the user's own source files it loaded (to notice edits; may be empty).
    case described([FunctionInfo], files: [String])
    /// One value a generator yielded (`seq` counts from 0); the call's answer is still to come.
    case yielded(callId: String, seq: Int, value: JSONValue)

    /// The call an answer is for (empty when the worker could not tell, e.g. a request it could not read).
    public var callId: String? {
        switch self {
        case .returned(let id, _, _), .failed(let id, _, _, _), .yielded(let id, _, _): return id
        default: return nil
        }
    }
}

/// A function of a deployed module and its parameter names.
public struct FunctionInfo: Sendable, Hashable, Codable {
    public var name: String
    public var parameters: [String]
    /// A generator function (`function*`, a python generator): its result is the array of what it yields.
    public var isGenerator: Bool
    /// Each parameter with its kind and default, as the runtime declares it (`help FN`); nil from a runtime
    /// that does not say.
    public var declared: [ParameterInfo]?
    /// The parameter list as the module's language writes it: `(name, punct='!', *, times=1)`.
    public var declaration: String?
    /// The docstring (python) or the comment above the function (node), cleaned of comment markers.
    public var doc: String?
    public init(name: String, parameters: [String], isGenerator: Bool = false) {
        self.name = name
        self.parameters = parameters
        self.isGenerator = isGenerator
    }
    /// `hello(name)`.
    public var signature: String { "\(name)(\(parameters.joined(separator: ", ")))" }
    /// `greet(name, punct='!', *, times=1)`: with defaults, where the runtime said.
    public var fullSignature: String { declaration.map { name + $0 } ?? signature }
}

/// One parameter of a function, as its runtime declares it.
public struct ParameterInfo: Sendable, Hashable, Codable {
    /// How an argument reaches the parameter (python's kinds; a node parameter is `positional` or `variadic`).
    public enum Kind: String, Sendable, Hashable, Codable {
        case positional, positionalOnly, keywordOnly
        /// `*args`, `...rest`
        case variadic
        /// `**kwargs`
        case keywords
    }
    public var name: String
    public var kind: Kind
    /// The default's source text (python: its repr), nil when the parameter has none.
    public var defaultText: String?
    public init(name: String, kind: Kind = .positional, defaultText: String? = nil) {
        self.name = name
        self.kind = kind
        self.defaultText = defaultText
    }
}
