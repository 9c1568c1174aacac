#!/usr/bin/python3
"""A real SMTP server that keeps every message it gets (Debian's
python3-aiosmtpd), for tests/linkd.

    /usr/bin/python3 tests/linkd/smtpsink.py PORT DIR

Listens on 127.0.0.1:PORT only; each message becomes DIR/NNNNNN.eml, its
first lines "X-Envelope-From:" and "X-Envelope-To:" (one per recipient)
followed by the message as received.  Writes DIR/ready once listening.
Runs until SIGTERM (the test stops it by its PID).
"""
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, d):
        self.d = d
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        head = "X-Envelope-From: %s\r\n" % envelope.mail_from
        for r in envelope.rcpt_tos:
            head += "X-Envelope-To: %s\r\n" % r
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        tmp = os.path.join(self.d, ".%06d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(head.encode() + data)
        os.rename(tmp, os.path.join(self.d, "%06d.eml" % n))
        return "250 OK"


def main():
    port, d = int(sys.argv[1]), sys.argv[2]
    c = Controller(Keep(d), hostname="127.0.0.1", port=port)
    c.start()
    open(os.path.join(d, "ready"), "w").close()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    while not stop.wait(1):
        pass
    c.stop()


if __name__ == "__main__":
    main()
