"""Every validation rule, through both readers: the core's (`parse_stack`, what synth and the lab use)
and Pulumi's (the program reading structured config under the mock engine). Bad input → a message
naming the key path and what to write instead; nothing registered; no traceback for any YAML value."""

from __future__ import annotations

import pytest

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.errors import ConfigError
from ha_udp_lb.runner.recorder import record
from tests.base_config import BASE, config
from tests.validation_case import Case
from tests.validation_cases import CASES

IDS = [case.id for case in CASES]


def _says(error: ConfigError, path: str, fix: str) -> None:
    lines = [line for line in str(error).splitlines() if line.startswith(f"  - {error.prefix}{path} = ")]
    assert lines, f"no problem names {path!r} in:\n{error}"
    assert any(fix in line for line in lines), f"{path!r} does not say {fix!r}:\n{error}"


def test_the_table_covers_every_top_level_key_and_at_least_120_inputs() -> None:
    assert len(CASES) >= 120
    assert len(set(IDS)) == len(IDS)
    named = {case.path.split(".")[0].split("[")[0] for case in CASES}
    assert named >= {"target", "nodes", "vips", "vrrp", "health", "pools", "tuning"}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_core_reader_names_the_key_and_the_fix(case: Case) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack(case.raw, vrrp_password=case.password)
    _says(caught.value, case.path, case.fix)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_pulumis_reader_names_the_same_key_and_fix_before_any_resource(case: Case) -> None:
    secrets = {"vrrpPassword": case.password} if case.password is not None else None
    with pytest.raises(ConfigError) as caught:
        record("dev", config=case.raw, secrets=secrets)
    assert caught.value.prefix == "ha-udp-lb:"
    _says(caught.value, case.path, case.fix)


def test_every_problem_is_reported_together() -> None:
    # Field errors come from one pass; rules across fields run once every field is valid.
    raw = config(nodes__1__priority=300, vips__0__vrid=0, pools__0__port=70000, vrrp={"advertInterval": -1})
    with pytest.raises(ConfigError) as caught:
        parse_stack(raw)
    assert {problem.path for problem in caught.value.problems} == {
        "nodes[1].priority",
        "vips[0].vrid",
        "pools[0].port",
        "vrrp.advertInterval",
    }
    raw = config(nodes__1__priority=150, vrrp={"version": 3}, vips__0__preferred="nobody")
    with pytest.raises(ConfigError) as caught:
        parse_stack(raw, vrrp_password="x")
    assert {p.path for p in caught.value.problems} == {
        "nodes[0].priority",
        "nodes[1].priority",
        "vrrp.password",
        "vips[0].preferred",
    }


def test_the_password_never_appears_in_the_error() -> None:
    for password in ("hunter2-long", "a b", "x\ny"):
        with pytest.raises(ConfigError) as caught:
            parse_stack(config(vrrp={"version": 2, "advertInterval": 1}), vrrp_password=password)
        assert password not in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        parse_stack(config(vrrp={"version": 2, "advertInterval": 1, "password": "hunter2"}))
    assert "hunter2" not in str(caught.value)


def test_a_valid_config_parses_with_defaults() -> None:
    stack = parse_stack(BASE)
    assert stack.vrrp.version == 3 and stack.vrrp.unicast
    assert stack.health.weight == 0
    assert stack.pools[0].backends[1].endpoint == "198.18.0.22:2055"
    assert stack.pools[0].health_check.probe == "udp"
    assert stack.preferred_node(stack.vips[0]).name == "lb1"


def test_the_documented_forms_keep_working() -> None:
    stack = parse_stack(
        config(
            pools__0__backends=["198.18.0.21:2055", {"endpoint": "198.18.0.22:2055", "weight": 2}],
            tuning={"workers": "auto"},
            vrrp={"version": 2, "advertInterval": 1},
        ),
        vrrp_password="s3cret",
    )
    assert [b.weight for b in stack.pools[0].backends] == [1, 2]
    assert stack.vrrp.password is not None and stack.vrrp.password.get_secret_value() == "s3cret"
    assert parse_stack(config(health={"weight": -60})).health.weight == -60
    assert parse_stack(config(tuning={"workers": 2})).tuning.workers == 2
