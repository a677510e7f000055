#!/usr/bin/env python3
"""A TLS-terminating proxy on 127.0.0.1 for the engine's wss:// tests: accepts TLS with the
given certificate and key, and relays each connection's bytes to 127.0.0.1:TARGET_PORT (the
simulator) in both directions. Prints the port it bound, then serves until killed.

    tls_proxy.py CERT KEY TARGET_PORT
"""
import socket
import ssl
import sys
import threading

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
target = int(sys.argv[3])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(8)
print(listener.getsockname()[1], flush=True)


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass


def serve(conn):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError) as e:
        print(f"proxy: handshake failed: {e}", file=sys.stderr, flush=True)
        conn.close()
        return
    upstream = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pump, args=(upstream, tls), daemon=True).start()
    pump(tls, upstream)


while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
