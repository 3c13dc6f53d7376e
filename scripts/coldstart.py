#!/usr/bin/env python3
"""Cold start of each function binary under a minimal Lambda Runtime API emulator.

For each binary: start it with AWS_LAMBDA_RUNTIME_API pointing here, hand it one
invocation (an HTTP API v2 event, or a CloudFormation event for migrate), and measure
the time from exec to the answer, then its resident memory (VmRSS, VmHWM). Then, warm,
the same invocation WARM more times (env COLDSTART_WARM, 50): the CPU time the process
used per invocation (all its threads, from /proc/PID/task/*/schedstat).
Usage: coldstart.py BIN_DIR PUBLISHABLE_KEY [RUNS] [FUNCTION...]   (env: DATABASE_URL, ...)
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIN_DIR, KEY = sys.argv[1], sys.argv[2]
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
WARM = int(os.environ.get("COLDSTART_WARM", "50"))


def http_event(method, path, query="", token=None):
    headers = {"x-publishable-api-key": KEY, "host": "coldstart.local"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "coldstart", "domainName": "coldstart.local",
            "domainPrefix": "coldstart", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1", "userAgent": "coldstart"}, "requestId": "cold",
            "routeKey": "$default", "stage": "$default", "time": "25/Nov/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }


class Emulator(BaseHTTPRequestHandler):
    changed = threading.Condition()
    generation = 0
    event = None
    answered = None
    answer = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        # The runtime's next poll waits for an event; a poll of a process since killed
        # (an older generation) never gets one.
        with Emulator.changed:
            generation = Emulator.generation
            Emulator.changed.wait_for(
                lambda: Emulator.event is not None or generation != Emulator.generation, 30)
            if generation != Emulator.generation or Emulator.event is None:
                return
            event, Emulator.event = Emulator.event, None
        if self.path.endswith("/invocation/next"):
            body = json.dumps(event).encode()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4()))
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:1:function:cold")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # killed meanwhile
                pass

    def do_POST(self):
        self._answer()

    def do_PUT(self):  # the migrate function's CloudFormation answer
        self._answer()

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.send_response(202 if "/runtime/" in self.path else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if "/init/error" in self.path or "/error" in self.path or "/cfn" in self.path or "/response" in self.path:
            with Emulator.changed:
                if Emulator.answered is None:
                    Emulator.answer = (self.path, body)
                    Emulator.answered = time.monotonic()
                    Emulator.changed.notify_all()


server = ThreadingHTTPServer(("127.0.0.1", 0), Emulator)
port = server.server_address[1]
threading.Thread(target=server.serve_forever, daemon=True).start()

# A request each function serves (scripts/coldstart makes the cart, the admin's token and
# the customer's token through the served store).
EVENTS = {
    "products": http_event("GET", "/store/regions"),
    "cart": http_event("GET", f"/store/carts/{os.environ['COLD_CART_ID']}"),
    "checkout": http_event("GET", "/store/payment-providers"),
    "orders": http_event("GET", "/admin/orders", "limit=1", os.environ["COLD_ADMIN_TOKEN"]),
    "accounts": http_event("GET", "/store/customers/me", token=os.environ["COLD_CUSTOMER_TOKEN"]),
    "content": http_event("GET", "/content/pages"),
    "events": {"task": "outbox-sweep"},
    "migrate": {"RequestType": "Delete", "ResponseURL": f"http://127.0.0.1:{port}/cfn", "StackId": "s",
                "RequestId": "r", "LogicalResourceId": "DatabaseMigrations", "ResourceProperties": {}},
}


def cpu_ns(pid):
    """CPU time of every thread of the process, in nanoseconds."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                total += int(stat.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def invoke(name, proc, start):
    """Hands the process one invocation; waits for its answer."""
    with Emulator.changed:
        Emulator.answered, Emulator.answer = None, None
        Emulator.event = EVENTS[name]
        Emulator.changed.notify_all()
    with Emulator.changed:
        # Woken by the answer; every 50 ms to see whether the process died.
        while Emulator.answered is None and proc.poll() is None and time.monotonic() - start < 20:
            Emulator.changed.wait(0.05)
    if Emulator.answered is None:
        proc.kill()
        sys.exit(f"{name}: no answer (exit code {proc.poll()})")


def rss(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                values[key] = int(value.split()[0]) / 1024
    return values


print(f"{'function':<10} {'first answer ms (median of %d)' % RUNS:>32} {'RSS MB':>8} {'peak MB':>8} "
      f"{'warm CPU ms':>12}  answer")
for name in sys.argv[4:] or EVENTS:
    times, memory, warm_cpu, answer = [], [], [], None
    for _ in range(RUNS):
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}", AWS_LAMBDA_FUNCTION_NAME=name,
                   AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_FUNCTION_VERSION="1",
                   AWS_LAMBDA_LOG_STREAM_NAME="cold", AWS_LAMBDA_LOG_GROUP_NAME="cold", RUST_LOG="warn")
        with Emulator.changed:
            Emulator.event = None
            Emulator.generation += 1
            Emulator.changed.notify_all()
        start = time.monotonic()
        proc = subprocess.Popen([os.path.join(BIN_DIR, name)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        invoke(name, proc, start)
        times.append((Emulator.answered - start) * 1000)
        answer = Emulator.answer
        time.sleep(0.05)
        memory.append(rss(proc.pid))
        if WARM > 0:
            used = cpu_ns(proc.pid)
            for _ in range(WARM):
                invoke(name, proc, time.monotonic())
            warm_cpu.append((cpu_ns(proc.pid) - used) / WARM / 1e6)
        proc.kill()
        proc.wait()
        time.sleep(0.02)  # its last poll is in by now, and stays of this generation
    try:
        reply = json.loads(answer[1])
        if "/error" in answer[0]:
            status = f"error: {answer[1][:60]!r}"
        elif isinstance(reply, dict) and ("statusCode" in reply or "Status" in reply):
            status = reply.get("statusCode", reply.get("Status"))
        else:  # a non-HTTP invocation (the events function's task): its answer, shortened
            status = json.dumps(reply)[:60]
    except ValueError:
        status = answer[1][:40]
    warm = f"{statistics.median(warm_cpu):.3f}" if warm_cpu else "-"
    print(f"{name:<10} {statistics.median(times):>32.1f} {statistics.median(m['VmRSS'] for m in memory):>8.1f} "
          f"{max(m['VmHWM'] for m in memory):>8.1f} {warm:>12}  {status}")
