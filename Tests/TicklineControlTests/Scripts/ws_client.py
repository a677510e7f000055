"""A WebSocket client for the control plane's event tests (Python `websockets`, an independent
implementation of RFC 6455). Prints every text message it receives, one per line, then
`closed <code> <reason>` when the connection ends.

    ws_client.py URL answer   answers each {"type":"ping","id":n} with {"type":"pong","id":n}
    ws_client.py URL silent   never answers pings (the server must find it dead)
    ws_client.py URL stall    reads nothing for 8 s after the first message (the server must find it
                              slow), then drains what arrived
    ws_client.py URL quiet    reads and answers pings like `answer`, prints only `received N` at the end
"""
import asyncio
import json
import sys

import websockets


async def main(url: str, mode: str) -> None:
    try:
        async with websockets.connect(url, max_queue=1 if mode == "stall" else 1024, ping_interval=None,
                                      max_size=1 << 20) as ws:
            first = await ws.recv()
            print(first, flush=True)
            if mode == "stall":
                # Stop reading for 8 s: the library's queue (1 message) and the socket buffers
                # fill. Then drain what arrived, to learn how the server closed.
                await asyncio.sleep(8)
                async for _ in ws:
                    pass
            else:
                received = 0
                async for message in ws:
                    received += 1
                    if mode != "quiet":
                        print(message, flush=True)
                    if mode in ("answer", "quiet"):
                        m = json.loads(message)
                        if m.get("type") == "ping":
                            await ws.send(json.dumps({"type": "pong", "id": m["id"]}))
                if mode == "quiet":
                    print(f"received {received}", flush=True)
            print(f"closed {ws.close_code} {ws.close_reason}", flush=True)
    except websockets.exceptions.InvalidStatus as e:
        print(f"refused {e.response.status_code}", flush=True)
    except websockets.exceptions.ConnectionClosed as e:
        print(f"closed {e.rcvd.code if e.rcvd else 'none'} {e.rcvd.reason if e.rcvd else ''}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
