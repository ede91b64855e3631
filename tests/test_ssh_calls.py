"""What `pulumi up` and `pulumi destroy` run on the ssh stack's hosts across two program runs
(runner.ssh_calls, as pulumi-command behaves): only what changed, deletes last, the teardown on a node
that leaves."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.commands import install_command
from core.render import render_teardown
from runner.recorder import Recording, Registration, record
from runner.ssh_calls import COPY, Run, State, Step, UntranslatedInput, plan, resources, with_dependents
from runner.stackfile import stack_config

KEY = {"sshPrivateKey": "lab-key"}


def state_of(config: dict[str, Any]) -> State:
    return resources(record("hosts", config=config, secrets=KEY))


def ran(steps: list[Step]) -> list[str]:
    return [f"{s.verb} {s.resource.name}" for s in steps if s.operation is not None]


def two_nodes() -> dict[str, Any]:
    config = copy.deepcopy(stack_config("hosts"))
    config["nodes"] = config["nodes"][:2]
    return config


def test_the_first_run_installs_stages_and_activates_every_node_backups_first() -> None:
    steps, _ = plan({}, state_of(two_nodes()))
    names = ran(steps)
    assert {"create lb1-install", "create lb2-install", "create lb1-staging", "create lb2-staging"} <= set(names)
    # lb2 (priority 100) takes the configuration before lb1 (150), the master of the first VIP.
    assert names.index("create lb2-apply") < names.index("create lb1-apply")
    assert names[-1] == "create lb1-apply"
    assert not [s for s in steps if s.verb == "delete"]


def test_a_second_run_with_nothing_changed_runs_nothing() -> None:
    first = state_of(two_nodes())
    assert plan(first, state_of(two_nodes()))[0] == []


def test_a_collector_added_runs_only_the_changed_uploads_and_each_activation() -> None:
    before = two_nodes()
    after = copy.deepcopy(before)
    after["pools"][0]["backends"].append("198.18.0.24:2055")
    steps, _ = plan(state_of(before), state_of(after))
    names = ran(steps)
    assert all(s.resource.type == COPY or s.resource.name.endswith("-apply") for s in steps), names
    assert not [s for s in steps if s.resource.type == COPY and s.verb == "create"], names
    assert [n for n in names if n.endswith("-apply")] == ["replace lb2-apply", "replace lb1-apply"]
    # Uploads and activations are replaced (their triggers are digests); the replaced ones have no
    # delete, so nothing runs for them afterwards.
    assert {s.operation for s in steps if s.verb == "delete"} == {None}


def test_a_node_dropped_from_the_stack_is_torn_down_after_everything_else() -> None:
    three = stack_config("hosts")
    steps, _ = plan(state_of(three), state_of(two_nodes()))
    teardowns = [s for s in steps if isinstance(s.operation, Run) and s.operation.command == render_teardown()]
    assert [s.resource.name for s in teardowns] == ["lb3-staging"]
    assert teardowns[0].operation.connection.host == "198.19.0.13"  # type: ignore[union-attr]
    assert steps.index(teardowns[0]) > max(i for i, s in enumerate(steps) if s.verb != "delete")


def test_destroy_tears_every_node_down_and_runs_nothing_else() -> None:
    steps, after = plan(state_of(two_nodes()), {})
    assert after == {}
    assert {s.verb for s in steps} == {"delete"}
    assert sorted(ran(steps)) == ["delete lb1-staging", "delete lb2-staging"]
    assert all(s.operation.command == render_teardown() for s in steps if isinstance(s.operation, Run))


def test_a_targeted_destroy_takes_the_node_and_what_depends_on_it() -> None:
    state = state_of(two_nodes())
    staging = next(urn for urn, r in state.items() if r.name == "lb2-staging")
    doomed = {state[urn].name for urn in with_dependents(state, {staging})}
    assert "lb2-apply" in doomed and "lb2-install" not in doomed
    assert {name for name in doomed if "lb1" in name} == {"lb1-apply"}  # it comes after lb2 in the rollout


def test_the_install_step_never_runs_again_and_keeps_the_packages() -> None:
    state = state_of(two_nodes())
    install = next(r for r in state.values() if r.name == "lb1-install")
    assert install.inputs["create"] == install_command() and "delete" not in install.inputs


def test_an_input_without_a_translation_is_an_error() -> None:
    recording = record("hosts", config=two_nodes(), secrets=KEY)
    staging = next(r for r in recording.registrations if r.name == "lb1-staging")
    odd = Registration(**{**staging.__dict__, "inputs": {**staging.inputs, "environment": {"A": "1"}}})
    with pytest.raises(UntranslatedInput, match="environment"):
        resources(Recording(registrations=[odd]))
