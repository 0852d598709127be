"""testgen static review: checks that can fail, unsafe test code, derived tests pass."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from linewright.features.testgen import derive
from linewright.features.testgen.measure import universe
from linewright.features.testgen.records import Candidate
from linewright.features.testgen.smells import review
from linewright.features.testgen.target import Target
from tests.unit.test_testgen_target import GEO, line_of, make_project, make_target


@pytest.fixture
def dist(tmp_path: pathlib.Path) -> Target:
    return make_target(make_project(tmp_path), line_of(GEO, "return math.sqrt"))


def verdict(target: Target, body: str, preamble: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """(reason, detail) when the review drops `def test_a(...):` + `body`, else None."""
    source = body if body.startswith("def ") else "def test_a():\n" + body
    found, dropped = review(Candidate("test_a", source, preamble, "model:x"), target)
    assert (found == []) == (dropped is not None)
    return (dropped.reason, dropped.detail) if dropped else None


CALL = "    r = dist([0], [1])\n"


def vacuous(check: str) -> tuple[str, str]:
    return "vacuous", f"its assertions cannot fail (`{check}`)"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(CALL + "    assert r == 1\n", None, id="assert-result"),
        pytest.param("    assert dist([0], [1]) == pytest.approx(1.0)\n", None,
                     id="approx-operand"),
        pytest.param("    with pytest.raises(ValueError):\n        dist([], [1])\n", None,
                     id="raises"),
        pytest.param("    pytest.raises(ValueError, dist, [], [1])\n", None, id="raises-call"),
        pytest.param("    with pytest.warns(UserWarning):\n        dist([], [])\n", None,
                     id="warns"),
        pytest.param(CALL + "    assert math.isnan(r) is False\n", None, id="isnan"),
        pytest.param(CALL + "    assert repr(r) == '1.0'\n", None, id="repr"),
        pytest.param(CALL + "    assert r\n", None, id="truthy-name"),
        pytest.param("    s = [dist([0], [1])] * 2\n    assert s.pop() == s.pop()\n", None,
                     id="identical-method-calls-can-differ"),
        pytest.param(CALL + "    m = mock.Mock()\n    m(r)\n    m.assert_called_once_with(1.0)\n",
                     None, id="mock-assert-method"),
        pytest.param(CALL + "    try:\n        assert r == 1\n    except ValueError:\n"
                     "        pass\n", None, id="narrow-except"),
        pytest.param(CALL + "    try:\n        assert r == 1\n    except Exception:\n"
                     "        raise\n", None, id="except-reraises"),
        pytest.param(CALL + "    try:\n        x = 1\n    except Exception:\n        pass\n"
                     "    assert r == x\n", None, id="assert-after-the-try"),
        pytest.param("    dist([0], [1])\n", ("smell", "no assertion"), id="no-assertion"),
        pytest.param(CALL + "    pytest.approx(r)\n", ("smell", "no assertion"), id="bare-approx"),
        pytest.param("    dist([0], [1])\n    assert 1 == 1\n", vacuous("assert 1 == 1"),
                     id="constants"),
        pytest.param("    dist([0], [1])\n    assert True\n", vacuous("assert True"),
                     id="constant"),
        pytest.param(CALL + "    assert (r, 'msg')\n", vacuous("assert (r, 'msg')"), id="tuple"),
        pytest.param(CALL + "    assert [r]\n", vacuous("assert [r]"), id="list"),
        pytest.param(CALL + "    assert r == r\n", vacuous("assert r == r"), id="identical"),
        pytest.param("    assert dist([0], [1]) == dist([0], [1])\n",
                     vacuous("assert dist([0], [1]) == dist([0], [1])"), id="identical-calls"),
        pytest.param(CALL + "    assert r or True\n", vacuous("assert r or True"), id="or-true"),
        pytest.param("    dist([0], [1])\n    assert 1 + 1 == 2\n", vacuous("assert 1 + 1 == 2"),
                     id="no-names"),
        pytest.param(CALL + "    assert pytest.approx(r)\n", vacuous("assert pytest.approx(r)"),
                     id="approx-alone"),
        pytest.param("    dist([0], [1])\n    assert pytest.approx(1.0) == 1.0\n",
                     vacuous("assert pytest.approx(1.0) == 1.0"), id="approx-of-constants"),
        pytest.param(CALL + "    try:\n        assert r == 2\n    except AssertionError:\n"
                     "        pass\n", vacuous("assert r == 2"), id="except-assertionerror"),
        pytest.param(CALL + "    try:\n        assert r == 2\n    except:\n        pass\n",
                     vacuous("assert r == 2"), id="bare-except"),
        pytest.param(CALL + "    try:\n        assert r == 2\n"
                     "    except (ValueError, BaseException) as e:\n        print(e)\n",
                     vacuous("assert r == 2"), id="except-tuple"),
        pytest.param(CALL + "    with contextlib.suppress(AssertionError):\n"
                     "        assert r == 2\n", vacuous("assert r == 2"), id="suppress"),
        pytest.param(CALL + "    self.assertTrue(True)\n", vacuous("self.assertTrue(True)"),
                     id="assert-method-on-constants"),
    ],
)  # fmt: skip
def test_checks_that_can_fail(dist: Target, body: str, expected: tuple[str, str] | None) -> None:
    assert verdict(dist, body) == expected


CHECK = "    assert dist([0], [1]) == 1\n"


def unsafe(what: str) -> tuple[str, str]:
    return "unsafe", f"does something unsafe ({what})"


def outside(code: str) -> tuple[str, str]:
    return unsafe(f"writes outside tmp_path: `{code}`")


@pytest.mark.parametrize(
    ("body", "preamble", "expected"),
    [
        # code, introspection, the person at the keyboard
        pytest.param("    eval('1')\n" + CHECK, (), unsafe("uses `eval`"), id="eval"),
        pytest.param("    run = exec\n" + CHECK, (), unsafe("uses `exec`"), id="exec-alias"),
        pytest.param("    compile('1', 'f', 'eval')\n" + CHECK, (), unsafe("uses `compile`"),
                     id="compile"),
        pytest.param("    c = compile('a')\n" + CHECK, ("from re import compile",), None,
                     id="compile-imported-from-re"),
        pytest.param("    __import__('os')\n" + CHECK, (), unsafe("uses `__import__`"),
                     id="dunder-import"),
        pytest.param("    breakpoint()\n" + CHECK, (), unsafe("uses `breakpoint`"),
                     id="breakpoint"),
        pytest.param("    x = input()\n" + CHECK, (), unsafe("uses `input`"), id="input"),
        pytest.param("    def f(input):\n        return input\n" + CHECK, (), None,
                     id="input-as-parameter"),
        pytest.param("    g = globals()\n" + CHECK, (), unsafe("uses `globals`"), id="globals"),
        pytest.param("    v = vars()\n" + CHECK, (), unsafe("calls `vars()`"), id="vars-bare"),
        pytest.param("    v = vars(geo)\n" + CHECK, ("import pkg.geo as geo",),
                     unsafe("calls `vars(geo)`"), id="vars-of-module"),
        pytest.param("    d = geo.__dict__\n" + CHECK, ("import pkg.geo as geo",),
                     unsafe("uses `geo.__dict__`"), id="module-dict"),
        pytest.param("    g = dist.__globals__\n" + CHECK, (), unsafe("uses `dist.__globals__`"),
                     id="globals-attribute"),
        pytest.param("    s = object.__subclasses__()\n" + CHECK, (),
                     unsafe("uses `object.__subclasses__`"), id="subclasses"),
        pytest.param("    b = vars(x)['__builtins__']\n" + CHECK, (),
                     unsafe("names `__builtins__`"), id="dunder-string"),
        pytest.param("    n = getattr(dist, '__name__')\n" + CHECK, (),
                     unsafe("calls `getattr(dist, '__name__')` with a dunder or computed name"),
                     id="getattr-dunder"),
        pytest.param("    n = getattr(dist, name)\n" + CHECK, (),
                     unsafe("calls `getattr(dist, name)` with a dunder or computed name"),
                     id="getattr-computed"),
        pytest.param("    f = inspect.currentframe()\n" + CHECK, ("import inspect",),
                     unsafe("imports `inspect`"), id="frame"),
        # issue 12: names that resolve strings to objects, and doors to the runner
        pytest.param("    f = pkgutil.resolve_name('os:system')\n" + CHECK, ("import pkgutil",),
                     unsafe("imports `pkgutil`"), id="pkgutil-resolve-name"),
        pytest.param("    f = resolve_name('os:system')\n" + CHECK,
                     ("from pkgutil import resolve_name",),
                     unsafe("imports `pkgutil.resolve_name`"), id="from-pkgutil"),
        pytest.param("    f = pydoc.locate('os.system')\n" + CHECK, ("import pydoc",),
                     unsafe("imports `pydoc`"), id="pydoc-locate"),
        pytest.param("    timeit.timeit('1')\n" + CHECK, ("import timeit",),
                     unsafe("imports `timeit`"), id="timeit"),
        pytest.param("    gc.collect()\n" + CHECK, ("import gc",), unsafe("imports `gc`"),
                     id="gc"),
        pytest.param("    m = importlib.import_module('o' + 's')\n" + CHECK,
                     ("import importlib",), unsafe("imports `importlib`"), id="importlib"),
        pytest.param("    f = geo.pkgutil.resolve_name('os:system')\n" + CHECK,
                     ("import pkg.geo as geo",), unsafe("uses `geo.pkgutil.resolve_name`"),
                     id="pkgutil-through-the-target-module"),
        pytest.param("    x = thing.resolve_name('os:system')\n" + CHECK, (),
                     unsafe("uses `thing.resolve_name`"), id="resolver-on-any-object"),
        pytest.param("    s = ('{0.__gl' + 'obals__}').format(dist)\n" + CHECK, (),
                     unsafe("calls `('{0.__gl' + 'obals__}').format(dist)` on a computed "
                            "format string"), id="computed-format"),
        pytest.param("def test_a(request):\n    p = request.config.pluginmanager\n" + CHECK,
                     (), unsafe("uses `request.config.pluginmanager`"), id="plugin-manager"),
        pytest.param("    with mock.patch('os.system'):\n        pass\n" + CHECK,
                     ("from unittest import mock",),
                     unsafe("calls `mock.patch('os.system')` with a computed or forbidden "
                            "target"), id="patch-forbidden-module"),
        pytest.param("    h = typing.get_type_hints(dist)\n" + CHECK, ("import typing",),
                     unsafe("uses `typing.get_type_hints`"), id="type-hints-evaluate"),
        pytest.param("    r = os.urandom(4)\n" + CHECK, ("import os",), unsafe("uses `os.urandom`"),
                     id="os-not-listed"),
        pytest.param(CHECK, ("import numpy as np",), unsafe("imports `numpy`"),
                     id="third-party"),
        pytest.param(CHECK, ("from . import helpers",), unsafe("imports `.`"), id="relative"),
        pytest.param("    Path('a.txt').replace('b.txt')\n" + CHECK, (),
                     outside("Path('a.txt').replace('b.txt')"), id="path-replace"),
        pytest.param("    try:\n        dist([], [1])\n    except ValueError as e:\n"
                     "        g = e.__traceback__.tb_frame\n" + CHECK, (),
                     unsafe("uses `e.__traceback__.tb_frame`"), id="traceback-frame"),
        pytest.param("    m = sys.modules\n" + CHECK, ("import sys",), unsafe("uses `sys.modules`"),
                     id="sys-modules"),
        # processes, network, native code, environment, files through os
        pytest.param(CHECK, ("import subprocess",), unsafe("imports `subprocess`"),
                     id="import-in-preamble"),
        pytest.param("    import socket\n" + CHECK, (), unsafe("imports `socket`"),
                     id="import-in-test"),
        pytest.param(CHECK, ("from urllib.request import urlopen",),
                     unsafe("imports `urllib.request.urlopen`"), id="from-import"),
        pytest.param(CHECK, ("import ctypes as c",), unsafe("imports `ctypes`"), id="import-as"),
        pytest.param("    geo.subprocess.run(['ls'])\n" + CHECK, ("import pkg.geo as geo",),
                     unsafe("uses `geo.subprocess.run`"), id="module-through-the-target-module"),
        pytest.param("    os.system('ls')\n" + CHECK, ("import os",), unsafe("uses `os.system`"),
                     id="os-system"),
        pytest.param("    o.execv('/bin/sh', [])\n" + CHECK, ("import os as o",),
                     unsafe("uses `o.execv`"), id="os-exec-alias"),
        pytest.param("    os.remove('x')\n" + CHECK, ("import os",), unsafe("uses `os.remove`"),
                     id="os-remove"),
        pytest.param("    h = os.environ['HOME']\n" + CHECK, ("import os",),
                     unsafe("uses `os.environ`"), id="environ"),
        pytest.param("    h = os.getenv('HOME')\n" + CHECK, ("import os",),
                     unsafe("uses `os.getenv`"), id="getenv"),
        pytest.param(CHECK, ("from os import environ",), unsafe("imports `os.environ`"),
                     id="from-os-import-environ"),
        pytest.param("    os.stat('x', dir_fd=3)\n" + CHECK, ("import os",),
                     unsafe("calls `os.stat('x', dir_fd=3)` with a directory descriptor"),
                     id="dir-fd"),
        pytest.param("    p = asyncio.create_subprocess_exec('ls')\n" + CHECK, ("import asyncio",),
                     unsafe("uses `asyncio.create_subprocess_exec`"), id="asyncio-subprocess"),
        # writes outside the tmp fixtures
        pytest.param("    with open('out.txt', 'w') as f:\n        f.write('1')\n" + CHECK, (),
                     outside("open('out.txt', 'w')"), id="open-write"),
        pytest.param("    f = open('out.txt', mode='a+')\n" + CHECK, (),
                     outside("open('out.txt', mode='a+')"), id="open-append-keyword"),
        pytest.param("def test_a(mode):\n    f = open('out.txt', mode)\n" + CHECK, (),
                     outside("open('out.txt', mode)"), id="open-computed-mode"),
        pytest.param("    f = io.open('out.txt', 'x')\n" + CHECK, ("import io",),
                     outside("io.open('out.txt', 'x')"), id="io-open"),
        pytest.param("    f = Path('out.txt').open('w')\n" + CHECK, (),
                     outside("Path('out.txt').open('w')"), id="path-open"),
        pytest.param("    Path('out.txt').write_text('1')\n" + CHECK, (),
                     outside("Path('out.txt').write_text('1')"), id="write-text"),
        pytest.param("def test_a(tmp_path):\n    (tmp_path / '..' / 'x').touch()\n" + CHECK, (),
                     outside("(tmp_path / '..' / 'x').touch()"), id="climbs-out"),
        pytest.param("def test_a(tmp_path):\n    (tmp_path / '/etc/x').unlink()\n" + CHECK, (),
                     outside("(tmp_path / '/etc/x').unlink()"), id="absolute-part"),
        pytest.param("def test_a(tmp_path):\n    p = tmp_path.parent / 'x'\n"
                     "    p.write_bytes(b'')\n" + CHECK, (), outside("p.write_bytes(b'')"),
                     id="parent"),
        pytest.param("def test_a(tmp_path):\n    f = open(f'{tmp_path}/../x', 'w')\n" + CHECK, (),
                     outside("open(f'{tmp_path}/../x', 'w')"), id="f-string-climbs-out"),
        pytest.param("def test_a(tmp_path, name):\n    (tmp_path / name).touch()\n" + CHECK, (),
                     outside("(tmp_path / name).touch()"), id="untrusted-part"),
        pytest.param("def test_a(tmp_path):\n    p = tmp_path / 'x'\n    p = Path('/x')\n"
                     "    p.touch()\n" + CHECK, (), outside("p.touch()"), id="rebound"),
        pytest.param("def test_a(tmp_path):\n    tmp_path.touch()\n" + CHECK,
                     ("@pytest.fixture\ndef tmp_path():\n    return Path('/')",),
                     outside("tmp_path.touch()"), id="fixture-overridden"),
        # allowed
        pytest.param("def test_a(tmp_path):\n    p = tmp_path / 'a' / 'b.txt'\n"
                     "    p.write_text('1')\n    with open(p, 'w') as f:\n        f.write('1')\n"
                     + CHECK, (), None, id="tmp-path"),
        pytest.param("def test_a(tmpdir):\n    f = open(os.path.join(tmpdir, 'x'), 'w')\n"
                     + CHECK, ("import os",), None, id="tmpdir-join"),
        pytest.param("def test_a(tmp_path):\n    f = open(f'{tmp_path}/out.txt', 'w')\n" + CHECK,
                     (), None, id="tmp-f-string"),
        pytest.param("def test_a(tmp_path):\n    for name in ['a', 'b']:\n"
                     "        (tmp_path / name).write_text(name)\n"
                     "    for i in range(3):\n        (tmp_path / f'f{i}.txt').touch()\n"
                     + CHECK, (), None, id="tmp-loops"),
        pytest.param("    with open('data.txt') as f:\n        f.read()\n"
                     "    t = Path('data.txt').read_text()\n" + CHECK, (), None, id="reads"),
        pytest.param("    n = (dist.__name__, dist.__doc__, dist.__class__, dist.__qualname__)\n"
                     "    d = Stack().__dict__\n    v = vars(Stack())\n" + CHECK, (), None,
                     id="harmless-introspection"),
        pytest.param("    p = os.path.join('a', 'b')\n    n = sys.maxsize\n" + CHECK,
                     ("import os", "import sys"), None, id="harmless-os-and-sys"),
        pytest.param("def test_a(monkeypatch):\n    monkeypatch.setenv('X', '1')\n"
                     "    s = 'abc'.replace('a', 'b')\n" + CHECK, (), None, id="monkeypatch-env"),
        pytest.param("    assert asyncio.run(fetch(1)) == 2\n" + CHECK, ("import asyncio",), None,
                     id="asyncio-run"),
        pytest.param("    x = math.floor(itertools.count().__next__())\n"
                     "    s = '{} {}'.format(1, 2)\n" + CHECK, ("import math", "import itertools"),
                     None, id="pure-standard-library"),
        pytest.param("    with mock.patch('pkg.geo.math.sqrt', return_value=2.0):\n"
                     "        assert dist([0], [1]) == 2.0\n", ("from unittest import mock",),
                     None, id="patch-the-target-module"),
    ],
)  # fmt: skip
def test_unsafe_tests_are_dropped(
    dist: Target, body: str, preamble: tuple[str, ...], expected: tuple[str, str] | None
) -> None:
    assert verdict(dist, body, preamble) == expected


@pytest.mark.parametrize(
    ("source", "body"),
    [
        pytest.param("def eval(text):\n    return 1\n", "    assert eval('1') == 1\n", id="eval"),
        pytest.param(
            "class Store:\n    def unlink(self):\n        return 1\n",
            "    assert Store().unlink() == 1\n",
            id="method-named-like-a-writer",
        ),
    ],
)
def test_the_target_may_share_a_dangerous_name(
    tmp_path: pathlib.Path, source: str, body: str
) -> None:
    target = make_target(make_project(tmp_path, source, "calc.py"), source.count("\n") - 1)
    assert verdict(target, body, (target.import_line,)) is None


VALUE = {"outcome": "value", "repr": "2"}


@pytest.mark.parametrize(
    ("needle", "event"),
    [
        pytest.param("return math.sqrt", {"outcome": "value", "repr": "2.5"}, id="approx"),
        pytest.param("return math.sqrt", {"outcome": "value", "repr": "5.0"}, id="float"),
        pytest.param(
            "return math.sqrt",
            {"outcome": "raises", "exc": "ValueError", "builtin": True},
            id="raises",
        ),
        pytest.param("self.items.append", {"outcome": "value", "repr": "True"}, id="method-is"),
        pytest.param(
            "self.size = size",
            {"outcome": "object", "type": "Stack", "vars": {"items": [], "size": 1}},
            id="constructor-vars",
        ),
        pytest.param(
            "return Stack(n)",
            {"outcome": "object", "type": "Stack", "vars": {"items": [], "size": 2}},
            id="staticmethod-object",
        ),
        pytest.param("return n + 1", VALUE, id="async"),
        pytest.param("return n + 1", {"outcome": "value", "repr": "'a \\'b\\''"}, id="string"),
    ],
)
def test_derived_tests_pass_the_review(
    tmp_path: pathlib.Path, needle: str, event: dict[str, Any]
) -> None:
    target = make_target(make_project(tmp_path), line_of(GEO, needle))
    space = universe(target)
    _, calls = derive.cases(target, 6)
    lines = sorted(space.lines)
    results = {
        c.id: {**event, "lines": [lines[i % len(lines)]], "arcs": []} for i, c in enumerate(calls)
    }
    tests = derive.characterise(target, calls, results, space, 6)
    assert tests
    assert [review(t, target)[1] for t in tests] == [None] * len(tests)


@pytest.mark.parametrize(
    ("body", "preamble", "expected"),
    [
        pytest.param("    calc.sp.run(['id'])\n", ("import calc",), unsafe("uses `calc.sp`"),
                     id="alias-through-the-module"),
        pytest.param("    sp.run(['id'])\n", ("from calc import sp",),
                     unsafe("imports `calc.sp`"), id="alias-imported"),
        pytest.param("    load('os:system')\n", ("from calc import load",),
                     unsafe("imports `calc.load`"), id="resolver-imported"),
        pytest.param("    assert calc.twice(2) == 4\n", ("import calc",), None, id="the-target"),
    ],
)  # fmt: skip
def test_what_the_target_module_imports_is_out_of_reach(
    tmp_path: pathlib.Path, body: str, preamble: tuple[str, ...], expected: tuple[str, str] | None
) -> None:
    """issue 12: the target's own names for forbidden modules are not a way around them."""
    source = (
        "import subprocess as sp\nfrom pkgutil import resolve_name as load\n\n\n"
        "def twice(x):\n    return 2 * x\n"
    )
    target = make_target(make_project(tmp_path, source, "calc.py"), 6)
    assert verdict(target, body + "    assert calc.twice(2) == 4\n", preamble) == expected
