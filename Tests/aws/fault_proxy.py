#!/usr/bin/env python3
"""A loopback HTTP/1.1 proxy in front of moto_server that injects faults per AWS operation.

    python3 Tests/aws/fault_proxy.py --upstream http://127.0.0.1:5055 [--port 0] [--rules JSON]

Prints `ready http://127.0.0.1:PORT` once it listens. Point faast at it with AWS_ENDPOINT_URL. Client
connections are kept alive (as AWS's are), so faults hit reused connections too.

The operation of a request is its X-Amz-Target action (JSON protocols: `ReceiveMessage`), its `Action=`
(Query protocols: `Publish`, `CreateRole`), or for Lambda's REST API one of `Invoke`, `CreateFunction`,
`GetFunction`, `DeleteFunction`, `ListFunctions` (else `Lambda <METHOD> <path>`).

A rule (a JSON list of them via --rules or POST /__faults/rules):
    {"op": "Invoke", "fault": "reset" | "status" | "stall" | "close",
     "when": "before" | "after",       # before forwarding to moto, or after moto answered (it was taken)
     "every": 7,                       # the 7th, 14th, ... request of that operation (default 1: each)
     "times": 3,                       # at most this many faults from this rule (default: no limit)
     "status": 500,                    # for "status": 429 answers throttling, others a server error
     "seconds": 2.0,                   # for "stall": how long to hold the request or the answer
     "body_contains": "...",           # only requests whose body contains this text (others pass, uncounted by it)
     "wait_for_file": "/path"}         # apply the fault only once this file exists (checked every 50 ms, for at
                                       # most 300 s): a fault that comes after something else has happened
`reset` aborts the client connection with a TCP RST and no answer; `close` closes it cleanly without one.

For SNS `PublishBatch` there is also a per-entry fault, SNS's partial failure: the entries it picks are taken
out of the request before it goes to moto (they are never published) and listed under `Failed` in moto's answer:
    {"op": "PublishBatch", "fault": "refuse",
     "every_entry": 3,                 # the 3rd, 6th, ... entry of all PublishBatch requests (default 1: each)
     "code": "InternalError",          # the entry's error code (Throttling, InvalidParameter, ...)
     "sender_fault": false,            # SenderFault of the entry
     "times": 4}                       # at most this many entries refused (default: no limit)
Stats of PublishBatch also count "entries" (seen) and "refused" (entries refused).

GET /__faults/stats answers {op: {"seen": n, "faulted": m}}; POST /__faults/rules replaces the rules and
clears the counters. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
              "content-length"}


class Faults:
    """The rules and per-operation counters, shared by the handler threads."""

    def __init__(self, rules):
        self.lock = threading.Lock()
        self.set_rules(rules)

    def set_rules(self, rules):
        for rule in rules:
            if rule.get("fault") not in ("reset", "status", "stall", "close", "refuse"):
                raise ValueError(f"unknown fault in {rule!r}")
            if rule.get("when", "before") not in ("before", "after"):
                raise ValueError(f"'when' must be before or after in {rule!r}")
        with self.lock:
            self.rules = [dict(r, _used=0) for r in rules]
            self.seen: dict = {}
            self.faulted: dict = {}
            self.entries = 0
            self.refused = 0

    def pick(self, op, body=b""):
        """Counts a request of `op` and returns the rule that faults it, if any."""
        with self.lock:
            n = self.seen[op] = self.seen.get(op, 0) + 1
            for rule in self.rules:
                if rule.get("op") != op:
                    continue
                if "body_contains" in rule:
                    if rule["body_contains"].encode() not in body:
                        continue
                    n = rule["_matched"] = rule.get("_matched", 0) + 1
                if rule["fault"] == "refuse":  # per entry, decided by refuse_entries
                    return rule
                if n % max(1, int(rule.get("every", 1))) != 0:
                    continue
                if "times" in rule and rule["_used"] >= int(rule["times"]):
                    continue
                rule["_used"] += 1
                self.faulted[op] = self.faulted.get(op, 0) + 1
                return rule
            return None

    def stats(self):
        with self.lock:
            out = {op: {"seen": n, "faulted": self.faulted.get(op, 0)} for op, n in self.seen.items()}
            if "PublishBatch" in out:
                out["PublishBatch"].update(entries=self.entries, refused=self.refused)
            return out

    def refuse_entries(self, rule, count):
        """Which of a PublishBatch's `count` entries (0-based) `rule` (if any) refuses; counts them all."""
        with self.lock:
            picked = []
            for i in range(count):
                self.entries += 1
                if rule is None or self.entries % max(1, int(rule.get("every_entry", 1))) != 0:
                    continue
                if "times" in rule and rule["_used"] >= int(rule["times"]):
                    continue
                rule["_used"] += 1
                self.refused += 1
                picked.append(i)
            return picked


