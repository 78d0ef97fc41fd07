"""Issue 22, facts of the versions we run: every sourced fact of an image contract names the
version its source describes, and that version is the one every stack pins, or the mismatch is
declared in the contract's `unverified` (and so shown in docs/images.md).

A contract read at one release and run at another describes an image nobody read: Grafana's
memory floor came from the 9.2 documentation while the stacks run 12.1.
"""
from __future__ import annotations

import re
import tokenize

import pytest

from components.cloud import api_limits, catalog, fact_sources, rules
from components.plan.run import ROOT
from components.plan.stack_config import read_stack_config
from components.runtime.image_contracts import CONTRACTS
from components.settings import Settings
from components.settings.lego_providers import SOURCE_VERSION

STACKS = ("dev", "staging", "prod")


def _version(tag: str) -> tuple[int, ...] | None:
    """(3, 5, 0) of v3.5.0, (17, 6) of 17.6-alpine, (7,) of 7-alpine; None for a commit."""
    m = re.fullmatch(r"v?(\d+(?:\.\d+)*)(?:-[a-z0-9.]+)?", tag)
    return tuple(int(x) for x in m[1].split(".")) if m else None


def _tag(image: str) -> str:
    return image.split("@", 1)[0].rsplit(":", 1)[1]


def _compatible(a: tuple[int, ...] | None, b: tuple[int, ...] | None) -> bool:
    """One is the other or a release of its line: 17 and 17.6, 7 and 7.4.11; not 7.4.11 and 7.4.6."""
    if a is None or b is None:
        return False
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def pinned() -> dict[str, set[str]]:
    """Settings key -> every tag a stack runs (the default, and each stack file's own)."""
    out = {key: {_tag(Settings.model_fields[key].default)} for key in CONTRACTS}
    for stack in STACKS:
        config, _ = read_stack_config(ROOT, stack)
        for key in CONTRACTS:
            alias = Settings.model_fields[key].alias
            if f"xqfc:{alias}" in config:
                out[key].add(_tag(str(config[f"xqfc:{alias}"])))
    return out


@pytest.mark.parametrize("key", sorted(CONTRACTS))
def test_the_contract_describes_the_version_every_stack_runs_or_says_it_does_not(key):
    c = CONTRACTS[key]
    assert c.describes, f"{key}: name the upstream version its sources describe (`describes`)"
    assert c.upstream.endswith(":" + _tag(Settings.model_fields[key].default)), key
    undeclared = [t for t in pinned()[key] if not _compatible(_version(c.describes), _version(t)) and t not in c.unread_pins]
    assert not undeclared, (f"{key}: sources describe {c.describes}, the stacks pin {undeclared}; re-read them, "
                            "or list the tag in unread_pins and say why in unverified")


@pytest.mark.parametrize("key", sorted(k for k, c in CONTRACTS.items() if c.unread_pins))
def test_an_unread_pin_is_pinned_differs_from_what_was_read_and_says_why(key):
    # An excuse must name a real mismatch: not a tag nobody runs (stale), nor one that was read.
    c = CONTRACTS[key]
    for tag in c.unread_pins:
        assert tag in pinned()[key], f"{key}: unread_pins names {tag}, which no stack runs"
        assert not _compatible(_version(c.describes), _version(tag)), f"{key}: {tag} is what was read ({c.describes})"
        assert any(tag in u for u in c.unverified), f"{key}: unverified must say why {tag} was not read"


@pytest.mark.parametrize("key", sorted(CONTRACTS))
def test_a_documented_memory_floor_names_the_releases_its_page_describes(key):
    c = CONTRACTS[key]
    if c.memory_source.startswith("derived"):
        return  # our own judgement, reasoned in memory_source, not a figure of the upstream's
    first, last = (_version(v) for v in c.memory_describes)
    assert first and last, f"{key}: a documented floor names the documentation versions it comes from"
    for tag in pinned()[key]:
        v = _version(tag)
        assert v and first <= v[: len(first)] and v[: len(last)] <= last, (key, tag, c.memory_describes)


def test_grafana_floor_is_the_one_its_current_documentation_states():
    assert CONTRACTS["grafana_image"].memory_floor_mb >= 512


def test_the_lego_table_names_the_version_of_the_acme_provider_the_stack_pins():
    pin = re.search(r"^pulumiverse-acme==([\d.]+)$", (ROOT / "requirements.txt").read_text(), re.M)[1]
    assert f"pulumiverse-acme {pin}" in SOURCE_VERSION


# --- the cloud facts (components/cloud): the provider releases they describe -------------------

