"""The mutation runner (scripts/mutation.py) makes the mutants it promises, writes valid Python,
and its equivalent-mutant list in docs/testing.md names only mutants that exist."""
from __future__ import annotations

import ast
import importlib.util
import sys
import textwrap

import pytest

from components.plan.run import ROOT

spec = importlib.util.spec_from_file_location("xqfc_mutation_runner", ROOT / "scripts" / "mutation.py")
mutation = importlib.util.module_from_spec(spec)
sys.modules.setdefault("xqfc_mutation_runner", mutation)
spec.loader.exec_module(mutation)

SAMPLE = textwrap.dedent('''
    """Doc."""
    LIMIT = 8


    class Box:
        @classmethod
        def check(cls, xs, y):
            """Doc 2."""
            out = []
            for x in xs:
                if x < y and not x in (1, 2):
                    continue
                out.append(x + 1)
            return out is not None or False
''')


@pytest.fixture
def sample(tmp_path, monkeypatch):
    (tmp_path / "m.py").write_text(SAMPLE)
    monkeypatch.setattr(mutation, "ROOT", tmp_path)
    return tmp_path


def test_each_operator_makes_its_mutants(sample):
    got = {m.key for m in mutation.mutants((("g", "m.py", "Box.check"),))}
    assert got == {
        "Box.check: x < y and (not x in (1, 2)) -> x < y or not x in (1, 2)",
        "Box.check: x < y -> x <= y",
        "Box.check: not x in (1, 2) -> x in (1, 2)",
        "Box.check: x in (1, 2) -> x not in (1, 2)",
        "Box.check: (1, 2) -> (2, 2)", "Box.check: (1, 2) -> (0, 2)",
        "Box.check: (1, 2) -> (1, 3)", "Box.check: (1, 2) -> (1, 1)",
        "Box.check: x + 1 -> x + 2", "Box.check: x + 1 -> x + 0",
        "Box.check: continue -> break",
        "Box.check: out.append(x + 1) -> pass",
        "Box.check: x + 1 -> x - 1",
        "Box.check: out is not None or False -> out is not None and False",
        "Box.check: out is not None -> out is None",
        "Box.check: out is not None or False -> out is not None or True",
    }


def test_mutants_are_whole_valid_files_that_differ_only_in_the_function(sample):
    for m in mutation.mutants((("g", "m.py", "Box.check"), ("g", "m.py", "<module>"))):
        tree = ast.parse(m.source)
        assert m.source != SAMPLE
        assert [n.name for n in tree.body if isinstance(n, ast.ClassDef)] == ["Box"]
        if m.function == "Box.check":
            assert m.source.startswith('\n"""Doc."""\nLIMIT = 8\n') and "@classmethod" in m.source
    assert {m.key for m in mutation.mutants((("g", "m.py", "<module>"),))} == {"<module>: LIMIT = 8 -> LIMIT = 9",
                                                                                    "<module>: LIMIT = 8 -> LIMIT = 7"}


def test_a_missing_function_names_the_table_to_fix(sample):
    with pytest.raises(SystemExit, match="TARGETS"):
        mutation.mutants((("g", "m.py", "gone"),))


def test_every_listed_equivalent_is_a_real_mutant_of_a_target():
    equivalents = mutation._equivalents()
    assert equivalents, "docs/testing.md lists no equivalent mutants (markers missing?)"
    keys = {m.key for m in mutation.mutants()}
    assert set(equivalents) <= keys, sorted(set(equivalents) - keys)
    assert all(len(reason) > 20 for reason in equivalents.values())


def test_every_group_has_tests_and_a_threshold():
    assert set(mutation.TESTS) == set(mutation.THRESHOLDS) == {t[0] for t in mutation.TARGETS}
    for tests in mutation.TESTS.values():
        assert all((ROOT / t).is_file() for t in tests), tests
    assert mutation.THRESHOLDS["guardrails"] == 100
