import FaastCore
import Foundation
import Testing
import ZIPFoundation

@testable import FaastPackaging

/// A scratch project folder, removed at the end of the test.
final class Scratch {
    let path: String
    init() throws {
        path = Paths.real(NSTemporaryDirectory()) + "/faast-packaging-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ relative: String, _ text: String, mode: Int = 0o644) throws {
        let file = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
    }
}

@Suite("Packaging")
struct PackagingTests {
    @Test("the project root is the nearest folder with a marker, never the home folder or above")
    func projectRoot() throws {
        let s = try Scratch()
        try s.write("proj/package.json", "{}")
        try s.write("proj/src/lib/mod.js", "")
        try s.write("loose/mod.py", "")
        #expect(ProjectRoot.find(forModule: s.path + "/proj/src/lib/mod.js", home: "/nonexistent-home") == s.path + "/proj")
        #expect(ProjectRoot.find(forModule: s.path + "/loose/mod.py", home: s.path) == s.path + "/loose")
        // A marker in the home folder does not make the home folder a project.
        try s.write("package.json", "{}")
        #expect(ProjectRoot.find(forModule: s.path + "/loose/mod.py", home: s.path) == s.path + "/loose")
    }

    @Test("node: relative requires, JSON, ES modules and node_modules packages are traced and laid out as they are")
    func nodeTrace() async throws {
        let s = try Scratch()
        try s.write("proj/package.json", #"{"name": "proj"}"#)
        try s.write("proj/src/mod.js", """
            const { twice } = require('./helper');
            const data = require('../data/table.json');
            const left = require('leftpad-lite');
            exports.quad = (x) => twice(twice(x));
            exports.pad = (s) => left(s, data.width);
            exports.esm = async () => (await import('./esm.mjs')).three();
            """)
        try s.write("proj/src/helper.js", "exports.twice = (x) => 2 * x;")
        try s.write("proj/src/esm.mjs", "import { one } from './one.mjs'; export const three = () => one * 3;")
        try s.write("proj/src/one.mjs", "export const one = 1;")
        try s.write("proj/src/unused.js", "exports.never = 1;")
        try s.write("proj/data/table.json", #"{"width": 5}"#)
        try s.write("proj/node_modules/leftpad-lite/package.json", #"{"name": "leftpad-lite", "main": "index.js", "dependencies": {"tiny-dep": "1"}}"#)
        try s.write("proj/node_modules/leftpad-lite/index.js", "module.exports = (s, n) => s.padStart(n);")
        try s.write("proj/node_modules/leftpad-lite/bin/tool.sh", "#!/bin/sh\necho hi\n", mode: 0o755)
        try s.write("proj/node_modules/tiny-dep/package.json", #"{"name": "tiny-dep"}"#)
        try s.write("proj/node_modules/tiny-dep/index.js", "module.exports = 1;")
        let module = ModuleSpec(path: s.path + "/proj/src/mod.js", runtime: .node)
        let plan = try await PackagePlanner.plan(module: module, notices: Notices(echo: false))
        let paths = plan.entries.map(\.path)
        #expect(plan.handler == "src/trampoline.handler")
        for expected in ["src/mod.js", "src/trampoline.js", "src/helper.js", "data/table.json", "package.json",
                         "node_modules/leftpad-lite/index.js", "node_modules/leftpad-lite/package.json",
                         "node_modules/tiny-dep/index.js"] {
            #expect(paths.contains(expected), "missing \(expected) in \(paths)")
        }
        // ES modules are imported lazily here (inside a function): not traced, as the README says.
        #expect(!paths.contains("src/unused.js"))
        let tool = try #require(plan.entries.first { $0.path == "node_modules/leftpad-lite/bin/tool.sh" })
        #expect(tool.mode == 0o755)
    }

    @Test("node: an ES module's static imports are traced")
    func nodeESM() async throws {
        let s = try Scratch()
        try s.write("mod.mjs", "import { one } from './lib/one.mjs'; export const f = () => one;")
        try s.write("lib/one.mjs", "import data from '../d.json' with { type: 'json' }; export const one = data.one;")
        try s.write("d.json", #"{"one": 1}"#)
        let plan = try await PackagePlanner.plan(module: ModuleSpec(path: s.path + "/mod.mjs", runtime: .node), notices: Notices(echo: false))
        #expect(plan.entries.map(\.path) == ["d.json", "lib/one.mjs", "mod.mjs", "trampoline.js"])
    }

    @Test("python: sibling modules and packages at the package root; the standard library left out")
    func pythonTrace() async throws {
        let s = try Scratch()
        try s.write("proj/requirements.txt", "")
        try s.write("proj/mod.py", "import json\nfrom helper_py import twice\nfrom pkg.sub import three\ndef quad(x):\n    return twice(twice(x))\n")
        try s.write("proj/helper_py.py", "def twice(x):\n    return 2 * x\n")
        try s.write("proj/pkg/__init__.py", "")
        try s.write("proj/pkg/sub.py", "three = 3\n")
        let notices = Notices(echo: false)
        let plan = try await PackagePlanner.plan(module: ModuleSpec(path: s.path + "/proj/mod.py", runtime: .python), notices: notices)
        #expect(plan.entries.map(\.path) == ["helper_py.py", "mod.py", "pkg/__init__.py", "pkg/sub.py", "trampoline.py"])
        #expect(plan.handler == "trampoline.handler")
        #expect(notices.warnings.isEmpty)
    }

    @Test("python: an installed package goes whole, with the packages it imports")
    func pythonInstalled() async throws {
        // pexpect (and ptyprocess, which it imports) are installed for the test suite (scripts/test).
        let s = try Scratch()
        try s.write("mod.py", "import pexpect\ndef f():\n    return pexpect.__name__\n")
        let notices = Notices(echo: false)
        let plan = try await PackagePlanner.plan(module: ModuleSpec(path: s.path + "/mod.py", runtime: .python), notices: notices)
        let paths = plan.entries.map(\.path)
        #expect(paths.contains("pexpect/__init__.py"))
        #expect(paths.contains("ptyprocess/__init__.py"))
        // Files pexpect did not import at load time come too (the whole folder).
        #expect(paths.contains("pexpect/replwrap.py"))
        #expect(!paths.contains { $0.hasPrefix("json/") || $0.hasSuffix("__pycache__") })
    }

    @Test("the module keeps its own name in the package, unless it is the trampoline's")
    func moduleName() async throws {
        let s = try Scratch()
        try s.write("trampoline.py", "def f():\n    return 1\n")
        try s.write("functions.py", "def f():\n    return 1\n")
        let clash = try await PackagePlanner.plan(module: ModuleSpec(path: s.path + "/trampoline.py", runtime: .python), notices: Notices(echo: false))
        #expect(clash.moduleFile == "faast_module.py")
        #expect(clash.entries.map(\.path) == ["faast_module.py", "trampoline.py"])
        let own = try await PackagePlanner.plan(module: ModuleSpec(path: s.path + "/functions.py", runtime: .python), notices: Notices(echo: false))
        #expect(own.moduleFile == "functions.py")
        #expect(own.entries.map(\.path) == ["functions.py", "trampoline.py"])
    }

    @Test("node: under a package.json of type module, the trampoline is CommonJS by name")
    func typeModule() async throws {
        let s = try Scratch()
        try s.write("package.json", #"{"type": "module"}"#)
        try s.write("mod.js", "import { one } from './one.js'; export const f = () => one;")
        try s.write("one.js", "export const one = 1;")
        let plan = try await PackagePlanner.plan(module: ModuleSpec(path: s.path + "/mod.js", runtime: .node), notices: Notices(echo: false))
        #expect(plan.entries.map(\.path) == ["mod.js", "one.js", "package.json", "trampoline.cjs"])
        #expect(plan.handler == "trampoline.handler")
    }

    @Test("a file loaded from outside the project is not packaged, and a warning names it")
    func outside() async throws {
        let s = try Scratch()
        try s.write("shared/util.js", "exports.u = 1;")
        try s.write("proj/package.json", "{}")
        try s.write("proj/mod.js", "exports.f = () => require('../shared/util').u;\nrequire('../shared/util');")
        let notices = Notices(echo: false)
        let plan = try await PackagePlanner.plan(module: ModuleSpec(path: s.path + "/proj/mod.js", runtime: .node), notices: notices)
        #expect(!plan.entries.contains { $0.path.contains("util") })
        #expect(notices.warnings.contains { $0.contains("shared/util.js") && $0.contains("outside") })
    }

    @Test("the zip: same input, same bytes; permission bits kept")
    func zip() throws {
        let s = try Scratch()
        try s.write("run.sh", "#!/bin/sh\n", mode: 0o755)
        try s.write("a.txt", "a")
        let entries = try PackageFolder.entries(in: s.path)
        let a = try DeterministicZip.make(entries)
        let b = try DeterministicZip.make(entries)
        #expect(a == b)
        let archive = try Archive(data: a, accessMode: .read)
        let modes = Dictionary(uniqueKeysWithValues: archive.map { ($0.path, ($0.fileAttributes[.posixPermissions] as? Int) ?? 0) })
        #expect(modes["run.sh"] == 0o755)
        #expect(modes["a.txt"] == 0o644)
    }
}
