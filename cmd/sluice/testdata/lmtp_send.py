#!/usr/bin/env python3
"""Send one message over LMTP (RFC 2033) with smtplib.LMTP.

usage: lmtp_send.py SOCKET FROM MESSAGE-FILE RCPT...

Prints one JSON object mapping each recipient to [code, text]: the RCPT
reply for a refused recipient, the recipient's own reply after DATA for an
accepted one. smtplib's sendmail() reads only the first reply after DATA,
so the transaction is driven command by command here, reading one reply
per accepted recipient (RFC 2033 section 4.2).
"""

import json
import smtplib
import sys


def main(argv):
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 64
    sock, sender, msg_file, rcpts = argv[1], argv[2], argv[3], argv[4:]
    with open(msg_file, "rb") as f:
        msg = f.read()

    result = {}
    with smtplib.LMTP(sock, timeout=15) as lmtp:
        code, text = lmtp.ehlo("python.e2e.test")  # sends LHLO
        if code != 250:
            raise SystemExit(f"LHLO: {code} {text!r}")
        code, text = lmtp.mail(sender)
        if code != 250:
            raise SystemExit(f"MAIL: {code} {text!r}")
        accepted = []
        for rcpt in rcpts:
            code, text = lmtp.rcpt(rcpt)
            if code == 250:
                accepted.append(rcpt)
            else:
                result[rcpt] = [code, text.decode("utf-8", "replace")]
        if accepted:
            code, text = lmtp.data(msg)
            result[accepted[0]] = [code, text.decode("utf-8", "replace")]
            for rcpt in accepted[1:]:
                code, text = lmtp.getreply()
                result[rcpt] = [code, text.decode("utf-8", "replace")]
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
