#!/usr/bin/env python3
"""An HTTP/1.1 keep-alive server on 127.0.0.1 for the HTTPConnectionPool tests (plain, or TLS
with the given certificate and key). Prints the port it bound, then serves until killed.

    http_keepalive_server.py [--tls CERT KEY]

Every response carries X-Connection-Id (the TCP connection it came on, 1-based, in accept
order), X-Connections (connections accepted so far) and X-Request-On-Connection (1-based).
Paths (query `n`: a size or milliseconds):
  /length?n=N        N body bytes (i % 251) with Content-Length
  /chunked?n=N       the same bytes as chunks of up to 7000 bytes
  /slow?n=MS         waits MS ms, then a short body
  /close             a short body with `Connection: close`, then closes
  /idle-close?n=MS   a short body; the connection is then closed if idle for MS ms
  /never             reads the request and never answers
  /flaky             on a connection's first request answers; on a later one closes without
                     answering (once per server for each method)
  /stats             body `GET /flaky=<n> POST /flaky=<n>`: requests seen per method on /flaky
"""
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

lock = threading.Lock()
connections = 0
flaky_seen = {}
flaky_dropped = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        global connections
        super().setup()
        with lock:
            connections += 1
            self.connection_id = connections
        self.requests_here = 0

    def log_message(self, *args):
        pass

    def reply(self, body, extra=(), chunked=False):
        self.send_response(200)
        with lock:
            total = connections
        self.send_header("X-Connection-Id", str(self.connection_id))
        self.send_header("X-Connections", str(total))
        self.send_header("X-Request-On-Connection", str(self.requests_here))
        for name, value in extra:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 7000):
                piece = body[i:i + 7000]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        self.wfile.flush()

    def handle_request(self):
        self.requests_here += 1
        self.connection.settimeout(None)
        url = urlsplit(self.path)
        n = int(parse_qs(url.query).get("n", ["0"])[0])
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if url.path == "/length":
            self.reply(bytes(i % 251 for i in range(n)))
        elif url.path == "/chunked":
            self.reply(bytes(i % 251 for i in range(n)), chunked=True)
        elif url.path == "/slow":
            time.sleep(n / 1000)
            self.reply(b"slow")
        elif url.path == "/close":
            self.reply(b"bye", extra=[("Connection", "close")])
            self.close_connection = True
        elif url.path == "/idle-close":
            self.reply(b"ok")
            self.connection.settimeout(n / 1000)  # the next read times out: the server closes
        elif url.path == "/never":
            time.sleep(60)
        elif url.path == "/flaky":
            key = self.command + " /flaky"
            with lock:
                flaky_seen[key] = flaky_seen.get(key, 0) + 1
                drop = self.requests_here > 1 and key not in flaky_dropped
                if drop:
                    flaky_dropped.add(key)
            if drop:
                self.close_connection = True  # no answer: the client sees the close
                return
            self.reply(b"flaky ok")
        elif url.path == "/stats":
            with lock:
                text = " ".join(f"{k}={flaky_seen.get(k, 0)}" for k in ("GET /flaky", "POST /flaky"))
            self.reply(text.encode())
        else:
            self.send_error(404)

    do_GET = handle_request
    do_POST = handle_request
    do_DELETE = handle_request


class Server(ThreadingHTTPServer):
    daemon_threads = True
    tls = None

    def get_request(self):
        conn, address = self.socket.accept()
        if self.tls is not None:
            # Handshake on the connection's thread (socketserver calls finish_request there).
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address

    def finish_request(self, request, client_address):
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(10)
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return  # e.g. the client refused our certificate
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # resets and aborted handshakes are part of the tests


# A child of the test process inherits its blocked signals (the Swift runtime blocks them in
# its threads): unblock SIGTERM, or Process.terminate() would not stop this server.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
server = Server(("127.0.0.1", 0), Handler)
if len(sys.argv) == 4 and sys.argv[1] == "--tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    server.tls = ctx
print(server.server_address[1], flush=True)
server.serve_forever()
