#!/usr/bin/env python3
"""Cold start of each function binary under a minimal Lambda Runtime API emulator.

For each binary: start it with AWS_LAMBDA_RUNTIME_API pointing here, hand it one
invocation (an HTTP API v2 event, or a CloudFormation event for migrate), and measure
the time from exec to the answer, then its resident memory (VmRSS, VmHWM).
Usage: coldstart.py BIN_DIR PUBLISHABLE_KEY [RUNS]   (env: DATABASE_URL, REDIS_URL, ...)
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
    event = None
    answered = None
    answer = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.endswith("/invocation/next") and Emulator.event is not None:
            body, Emulator.event = json.dumps(Emulator.event).encode(), None
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4()))
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:1:function:cold")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:  # park the runtime's next poll until the process is killed
            time.sleep(30)

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
            if Emulator.answered is None:
                Emulator.answer = (self.path, body)
                Emulator.answered = time.monotonic()


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


def rss(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                values[key] = int(value.split()[0]) / 1024
    return values


print(f"{'function':<10} {'first answer ms (median of %d)' % RUNS:>32} {'RSS MB':>8} {'peak MB':>8}  answer")
for name in sys.argv[4:] or EVENTS:
    times, memory, answer = [], [], None
    for _ in range(RUNS):
        Emulator.event, Emulator.answered, Emulator.answer = EVENTS[name], None, None
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}", AWS_LAMBDA_FUNCTION_NAME=name,
                   AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_FUNCTION_VERSION="1",
                   AWS_LAMBDA_LOG_STREAM_NAME="cold", AWS_LAMBDA_LOG_GROUP_NAME="cold", RUST_LOG="warn")
        start = time.monotonic()
        proc = subprocess.Popen([os.path.join(BIN_DIR, name)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while Emulator.answered is None and proc.poll() is None and time.monotonic() - start < 20:
            time.sleep(0.0005)
        if Emulator.answered is None:
            proc.kill()
            sys.exit(f"{name}: no answer (exit code {proc.poll()})")
        times.append((Emulator.answered - start) * 1000)
        time.sleep(0.05)
        memory.append(rss(proc.pid))
        answer = Emulator.answer
        proc.kill()
        proc.wait()
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
    print(f"{name:<10} {statistics.median(times):>32.1f} {statistics.median(m['VmRSS'] for m in memory):>8.1f} "
          f"{max(m['VmHWM'] for m in memory):>8.1f}  {status}")