def _requirement(package: str) -> str:
    m = re.search(rf"^{re.escape(package)}==([^\s#]+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert m, f"requirements.txt pins no {package}"
    return m[1]


@pytest.mark.parametrize("cloud", sorted(fact_sources.PROVIDERS))
def test_the_cloud_facts_describe_the_provider_requirements_pins(cloud):
    p = fact_sources.PROVIDERS[cloud]
    pin = _requirement(p.package)
    assert p.pin == pin, (
        f"requirements.txt pins {p.package}=={pin} but the cloud facts were read against {p.pin}: re-read the "
        f"provider-sourced rows (api_limits, catalog, rules) at {pin}, then update PROVIDERS in "
        "components/cloud/fact_sources.py")
    assert p.terraform_version == fact_sources.READ_ELSEWHERE or re.fullmatch(r"v\d+\.\d+\.\d+", p.terraform_version)
    assert p.source and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.read)


def _rows():
    yield from (("LIMITS", r) for r in api_limits.LIMITS)
    yield from (("PASSWORD_RULES", r) for r in api_limits.PASSWORD_RULES)
    yield from (("SALE_STATUS", r) for r in catalog.SALE_STATUS)


def test_every_cloud_fact_row_names_the_pinned_provider_release_it_describes():
    for table, row in _rows():
        p = fact_sources.PROVIDERS[row.cloud]
        assert row.read_at == fact_sources.read_at(row.cloud), (table, row.read_at)
        assert f"{p.package} {_requirement(p.package)} " in row.read_at, (table, row.read_at)


def test_the_dated_cloud_tables_name_the_day_they_were_read():
    dates = {catalog.TABLES_READ_AT, rules.RULES_READ_AT, *(s.read_at for t in catalog.INSTANCE_TYPES.values() for s in t.values())}
    assert dates == {fact_sources.PAGES_READ}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fact_sources.PAGES_READ)


def test_docs_cloud_rules_names_the_provider_releases_the_facts_describe():
    text = (ROOT / "docs" / "cloud-rules.md").read_text()
    for cloud in fact_sources.PROVIDERS:
        assert f"| {cloud} | {fact_sources.read_at(cloud)} |" in text, f"docs/cloud-rules.md: {cloud}'s provider release"


# --- provider source citations (issue 22): a rule read in a provider's source names the tag read -------

# A row's source cites provider code when it names a Go file or "provider" outside a page address;
# the tag read is named with the file, Go source or the provider's own docs (website/docs/...markdown).
_PROVIDER_CITATION = re.compile(r"\.go\b|provider")
_TAGGED_CITATION = re.compile(r"terraform-provider-(?P<cloud>tencentcloud|alicloud)@(?P<tag>v\d+\.\d+\.\d+) (?P<path>\S+\.(?:go|markdown)) \S")
# Wording a row uses when the release the pinned wrapper runs could not be read (READ_ELSEWHERE).
NOT_REREAD = "not re-read at"


def _provider_sourced_rows():
    for table, row in _rows():
        if _PROVIDER_CITATION.search(re.sub(r"https?://\S+", "", row.source)):
            yield table, row


def test_a_provider_source_citation_names_the_tag_path_and_function_read():
    rows = list(_provider_sourced_rows())
    assert rows, "no row cites provider source: the check below checks nothing"
    for table, row in rows:
        m = _TAGGED_CITATION.search(row.source)
        assert m and m["cloud"] == row.cloud, (
            f"{table} {row.resource} {row.argument}: cite provider code as "
            f"'terraform-provider-{row.cloud}@vX.Y.Z <path>.go <function or schema key>', not {row.source!r}")


def test_a_provider_source_citation_is_at_the_release_the_pinned_wrapper_runs():
    for table, row in _provider_sourced_rows():
        m = _TAGGED_CITATION.search(row.source)
        p = fact_sources.PROVIDERS[row.cloud]
        if p.terraform_version == fact_sources.READ_ELSEWHERE:
            # The wrapped release is unknown: the row says which release it was read at instead, and why.
            assert NOT_REREAD in row.source, (table, row.argument, row.source)
        else:
            assert m and m["tag"] == p.terraform_version, (
                f"{table} {row.resource} {row.argument}: read at {m and m['tag']}, the stacks run "
                f"{p.terraform_provider} {p.terraform_version}: re-read it there")


def test_provider_code_cited_in_cloud_comments_names_its_tag():
    # The same rule for the comments of components/cloud: a .go file named without a tag was read
    # at no known release. The tag goes on the comment line that names the file.
    untagged = []
    for path in sorted((ROOT / "components" / "cloud").glob("*.py")):
        with path.open() as f:
            for tok in tokenize.generate_tokens(f.readline):
                if tok.type == tokenize.COMMENT and re.search(r"\w\.go\b", tok.string) and "@v" not in tok.string:
                    untagged.append(f"{path.name}:{tok.start[0]}: {tok.string}")
    assert untagged == []
