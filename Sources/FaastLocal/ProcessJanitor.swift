import CFaastSys
import FaastCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Finds and stops the processes that functions start and leave behind, so that none outlives its worker.
///
/// Each worker runs in a process group of its own, so what a function forks is in the worker's group. A process
/// that left the group (`setsid`, a daemon's double fork) is found another way: faast is the subreaper of its
/// descendants (PR_SET_CHILD_SUBREAPER), so such a process becomes faast's child once the process that started
/// it ends, and it carries its worker's marks in its environment (`FAAST_SESSION_ID` and `FAAST_WORKER_ID`,
/// inherited from the worker). When a worker ends (it exited, crashed, was killed for a timeout, a cancel or its
/// memory, or its session was cleaned up), faast kills its group and every child of faast that is in that
/// group or carries that worker's marks, with everything those started, and reaps them; at cleanup it does the
/// same for the session's marks. Children faast starts itself carry no marks and are never in a worker's group,
/// and the live workers of other sessions and of this one are never touched. (A process that drops its
/// worker's marks from its environment and leaves its group is found at neither; if faast itself is killed
/// with SIGKILL, its workers die with it, by PR_SET_PDEATHSIG, and what they started goes to init.)
enum ProcessJanitor {
    private struct Known {
        /// Workers not reaped yet, with their marks: never the janitor's to kill or to wait for.
        var workers: [pid_t: Marks] = [:]
        var subreaper = false
    }

    /// The environment entries a worker's descendants inherit from it.
    struct Marks: Sendable, Hashable {
        var session: String
        var worker: String

        init(sessionId: String, workerId: Int) {
            session = "FAAST_SESSION_ID=" + sessionId
            worker = "FAAST_WORKER_ID=\(workerId)"
        }
    }

    private static let known = Mutex(Known())

    /// Forks a worker with `spawn`, recording its pid and marks before any sweep can see it.
    static func startWorker(_ marks: Marks, _ spawn: () -> pid_t) -> pid_t {
        known.withLock { k in
            if !k.subreaper { k.subreaper = faast_become_subreaper() == 0 }
            let pid = spawn()
            if pid > 0 { k.workers[pid] = marks }
            return pid
        }
    }

    /// Reaps worker `pid`, which has exited (`waitid(WNOWAIT)` saw it: its pid, and so its process group id,
    /// cannot be reused yet). First kills its group and what it started that left the group (see above) and
    /// reaps those; returns the worker's exit code (or -signal).
    static func reapExited(worker pid: pid_t) -> Int32 {
        known.withLock { k in
            if let marks = k.workers[pid] {
                _ = stopAdopted(k, workerGroup: pid) { $0.contains(marks.session) && $0.contains(marks.worker) }
            } else {
                kill(-pid, SIGKILL)
            }
            var status: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(pid, &status, 0) } while r < 0 && errno == EINTR
            k.workers[pid] = nil
            return r == pid ? faast_wait_status_code(status) : 0
        }
    }

    /// Kills and reaps every process faast adopted from the workers of session `sessionId` (see above); returns
    /// how many it found. For a session's cleanup, after its workers have been reaped.
    @discardableResult
    static func sweep(sessionId: String) -> Int {
        let mark = "FAAST_SESSION_ID=" + sessionId
        return known.withLock { k in stopAdopted(k, workerGroup: nil) { $0.contains(mark) } }
    }

    /// Kills faast's children that are not live workers and either carry marks that `matches` or (with
    /// `workerGroup`) are in that ended worker's group, with all their descendants, and reaps them. Repeats
    /// while killing hands faast more such children (bounded). Returns how many children of faast it stopped.
    private static func stopAdopted(_ k: Known, workerGroup: pid_t?, matches: (Set<String>) -> Bool) -> Int {
        var stopped = 0
        var groupKilled = false
        for _ in 0..<32 {
            // Found while they run (a process's environment cannot be read once it has ended), killed after.
            var tree: [pid_t] = []
            for child in children(of: getpid()) where k.workers[child] == nil {
                guard let info = ProcStat(child) else { continue }
                if info.group == workerGroup || (!info.ended && matches(environment(of: child))) { tree.append(child) }
            }
            if let workerGroup, !groupKilled {
                kill(-workerGroup, SIGKILL)
                groupKilled = true
            }
            if tree.isEmpty { break }
            stopped += tree.count
            // Parents before their children: once a parent is reaped, its children are faast's to reap.
            var i = 0
            while i < tree.count, tree.count < 10_000 {
                tree += children(of: tree[i])
                i += 1
            }
            for pid in tree {
                // A process that leads a group of its own (setsid) takes its group along; its members can only
                // be its own descendants. Other groups (a worker's, faast's) are never signalled here.
                if ProcStat(pid)?.group == pid { kill(-pid, SIGKILL) }
                kill(pid, SIGKILL)
            }
            for pid in tree {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            }
        }
        return stopped
    }

    /// The children of every thread of `pid` (a child belongs to the thread that forked it, or took it in).
    static func children(of pid: pid_t) -> [pid_t] {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? ["\(pid)"]
        var out: [pid_t] = []
        for tid in threads {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/children", encoding: .utf8) else { continue }
            out += text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return out
    }

    private static func environment(of pid: pid_t) -> Set<String> {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return [] }
        return Set(data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
    }

    /// The fields of /proc/PID/stat the janitor reads.
    private struct ProcStat {
        var ended: Bool
        var group: pid_t

        init?(_ pid: pid_t) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { return nil }
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count >= 3, let group = pid_t(fields[2]) else { return nil }
            ended = fields[0] == "Z" || fields[0] == "X"
            self.group = group
        }
    }
}
