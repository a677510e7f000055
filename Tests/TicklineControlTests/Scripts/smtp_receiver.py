#!/usr/bin/env python3
"""A local SMTP receiver for AlertTests (SMTPAlertSink), built on aiosmtpd
(Tests/clients/requirements-control.txt; `Tests/clients/venvs.sh control` makes the venv).

    smtp_receiver.py OUT_DIR [--reject-rcpt SUBSTRING] [--max-seconds N]

Listens on 127.0.0.1, port 0, and prints the bound port as the first line of stdout. Every
message received is written to OUT_DIR/<n>.json (written under a temporary name, then renamed,
so a reader never sees half a file) with the envelope as received and the message as parsed by
Python's `email` package (headers decoded, body decoded):

    {"mail_from", "rcpt_tos", "mail_options", "helo", "raw", "headers", "date_utc",
     "content_type", "charset", "transfer_encoding", "body"}

Recipients containing SUBSTRING are refused with 550. Exits on SIGTERM or SIGKILL, or after N
seconds (default 120) so a crashed test cannot leave it running.

The signal mask is cleared first: a child spawned by Foundation's Process from a Swift
concurrency (Dispatch) thread inherits that thread's mask, which blocks SIGTERM.
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, out_dir, reject_rcpt):
        self.out_dir = out_dir
        self.reject_rcpt = reject_rcpt
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_rcpt and self.reject_rcpt in address:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content  # bytes, end-of-data transparency already undone
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        date = msg["Date"]
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options),
            "helo": session.host_name,
            "raw": raw.decode("utf-8", errors="replace"),
            "headers": {name: str(value) for name, value in msg.items()},
            "date_utc": date.datetime.isoformat() if date is not None and date.datetime else None,
            "content_type": msg.get_content_type(),
            "charset": msg.get_content_charset(),
            "transfer_encoding": msg.get("Content-Transfer-Encoding"),
            "body": msg.get_content(),
        }
        self.count += 1
        final = os.path.join(self.out_dir, "%d.json" % self.count)
        with open(final + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(final + ".tmp", final)
        return "250 2.0.0 OK: queued as %d" % self.count


async def main():
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--reject-rcpt", default=None)
    parser.add_argument("--max-seconds", type=float, default=120)
    args = parser.parse_args()
    handler = Handler(args.out_dir, args.reject_rcpt)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="relay.test", ident="tickline test relay"),
        host="127.0.0.1", port=0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(args.max_seconds)
    server.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
