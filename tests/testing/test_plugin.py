"""The pytest plugin (kamlite.testing.plugin): the kamlite_harness fixture and failure
reports that show the trace and the log.  Each test runs a small pytest session."""
from importlib.metadata import entry_points

pytest_plugins = ["pytester"]

CFG = """debug=2
listen=udp:127.0.0.1:5060
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "sl.so"
request_route {
  xlog("L_INFO", "got $rm for $rU\\n");
  route(ANSWER);
}
route[ANSWER] {
  if ($rU == "alice") {
    sl_send_reply("200", "OK");
    exit;
  }
  sl_send_reply("404", "Not Found");
}
"""


def _plugin_args():
    """The plugin comes with the package's entry point; load it by name if kamlite was
    not installed (running from a source tree)."""
    names = {ep.name for ep in entry_points(group="pytest11")}
    return [] if "kamlite.testing.plugin" in names else ["-p", "kamlite.testing.plugin"]


def _run(pytester, test_source):
    pytester.makefile(".cfg", proxy=CFG)
    pytester.makepyfile(test_source)
    return pytester.runpytest(*_plugin_args(), "-p", "no:cacheprovider", "-p", "no:xdist")


def test_fixture_makes_harnesses_and_closes_them(pytester):
    result = _run(pytester, """
        import os
        from kamlite.testing import assert_reply, assert_logged, assert_routes, request

        DIRS = []

        def test_alice(kamlite_harness):
            h = kamlite_harness("proxy.cfg")
            r = h.send(request("OPTIONS", "sip:alice@127.0.0.1"))
            assert_reply(r, 200, "OK")
            assert_logged(r, "got OPTIONS for alice")
            assert_routes(r, ["request", "ANSWER"])
            DIRS.append(h.workdir)

        def test_two_harnesses(kamlite_harness):
            a = kamlite_harness("proxy.cfg")
            b = kamlite_harness(text=open("proxy.cfg").read())
            assert a.program is not b.program
            assert os.path.isdir(DIRS[0]) is False          # closed after the first test
    """)
    result.assert_outcomes(passed=2)


def test_failed_assertion_shows_trace_log_and_sent(pytester):
    result = _run(pytester, """
        from kamlite.testing import assert_reply, request

        def test_bob(kamlite_harness):
            h = kamlite_harness("proxy.cfg")
            assert_reply(h.send(request("OPTIONS", "sip:bob@127.0.0.1")), 200)
    """)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "expected reply 200, got 404 Not Found" in out
    assert "rc=1 routes=request > ANSWER" in out
    assert "proxy.cfg:6 -> route request" in out
    assert 'sl_send_reply("404", "Not Found") [404, \'Not Found\'] -> 1' in out
    assert "INFO: <script>: got OPTIONS for bob" in out
    assert "reply SIP/2.0 404 Not Found -> 127.0.0.1:5070" in out
    assert "kamlite harness" not in out            # no second copy in a report section


def test_plain_assert_gets_a_report_section(pytester):
    result = _run(pytester, """
        from kamlite.testing import request

        def test_plain(kamlite_harness):
            h = kamlite_harness("proxy.cfg")
            r = h.send(request("OPTIONS", "sip:carol@127.0.0.1"))
            assert r.reply.status == 200
    """)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "kamlite harness (proxy.cfg): last run" in out
    assert "-> route ANSWER" in out and "got OPTIONS for carol" in out


def test_other_assertion_helpers_fail_readably(pytester):
    result = _run(pytester, """
        import re
        import pytest
        from kamlite.testing import (assert_forwarded, assert_logged, assert_no_errors, assert_no_reply,
                                     assert_not_logged, assert_routes, request)

        @pytest.fixture
        def r(kamlite_harness):
            return kamlite_harness("proxy.cfg").send(request("OPTIONS", "sip:alice@127.0.0.1"))

        def test_logged(r):
            assert_logged(r, re.compile(r"got \\w+ for bob"))

        def test_not_logged(r):
            assert_not_logged(r, "alice")

        def test_routes(r):
            assert_routes(r, ["request", "OTHER"])

        def test_forwarded(r):
            assert_forwarded(r, uri="sip:alice@10.0.0.1")

        def test_no_reply(r):
            assert_no_reply(r)

        def test_fine(r):
            assert_no_errors(r)
            assert_forwarded(r, count=0)
    """)
    result.assert_outcomes(failed=5, passed=1)
    out = result.stdout.str()
    for text in ("expected a log line with 'got \\\\w+ for bob', none has it",
                 "expected no log line with 'alice', got:",
                 "expected routes ['request', 'OTHER'], got ['request', 'ANSWER']",
                 "expected a message sent on, nothing was",
                 "expected no reply, got 200 OK"):
        assert text in out, text
