"""kamlite.testing: run a kamailio.cfg in-process and check what it does.

    from kamlite.testing import Harness, request, reply
    h = Harness("kamailio.cfg", defines={"WITH_MQ": True}, params={("mqueue", "db_url"): None})
    r = h.send(request("OPTIONS", "sip:alice@example.com"))
    assert r.replies[0].status == 200 and r.routes[0] == "request"
    h.tick("drain"); assert h.queue("calls") == []

Pieces: harness.py (Harness, Result, Sent), builder.py (request(), reply(), Builder),
sipfile.py (.sip files with placeholders), asserts.py (assert_reply, assert_logged ...
with the trace and the log in their messages), plugin.py (the pytest plugin: the
kamlite_harness fixture).
"""
from .asserts import (assert_forwarded, assert_logged, assert_no_errors, assert_no_reply,
                      assert_not_logged, assert_queue, assert_reply, assert_routes)
from .builder import Builder, reply, request
from .harness import Harness, Result, Sent
from .sipfile import SipFileError, SipTemplate, parse_sip, read_sip

__all__ = ["Harness", "Result", "Sent", "Builder", "request", "reply", "read_sip", "parse_sip",
           "SipTemplate", "SipFileError", "assert_reply", "assert_no_reply", "assert_logged", "assert_not_logged",
           "assert_routes", "assert_forwarded", "assert_queue", "assert_no_errors"]
