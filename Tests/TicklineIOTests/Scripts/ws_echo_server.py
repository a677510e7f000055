#!/usr/bin/env python3
"""Echo server for TicklineIO's interoperability test (python `websockets`, pinned 17.4).

Binds 127.0.0.1 on an ephemeral port, prints the port on stdout as one line, then echoes every
message back with its type (text stays text, binary stays binary). Two text commands exercise
the client's decoder against a third-party encoder:

- "fragment-me": answer with the text message "Hello, fragmented world" sent as 3 fragments.
- "ping-me": send a ping with payload b"srv-ping", wait for the client's pong, then send the
  text "pong-received".

The server exits after the first connection closes (or after 60 s without one).
"""
import asyncio
import sys

from websockets.asyncio.server import serve


async def handler(ws):
    async for message in ws:
        if message == "fragment-me":
            await ws.send(["Hello, ", "fragmented ", "world"])
        elif message == "ping-me":
            waiter = await ws.ping(b"srv-ping")
            await asyncio.wait_for(waiter, timeout=10)
            await ws.send("pong-received")
        else:
            await ws.send(message)
    done.set()


async def main():
    global done
    done = asyncio.Event()
    async with serve(handler, "127.0.0.1", 0, max_size=4 * 1024 * 1024, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        try:
            await asyncio.wait_for(done.wait(), timeout=60)
        except asyncio.TimeoutError:
            print("no connection within 60 s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
