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
/// cleanup, every child of faast that is neither a live worker nor in faast's own process group is killed and
/// reaped. (If faast itself is killed with SIGKILL, its workers die with it, by PR_SET_PDEATHSIG; what they
/// started goes to init.)
enum ProcessJanitor {
    /// The pids of workers not reaped yet: never the janitor's to kill or to wait for.
    private static let workers = Mutex<Set<pid_t>>([])
    private static let subreaper = Mutex(false)

    /// Forks a worker with `spawn`, recording its pid before any sweep can see it.
    static func startWorker(_ spawn: () -> pid_t) -> pid_t {
        subreaper.withLock { done in
            if !done { done = faast_become_subreaper() == 0 }
        }
        return workers.withLock { known in
            let pid = spawn()
            if pid > 0 { known.insert(pid) }
            return pid
        }
    }

    /// A worker was reaped (its group was killed just before): reaps any of faast's adopted children that have
    /// ended meanwhile (they would stay zombies).
    static func workerEnded(_ pid: pid_t) {
        workers.withLock { known in
            known.remove(pid)
            for child in adoptedChildren(except: known) where child.ended { reap(child.pid) }
        }
    }

    /// Kills and reaps every process faast adopted (see above); returns how many. Repeats while killing one
    /// hands its children to faast in turn (bounded).
    @discardableResult
    static func sweep() -> Int {
        workers.withLock { known in
            var stopped = 0
            for _ in 0..<32 {
                let adopted = adoptedChildren(except: known)
                if adopted.isEmpty { break }
                for child in adopted {
                    if !child.ended {
                        kill(-child.group, SIGKILL)
                        kill(child.pid, SIGKILL)
                        stopped += 1
                    }
                    reap(child.pid)
                }
            }
            return stopped
        }
    }

    private static func reap(_ pid: pid_t) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// faast's children that are not workers and not in faast's own process group (children faast starts
    /// itself, e.g. an interpreter asked for its path, stay in its group), read from /proc.
    private static func adoptedChildren(except known: Set<pid_t>) -> [(pid: pid_t, group: pid_t, ended: Bool)] {
        let me = getpid(), myGroup = getpgrp()
        var out: [(pid: pid_t, group: pid_t, ended: Bool)] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name), pid != me, !known.contains(pid),
                  let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { continue }
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count >= 3, let parent = pid_t(fields[1]), let group = pid_t(fields[2]),
                  parent == me, group != myGroup
            else { continue }
            out.append((pid, group, fields[0] == "Z" || fields[0] == "X"))
        }
        return out
    }
}
