"""README stays true to the code: config table, outputs table, the two commands."""
from __future__ import annotations

import re

from components.outputs import CONTRACT
from components.plan.run import ROOT
from scripts.config_table import BEGIN, END, table

README = (ROOT / "README.md").read_text()


def test_config_table_matches_pulumi_yaml_and_stack_files():
    block = README.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert block == table(), "README config table is stale: run scripts/config_table.py --write"


def test_outputs_table_matches_the_contract():
    rows = re.findall(r"^\| `([a-z_]+)` \| ((?:[^|\\]|\\\|)+?) \| (yes|no) \|", README, re.M)
    documented = [(n, t.replace("\\", ""), s == "yes") for n, t, s in rows]
    assert documented == [(o.name, o.type, o.secret) for o in CONTRACT]


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    assert "make plan STACK=prod" in README and "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, re.M)
