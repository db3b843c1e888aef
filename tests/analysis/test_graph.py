"""kamlite --graph: the static call graph of a config's routes (DOT, Mermaid, SVG, PNG)."""
import glob
import os
import subprocess
import sys

import pytest

from kamlite.analysis import graph as G
from kamlite.cfg.parser import parse_file, parse_text
from tests.conftest import need_program

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, "fixtures")
ROOT = os.path.dirname(os.path.dirname(HERE))
GRAPH_CFG = os.path.join(FIXTURES, "graph.cfg")
DEBIAN_CFG = "/etc/kamailio/kamailio.cfg"


def kamlite(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kamlite", *args], cwd=cwd, capture_output=True,
                          timeout=60)


def expected(name: str) -> str:
    with open(os.path.join(FIXTURES, name)) as fh:
        return fh.read()


def graph_of(text: str) -> G.RouteGraph:
    return G.build(parse_text(text))


# ---- the representative fixture: exact texts -----------------------------------------------------
def test_dot_text():
    assert G.to_dot(G.build(parse_file(GRAPH_CFG))) == expected("graph.dot")


def test_mermaid_text():
    assert G.to_mermaid(G.build(parse_file(GRAPH_CFG))) == expected("graph.mmd")


def test_cli_graph_is_dot_on_stdout():
    r = kamlite("--graph", "-f", GRAPH_CFG)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == expected("graph.dot")
    assert r.stderr == b""


def test_cli_graph_works_without_the_modules():
    # graph.cfg uses tm (t_on_failure ...), which kamlite does not provide: -c refuses it,
    # the graph (syntax level) does not need it
    assert kamlite("-c", "-f", GRAPH_CFG).returncode == 1
    assert kamlite("--graph-format", "mermaid", "-f", GRAPH_CFG).stdout.decode() == expected("graph.mmd")


def test_cli_graph_output_file_format_from_extension(tmp_path):
    out = tmp_path / "routes.mmd"
    r = kamlite("--graph-output", str(out), "-f", GRAPH_CFG)
    assert r.returncode == 0 and r.stdout == b""
    assert out.read_text() == expected("graph.mmd")
    out = tmp_path / "routes.gv"
    assert kamlite("--graph-output", str(out), "-f", GRAPH_CFG).returncode == 0
    assert out.read_text() == expected("graph.dot")


def test_cli_graph_format_beats_extension(tmp_path):
    out = tmp_path / "routes.txt"
    assert kamlite("--graph-format", "mermaid", "--graph-output", str(out), "-f", GRAPH_CFG).returncode == 0
    assert out.read_text().startswith("flowchart LR\n")


def test_cli_svg_and_png(tmp_path):
    need_program("dot", "graphviz")
    r = kamlite("--graph-format", "svg", "-f", GRAPH_CFG)
    assert r.returncode == 0, r.stderr
    svg = r.stdout.decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "route[OLD]" in svg and "route[NOPE] (undefined)" in svg and "t_on_failure" in svg
    png = tmp_path / "routes.png"
    r = kamlite("--graph-output", str(png), "-f", GRAPH_CFG)
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_svg_without_graphviz_says_what_to_install(monkeypatch):
    monkeypatch.setattr(G.shutil, "which", lambda name: None)
    with pytest.raises(G.GraphError, match="Debian package graphviz"):
        G.render(G.build(parse_file(GRAPH_CFG)), "svg")
    assert G.render(G.build(parse_file(GRAPH_CFG)), "dot").decode() == expected("graph.dot")


def test_cli_graph_with_check_loads_the_program():
    queue = os.path.join(ROOT, "examples", "queue.cfg")
    r = kamlite("-c", "--graph", "-f", queue)
    assert r.returncode == 0, r.stderr
    assert '"timer:drain" -> "route:DRAIN" [label="exec"];' in r.stdout.decode()
    r = kamlite("-c", "--graph", "-f", GRAPH_CFG)       # the load fails: errors, no graph
    assert r.returncode == 1 and r.stdout == b""
    assert b"error: unknown function t_on_failure()" in r.stderr


# ---- what the graph knows -----------------------------------------------------------------------
def test_unreachable_routes_are_grey():
    g = G.build(parse_file(GRAPH_CFG))
    grey = sorted(n.key for n in g.nodes.values() if not n.reachable)
    assert grey == ["route:OLD", "route:OLDER"]


