import CFaastSys
import FaastCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Finds and stops the processes that functions start and leave behind, so that none outlives its session.
///
/// Each worker runs in a process group of its own, so what a function forks is in the worker's group: when a
/// worker ends (it exited, was killed, or its session was cleaned up) its whole group is killed. A process that
/// left the group (`setsid`) is found another way: faast is the subreaper of its descendants
/// (PR_SET_CHILD_SUBREAPER), so such a process becomes faast's child when the worker that started it ends; at
/// cleanup, every child of faast that carries one of faast's session ids in its environment (`FAAST_SESSION_ID`,
/// inherited from its worker) is killed and reaped. Children faast starts itself never carry one. (If faast
/// itself is killed with SIGKILL, its workers die with it, by PR_SET_PDEATHSIG; what they started goes to init.)
enum ProcessJanitor {
    private struct Known {
        /// Workers not reaped yet: never the janitor's to kill or to wait for.
        var workers = Set<pid_t>()
        /// `FAAST_SESSION_ID=<id>` of every session whose workers this process started.
        var sessionMarks = Set<String>()
        var subreaper = false
    }
    private static let known = Mutex(Known())

    /// Forks a worker of session `sessionId` with `spawn`, recording its pid before any sweep can see it.
    static func startWorker(sessionId: String, _ spawn: () -> pid_t) -> pid_t {
        known.withLock { k in
            if !k.subreaper { k.subreaper = faast_become_subreaper() == 0 }
            k.sessionMarks.insert("FAAST_SESSION_ID=" + sessionId)
            let pid = spawn()
            if pid > 0 { k.workers.insert(pid) }
            return pid
        }
    }

    /// A worker was reaped (its group was killed just before).
    static func workerEnded(_ pid: pid_t) {
        _ = known.withLock { $0.workers.remove(pid) }
    }

    /// Kills and reaps every process faast adopted from its workers (see above); returns how many. Repeats while
    /// killing one hands its children to faast in turn (bounded).
    @discardableResult
    static func sweep() -> Int {
        known.withLock { k in
            var stopped = 0
            for _ in 0..<32 {
                let adopted = adoptedChildren(k)
                if adopted.isEmpty { break }
                for (pid, group) in adopted {
                    kill(-group, SIGKILL)
                    kill(pid, SIGKILL)
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    stopped += 1
                }
            }
            return stopped
        }
    }

    /// faast's live children that are not workers and carry a session mark, read from /proc.
    private static func adoptedChildren(_ k: Known) -> [(pid: pid_t, group: pid_t)] {
        let me = getpid()
        var out: [(pid: pid_t, group: pid_t)] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name), pid != me, !k.workers.contains(pid),
                  let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { continue }
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count >= 3, let parent = pid_t(fields[1]), let group = pid_t(fields[2]), parent == me,
                  fields[0] != "Z", fields[0] != "X",
                  let environ = FileManager.default.contents(atPath: "/proc/\(name)/environ"),
                  environ.split(separator: 0).contains(where: { k.sessionMarks.contains(String(decoding: $0, as: UTF8.self)) })
            else { continue }
            out.append((pid, group))
        }
        return out
    }
}
