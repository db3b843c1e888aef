"""The grammar: golden trees for configs that use every construct, real configs, refusals.

Golden files: tests/cfg/golden/NAME.cfg is parsed and dumped as a tree; the dump must
equal NAME.tree.  After a deliberate grammar change, regenerate with
KAMLITE_UPDATE_GOLDEN=1 and review the diff.
"""
import dataclasses
import glob
import os
import re

import pytest

from kamlite.cfg import nodes as N
from kamlite.cfg.parser import parse_file, parse_text
from kamlite.errors import ConfigError

from ..conftest import REQUIRE_EXTERNAL

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
STOCK_CFG = "/etc/kamailio/kamailio.cfg"


def dump(node, indent=0) -> str:
    pad = "  " * indent
    if isinstance(node, list):
        return "\n".join(dump(n, indent) for n in node)
    if not isinstance(node, N.Node):
        return pad + repr(node)
    fields = []
    children = []
    for f in dataclasses.fields(node):
        if f.name in ("pos", "end", "op_pos", "close", "name_pos", "value_pos"):
            continue
        v = getattr(node, f.name)
        if isinstance(v, N.Node) or (isinstance(v, list) and v and isinstance(v[0], N.Node)):
            children.append((f.name, v))
        elif v not in (None, False, "") or f.name in ("value",):
            fields.append(f"{f.name}={v!r}")
    out = [f"{pad}{type(node).__name__}({', '.join(fields)})"]
    for name, v in children:
        out.append(f"{pad}  .{name}:")
        out.append(dump(v, indent + 2))
    return "\n".join(out)


@pytest.mark.parametrize("name", sorted(os.path.basename(p)[:-4] for p in glob.glob(f"{GOLDEN}/*.cfg")))
def test_golden_tree(name):
    cfg = parse_file(os.path.join(GOLDEN, name + ".cfg"))
    tree = dump(cfg.items) + "\n"
    expected_path = os.path.join(GOLDEN, name + ".tree")
    if os.environ.get("KAMLITE_UPDATE_GOLDEN") == "1" or not os.path.exists(expected_path):
        with open(expected_path, "w") as fh:
            fh.write(tree)
    with open(expected_path) as fh:
        assert tree == fh.read()


def stock_defines():
    text = open(STOCK_CFG).read()
    return sorted(set(re.findall(r"WITH_[A-Z0-9_]+", text)))


@pytest.fixture(scope="module")
def stock():
    if not os.path.exists(STOCK_CFG):
        if REQUIRE_EXTERNAL:
            pytest.fail(f"{STOCK_CFG} missing (Debian package kamailio)")
        pytest.skip(f"{STOCK_CFG} missing (Debian package kamailio)")
    return STOCK_CFG


def test_stock_config_parses_with_no_define(stock):
    cfg = parse_file(stock)
    assert any(isinstance(i, N.Route) and i.kind == "request" for i in cfg.items)


def test_stock_config_parses_with_every_define(stock):
    names = stock_defines()
    cfg = parse_file(stock, {n: None for n in names})
    assert len(cfg.routes) >= 19


def test_stock_config_parses_with_each_define_alone(stock):
    for name in stock_defines():
        parse_file(stock, {name: None})


@pytest.mark.parametrize("text,line,col,fragment", [
    ("route { $var(x) += 1; }", 1, 17, "syntax error"),
    ("route { $var(x) := 1; }", 1, 17, "syntax error"),
    ("route { if ($var(x) !~ \"a\") exit; }", 1, 21, "syntax error"),
    ("route { if (1) { } }", 1, 18, "empty block"),
    ("route[A] { }", 1, 12, "syntax error"),
    ("route {\n  xlog(\"a\")\n  exit;\n}", 3, 3, "missing ';'"),
    ("route { f; }", 1, 10, "syntax error"),
    ("route { { exit; } }", 1, 9, "syntax error"),
    ("route { $var(x) = 08; }", 1, 19, "syntax error"),
])
def test_refused_syntax_names_the_place(text, line, col, fragment):
    with pytest.raises(ConfigError) as e:
        parse_text(text, "x.cfg")
    d = e.value.diagnostics[0]
    assert (d.loc.file, d.loc.line, d.loc.col) == ("x.cfg", line, col)
    assert fragment in d.message


def test_subst_inside_a_route_is_refused():
    with pytest.raises(ConfigError):
        parse_text('route {\n#!subst "/a/b/"\nexit;\n}')


def test_pv_with_deep_nesting_and_strings():
    cfg = parse_text('route { $var(x) = $(var(s){s.select,1,;}{s.replace,(,)}); }')
    assert cfg.routes[0].body[0].expr.text == "$(var(s){s.select,1,;}{s.replace,(,)})"
