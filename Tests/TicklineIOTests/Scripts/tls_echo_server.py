#!/usr/bin/env python3
"""A TLS echo server on 127.0.0.1 for the TLSSession tests: serves one connection with the given
certificate chain and key, echoes what it reads, exits. Prints the port it bound, then serves.

    tls_echo_server.py CERT KEY
"""
import socket
import ssl
import sys

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
print(listener.getsockname()[1], flush=True)
listener.settimeout(20)
conn, _ = listener.accept()
try:
    with ctx.wrap_socket(conn, server_side=True) as tls:
        tls.settimeout(10)
        while True:
            data = tls.recv(65536)
            if not data:
                break
            tls.sendall(data)
except (ssl.SSLError, OSError) as e:
    print(f"server: {e}", file=sys.stderr, flush=True)
