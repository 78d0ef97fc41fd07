"""docs/costs.md stays equal to the data it shows: the price table, what was searched for each
unpriced row, the usage assumptions and the seed budget beside today's dev stack."""
from __future__ import annotations

import pytest

from scripts import cost_table

TEXT = cost_table.DOC.read_text()


@pytest.fixture(scope="module")
def blocks():
    return cost_table.blocks(cost_table.dev_estimate())


@pytest.mark.parametrize("name", ["prices", "unverified", "assumptions", "seed"])
def test_docs_costs_block_is_rendered_from_the_data(blocks, name):
    assert cost_table.block_of(TEXT, name) == blocks[name], (
        f"docs/costs.md block {name!r} is stale: run .venv/bin/python scripts/cost_table.py")


def test_every_price_row_and_assumption_appears_in_the_doc(blocks):
    from components.cloud.prices import PRICES
    from components.cost_estimate import ASSUMPTION_DOCS

    assert len(blocks["prices"].splitlines()) == len(PRICES) + 2
    assert all(f"`{key}`" in blocks["assumptions"] for key in ASSUMPTION_DOCS)
    assert "500" in blocks["seed"] and "dev today" in blocks["seed"]