def operation(method: str, path: str, headers, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    ctype = headers.get("Content-Type", "")
    if "x-www-form-urlencoded" in ctype:
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    bare = urllib.parse.urlsplit(path).path.rstrip("/")
    parts = bare.split("/")
    if len(parts) >= 3 and parts[2] == "functions":
        if len(parts) == 3:
            return "CreateFunction" if method == "POST" else "ListFunctions"
        if len(parts) == 5 and parts[4] == "invocations":
            return "Invoke"
        if len(parts) == 4:
            return {"GET": "GetFunction", "DELETE": "DeleteFunction"}.get(method, f"Lambda {method} {bare}")
    return f"{method} {bare}"


def error_answer(op: str, headers, status: int):
    """An error body in the protocol the request used: 429 as throttling, anything else as a server fault."""
    throttled = status == 429
    request_id = str(uuid.uuid4())
    if headers.get("X-Amz-Target"):
        code = "ThrottlingException" if throttled else "InternalFailure"
        return ({"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id},
                json.dumps({"__type": code, "message": f"injected {status} for {op}"}).encode())
    if "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        code = "Throttling" if throttled else "InternalFailure"
        xml = (f"<ErrorResponse><Error><Type>{'Sender' if throttled else 'Receiver'}</Type><Code>{code}</Code>"
               f"<Message>injected {status} for {op}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
        return {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, xml.encode()
    code = "TooManyRequestsException" if throttled else "ServiceException"
    return ({"Content-Type": "application/json", "x-amzn-RequestId": request_id, "x-amzn-ErrorType": code},
            json.dumps({"Type": "Service" if not throttled else "User", "message": f"injected {status} for {op}"}).encode())


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faast-fault-proxy"

    def log_message(self, fmt, *args):  # quiet: the counters tell what happened
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _control(self, body: bytes) -> bool:
        if not self.path.startswith("/__faults/"):
            return False
        faults: Faults = self.server.faults
        if self.path == "/__faults/rules" and self.command == "POST":
            try:
                faults.set_rules(json.loads(body or b"[]"))
                answer, status = b'{"ok":true}', 200
            except ValueError as e:
                answer, status = json.dumps({"error": str(e)}).encode(), 400
        else:
            answer, status = json.dumps(faults.stats()).encode(), 200
        self._answer(status, {"Content-Type": "application/json"}, answer)
        return True

    def _answer(self, status, headers, body: bytes):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _abort(self, rst: bool):
        """Drops the client connection without an answer: a TCP RST (reset) or a clean FIN (close)."""
        self.close_connection = True
        try:
            if rst:
                # Linger 0: close() sends RST instead of FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()

    def _forward(self, body: bytes):
        upstream = self.server.upstream
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=300)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn.request(self.command, self.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        out = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
        conn.close()
        return response.status, out, data

    def _handle(self):
        body = self._body()
        if self._control(body):
            return
        op = operation(self.command, self.path, self.headers, body)
        rule = self.server.faults.pick(op, body)
        if op == "PublishBatch":
            self._publish_batch(body, rule if rule and rule["fault"] == "refuse" else None)
            if rule and rule["fault"] == "refuse":
                return
        when = (rule or {}).get("when", "before")
        if rule and when == "before":
            if self._inject(rule, op):
                return
        status, headers, data = self._forward(body)
        if rule and when == "after":
            if self._inject(rule, op):
                return
        self._answer(status, headers, data)

    def _publish_batch(self, body: bytes, rule):
        """Counts a PublishBatch's entries; with a `refuse` rule, forwards it without the entries the rule picks
        and answers moto's reply with those listed as Failed."""
        form = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        prefix = "PublishBatchRequestEntries.member."
        entries: dict = {}
        for name, value in form:
            if name.startswith(prefix):
                number, field = name[len(prefix):].split(".", 1)
                entries.setdefault(int(number), []).append((field, value))
        numbers = sorted(entries)
        faults: Faults = self.server.faults
        if rule is None:
            faults.refuse_entries(None, len(numbers))
            return
        refused = {numbers[i] for i in faults.refuse_entries(rule, len(numbers))}
        kept = [n for n in numbers if n not in refused]
        rest = [(k, v) for k, v in form if not k.startswith(prefix)]
        for new, n in enumerate(kept, 1):
            rest += [(f"{prefix}{new}.{field}", value) for field, value in entries[n]]
        failed = "".join(
            f"<member><Id>{dict(entries[n])['Id']}</Id><Code>{rule.get('code', 'InternalError')}</Code>"
            f"<Message>injected refusal</Message><SenderFault>{str(bool(rule.get('sender_fault', False))).lower()}</SenderFault></member>"
            for n in sorted(refused))
        if kept:
            status, headers, data = self._forward(urllib.parse.urlencode(rest).encode())
        else:
            status, headers, data = 200, {"Content-Type": "text/xml"}, (
                b"<PublishBatchResponse><PublishBatchResult><Successful/><Failed/></PublishBatchResult></PublishBatchResponse>")
        text = data.decode("utf-8")
        if status == 200:
            if "<Failed/>" in text:
                text = text.replace("<Failed/>", f"<Failed>{failed}</Failed>")
            else:
                text = text.replace("</Failed>", f"{failed}</Failed>")
        self._answer(status, headers, text.encode("utf-8"))

    def _inject(self, rule, op) -> bool:
        """Applies `rule`; True when it answered (or dropped) the request itself."""
        fault = rule["fault"]
        if "wait_for_file" in rule:
            deadline = time.monotonic() + 300
            while not os.path.exists(rule["wait_for_file"]) and time.monotonic() < deadline:
                time.sleep(0.05)
        if fault == "stall":
            time.sleep(float(rule.get("seconds", 1)))
            return False
        if fault in ("reset", "close"):
            self._abort(rst=fault == "reset")
            return True
        headers, body = error_answer(op, self.headers, int(rule.get("status", 500)))
        self._answer(int(rule.get("status", 500)), headers, body)
        return True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="moto_server's URL")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--rules", default="[]", help="a JSON list of rules")
    args = ap.parse_args(argv)
    server = Server(("127.0.0.1", args.port), Handler)
    server.upstream = urllib.parse.urlsplit(args.upstream)
    server.faults = Faults(json.loads(args.rules))
    sys.stdout.write(f"ready http://127.0.0.1:{server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