def test_run_time_names():
    g = graph_of('request_route {\n route("A" + "B");\n $var(x) = "C";\n $var(x) = "D";\n route($var(x));\n'
                 ' route("P_" + $rU);\n route($var(y));\n $var(z) = $rU;\n route($var(z));\n}\n'
                 'route[AB] { exit; }\nroute[C] { exit; }\nroute[D] { exit; }\nroute[P_1] { exit; }\n'
                 'route[P_2] { exit; }\nroute[Q_1] { exit; }\n')
    edges = [(e.dst, e.kind, e.run_time) for e in g.edges]
    assert edges == [("route:AB", "dynamic", True), ("route:C", "dynamic", True), ("route:D", "dynamic", True),
                     ("route:P_1", "dynamic", True), ("route:P_2", "dynamic", True),
                     ("?:route($var(y))", "dynamic", True), ("?:route($var(z))", "dynamic", True)]
    assert not g.nodes["route:Q_1"].reachable


def test_format_string_names_and_undefined_candidates():
    g = graph_of('request_route {\n $var(m) = "X";\n route_if_exists("R_$var(m)");\n'
                 ' route_if_exists("$rU");\n}\nroute[R_X] { exit; }\n')
    assert [(e.dst, e.label) for e in g.edges] == [("route:R_X", "route_if_exists"),
                                                    ('?:route_if_exists("$rU")', "route_if_exists")]
    g = graph_of('request_route {\n $var(r) = "GONE";\n route($var(r));\n}\n')
    assert g.nodes["route:GONE"].kind == "undefined"


def test_route_zero_is_the_default_route():
    g = graph_of('route[0] { route(A); t_on_failure("0"); }\nroute[A] { exit; }\n'
                 'failure_route[0] { exit; }\n')
    assert list(g.nodes) == ["request", "route:A", "failure"]
    assert [(e.src, e.dst) for e in g.edges] == [("request", "route:A"), ("request", "failure")]
    g = graph_of('route[0] { t_on_failure("0"); }\n')        # no failure_route: "0" resets it
    assert list(g.nodes) == ["request"] and g.edges == []


def test_timers_and_on_sl_reply():
    g = graph_of('modparam("rtimer", "timer", "name=T1;interval=1;")\n'
                 'modparam("rtimer", "exec", "timer=t1;route=A")\n'          # rtimer names: any case
                 'modparam("rtimer", "exec", "timer=T1;route=B")\n'
                 'modparam("tm", "on_sl_reply", "SL")\n'
                 'request_route { exit; }\nroute[A] { exit; }\nroute[B] { exit; }\nonreply_route[SL] { exit; }\n')
    assert [(e.src, e.dst, e.label) for e in g.edges] == [
        ("timer:T1", "route:A", "exec"), ("timer:T1", "route:B", "exec"),
        ("modparam:tm:on_sl_reply", "onreply:SL", "on_sl_reply")]
    assert all(n.reachable for n in g.nodes.values())


def test_labels_are_quoted():
    g = graph_of('request_route { route("say \\"hi\\""); }\nroute["say \\"hi\\""] { exit; }\n')
    assert '"route:say \\"hi\\"" [label="route[say \\"hi\\"]"];' in G.to_dot(g)
    assert 'n2["route[say #quot;hi#quot;]"]' in G.to_mermaid(g)


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(ROOT, "examples", "*.cfg"))))
def test_examples_have_no_grey_routes(path):
    g = G.build(parse_file(path))
    assert [n.key for n in g.nodes.values() if not n.reachable] == []
    assert [n.key for n in g.nodes.values() if n.kind == "undefined"] == []


def test_debian_config():
    if not os.path.exists(DEBIAN_CFG):
        pytest.skip(f"{DEBIAN_CFG} is not installed (Debian package kamailio)")
    g = G.build(parse_file(DEBIAN_CFG, defines={"WITH_NAT": None, "WITH_JSONRPC": None}))
    assert [n.key for n in g.nodes.values() if not n.reachable] == []
    dot = G.to_dot(g)
    assert '"route:RELAY" -> "failure:MANAGE_FAILURE" [style=dashed, label="t_on_failure"];' in dot
    assert '"event:xhttp:request" [label="event_route[xhttp:request]", style="rounded,bold"];' in dot
