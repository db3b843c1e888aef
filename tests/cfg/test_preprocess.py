"""The preprocessor: directives, defines, comments, includes, and the map back to files."""
import pytest

from kamlite.cfg.preprocess import Preprocessor
from kamlite.errors import ConfigError


def pp(text, defines=None, path="t.cfg"):
    return Preprocessor(defines).run_text(text, path)


def words(text):
    return " ".join(text.split())


def test_define_replaces_whole_identifiers_only():
    out = pp('#!define FOO 42\nx = FOO; y = FOOBAR; z = "FOO"; w = $var(FOO);\n').text
    assert words(out) == 'x = 42; y = FOOBAR; z = "FOO"; w = $var(FOO);'


def test_define_without_value_and_ifdef():
    out = pp("#!define WITH_X\n#!ifdef WITH_X\nyes\n#!else\nno\n#!endif\n").text
    assert words(out) == "yes"


def test_multiline_define_value_is_joined():
    out = pp('#!define MULTI "a" \\\n  "b"\nv = MULTI;\n').text
    assert words(out) == 'v = "a" "b";'


def test_redefine_and_trydef():
    out = pp("#!define V 1\n#!redefine V 2\n#!trydef V 3\n#!trydef W 4\nV W\n").text
    assert words(out) == "2 4"


def test_define_twice_is_an_error_at_its_line():
    with pytest.raises(ConfigError) as e:
        pp("#!define V 1\n\n#!define V 2\n")
    d = e.value.diagnostics[0]
    assert (d.loc.line, "already defined: V") == (3, str(d.message)[:18])


def test_define_value_is_rescanned_for_other_defines():
    out = pp("#!define A 1\n#!define EXPR A + 2\nx = EXPR * 2;\n").text
    assert words(out) == "x = 1 + 2 * 2;"


def test_command_line_defines():
    out = pp("#!ifdef WITH_MQ\nmq PORT\n#!endif\n", {"WITH_MQ": None, "PORT": "5080"}).text
    assert words(out) == "mq 5080"


def test_version_defines_exist():
    out = pp("#!ifdef KAMAILIO_5_6\nfive_six\n#!endif\n").text
    assert words(out) == "five_six"


def test_nested_ifdef_ifndef_else():
    text = ("#!define A\n#!ifdef A\n#!ifndef B\n#!ifdef C\nno1\n#!else\nyes1\n#!endif\n"
            "#!else\nno2\n#!endif\n#!else\nno3\n#!endif\n")
    assert words(pp(text).text) == "yes1"


def test_skipped_region_is_not_tokenized():
    out = pp('#!ifdef NOPE\n"unterminated string /* and comment\n#!endif\nok\n').text
    assert words(out) == "ok"


def test_unbalanced_ifdef_names_where_it_opened():
    with pytest.raises(ConfigError) as e:
        pp("a\n#!ifdef X\nb\n")
    assert e.value.diagnostics[0].loc.line == 2
    assert "never closed" in e.value.diagnostics[0].message


def test_stray_endif_is_an_error():
    with pytest.raises(ConfigError) as e:
        pp("a\n\n#!endif\n")
    assert e.value.diagnostics[0].loc.line == 3


def test_nested_block_comments_and_line_comments():
    out = pp('a /* x /* y */ still */ b # c\nd // e\n"# not" "// comment"\n').text
    assert words(out) == 'a b d "# not" "// comment"'


def test_bang_bang_directives_and_inline_directive():
    out = pp("!!define A 1\nx = A; #!define B 2\ny = B;\n").text
    assert words(out) == "x = 1; y = 2;"


def test_subst_applies_to_later_strings():
    out = pp('a = "OLD";\n#!subst "/OLD/new/g"\nb = "OLD OLD";\n').text
    assert words(out) == 'a = "OLD"; b = "new new";'


def test_substdef_defines_and_substitutes():
    out = pp('#!substdef "!IP!10.0.0.1!g"\nx = IP; y = "at IP";\n').text
    assert words(out) == 'x = 10.0.0.1; y = "at 10.0.0.1";'


def test_substdefs_defines_a_quoted_string():
    out = pp('#!substdefs "/WHO/alice/"\nx = WHO;\n').text
    assert words(out) == 'x = "alice";'


def test_define_in_event_route_name_is_not_replaced():
    out = pp("#!define request X\nevent_route[xhttp:request] { }\n").text
    assert "xhttp:request" in out


def test_trailing_comment_in_define_value_eats_the_rest_of_the_line():
    out = pp("#!define V 5 # comment\nx = V + 1;\ny;\n").text
    assert words(out) == "x = 5 y;"


def test_include_relative_to_including_file_and_line_map(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inc.cfg").write_text("\n\ninc_line3\n")
    main = tmp_path / "main.cfg"
    main.write_text('first\ninclude_file "sub/inc.cfg"\nafter\n')
    e = Preprocessor(cwd=str(tmp_path)).run_file(str(main))
    assert words(e.text) == "first inc_line3 after"
    pos = e.text.index("inc_line3")
    loc = e.location(pos)
    assert loc.file.endswith("sub/inc.cfg") and loc.line == 3 and loc.col == 1
    loc = e.location(e.text.index("after"))
    assert loc.file == str(main) and loc.line == 3


def test_include_forms(tmp_path):
    (tmp_path / "a.cfg").write_text("A\n")
    main = tmp_path / "m.cfg"
    main.write_text('#!include_file "a.cfg"\n!!include_file "a.cfg"\ninclude_file "a.cfg"\n'
                    'import_file "missing.cfg"\n#!import_file "a.cfg"\n')
    assert words(Preprocessor().run_file(str(main)).text) == "A A A A"


def test_missing_include_is_an_error(tmp_path):
    main = tmp_path / "m.cfg"
    main.write_text('x\ninclude_file "nope.cfg"\n')
    with pytest.raises(ConfigError) as e:
        Preprocessor().run_file(str(main))
    d = e.value.diagnostics[0]
    assert d.loc.line == 2 and "nope.cfg" in d.message


def test_location_after_define_expansion():
    e = pp("#!define LONGVALUE 123456789\nx = LONGVALUE; y\n")
    loc = e.location(e.text.index("y"))
    assert (loc.line, loc.col) == (2, 16)


def test_defenv(monkeypatch):
    monkeypatch.setenv("KAMLITE_TEST_ENV", "val")
    out = Preprocessor(env={"KAMLITE_TEST_ENV": "val"}).run_text(
        "#!defenv X=KAMLITE_TEST_ENV\n#!defenvs Y=KAMLITE_TEST_ENV\n#!trydefenv Z=NOPE_NOT_SET\nX Y Z\n").text
    assert words(out) == 'val "val" Z'


def test_define_with_dash_is_refused():
    with pytest.raises(ConfigError):
        pp("#!define A-B 1\n")


def test_keywords_are_never_replaced():
    # 'name' is a keyword of Kamailio's lexer (listen=... name "x"): a define of it is inert
    out = pp('#!substdefs "/NAME/alice/"\nx = NAME;\n').text
    assert words(out) == "x = NAME;"
