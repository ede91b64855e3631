"""The program with `routing: bgp` under mocks (runner.recorder): FRR's files staged by BgpSpeakers, the
install step bringing FRR, the exports naming each node's sessions, the BGP password secret everywhere;
and every node's frr.conf judged by FRR itself."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from ha_udp_lb.core.commands import install_command
from ha_udp_lb.core.compose import BGP, compose
from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.runner.recorder import Recording, plain_text, record, without_secrets
from ha_udp_lb.runner.stackfile import stack_config
from tests.composition import AGENT


@pytest.fixture(scope="module")
def bgp() -> Recording:
    return record("bgp")


def test_bgp_speakers_stage_frr_and_no_keepalived_anywhere(bgp: Recording) -> None:
    assert len(bgp.of_type("ha-udp-lb:index:BgpSpeakers")) == 1
    assert not bgp.of_type("ha-udp-lb:index:VrrpGroup")
    uploads = [r.inputs["remotePath"] for r in bgp.of_type("command:remote:CopyToRemote")]
    assert sum(path.endswith(PATHS.frr_conf) for path in uploads) == 3
    assert not [path for path in uploads if "keepalived.conf" in path or "loopback-vips" in path]
    install = next(r for r in bgp.registrations if r.name == "lb1-install")
    assert install.inputs["create"] == install_command("bgp") and " frr frr-pythontools" in install.inputs["create"]
    assert "keepalived" not in install.inputs["create"]


def test_exports_name_every_nodes_sessions(bgp: Recording) -> None:
    assert bgp.exports["vips"] == ["198.18.1.100/32"]
    assert bgp.exports["nodes"]["lb2"] == {
        "address": "198.18.12.2",
        "asn": 65100,
        "peers": [{"address": "198.18.12.1", "asn": 65000}],
    }


def test_rollout_is_one_node_at_a_time_in_the_stacks_order(bgp: Recording) -> None:
    applies = {r.name: r for r in bgp.registrations if r.name.endswith("-apply")}
    assert not {applies["lb2-apply"].urn, applies["lb3-apply"].urn} & set(applies["lb1-apply"].dependencies)
    assert applies["lb1-apply"].urn in applies["lb2-apply"].dependencies
    assert applies["lb2-apply"].urn in applies["lb3-apply"].dependencies


def test_bgp_password_is_secret_in_every_upload_output_and_hash() -> None:
    recording = record("bgp", secrets={"bgpPassword": "Rout3rPw"})
    carrying = [r for r in recording.registrations if "Rout3rPw" in plain_text(r.inputs)]
    assert carrying, "the password reached no upload"
    for r in carrying:
        assert "Rout3rPw" not in str(without_secrets(r.wire)), f"{r.name} carries the password in clear"
    assert "Rout3rPw" not in str(without_secrets(recording.exports_wire))


@pytest.mark.daemons
@pytest.mark.parametrize("password", [None, "Rout3rPw"])
def test_every_nodes_frr_conf_is_accepted_by_frr(password: str | None) -> None:
    stack = parse_stack(stack_config("bgp"), bgp_password=password)
    for name, files in compose(stack, AGENT).items():
        conf = files.parts[BGP][PATHS.frr_conf].content
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "frr.conf"
            path.write_text(conf)
            judged = subprocess.run(["vtysh", "--dryrun", "-f", str(path)], capture_output=True, text=True)
        assert judged.returncode == 0, f"{name}: {judged.stdout}{judged.stderr}"
        assert ("password Rout3rPw" in conf) == (password is not None)
