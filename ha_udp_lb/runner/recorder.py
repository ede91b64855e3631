"""Run the real Pulumi program for a stack with no CLI, engine or credentials: a mock monitor records
every resource registration (type, name, parent, dependencies, inputs with secrets still marked) and the
stack's exports. `synth` and the mock tests stand on this."""

from __future__ import annotations

import json
import runpy
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime
from google.protobuf import json_format  # type: ignore[import-untyped]
from pulumi.runtime import mocks, rpc
from pulumi.runtime.config import set_all_config
from pulumi.runtime.settings import set_root_resource
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from ha_udp_lb.core.json_numbers import any_int_digits
from ha_udp_lb.core.project import PROJECT, REPO

from .stackfile import stack_config

SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
"""How Pulumi's wire format marks a secret value: {SIGNATURE_KEY: SECRET_SIGNATURE, "value": …}."""
SYNTH_PRIVATE_KEY = "synth-placeholder-private-key"
"""Stands in for sshPrivateKey: synth needs no credentials, and the real key never reaches it."""


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    dependencies: list[str]
    inputs: dict[str, Any]
    """Inputs with secrets unwrapped (assets as pulumi assets)."""
    wire: dict[str, Any]
    """Inputs as sent to the engine, secrets still wrapped: what would reach the state file."""
    delete_before_replace: bool = False

    def is_secret(self, key: str) -> bool:
        return _holds_secret(self.wire.get(key))


@dataclass
class Recording:
    registrations: list[Registration] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    exports_wire: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)


class DuplicateUrn(RuntimeError):
    pass


class _EchoMocks(pulumi.runtime.Mocks):
    def __init__(self, previous: dict[str, Any] | None = None) -> None:
        self.previous = previous or {}
        """The outputs of the stack's last deployment, as a StackReference to the stack itself reads them."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ == "pulumi:pulumi:StackReference":
            outputs |= {"outputs": self.previous, "secretOutputNames": []}
        if args.typ == "docker:index/image:Image":
            outputs["repoDigest"] = f"{args.inputs.get('imageName')}@sha256:synth"
        if args.typ == "docker:index/remoteImage:RemoteImage":
            outputs["imageId"] = f"sha256:synth-{args.name}"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


class _RecordingMonitor(mocks.MockMonitor):
    def __init__(self, recording: Recording, echo: _EchoMocks) -> None:
        super().__init__(echo)
        self.recording = recording

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if any(r.urn == response.urn for r in self.recording.registrations):
            # The engine refuses the whole update on a URN registered twice; so does the recording.
            raise DuplicateUrn(f"{response.urn} is registered twice: a resource name repeats")
        if request.type != "pulumi:pulumi:Stack":
            self.recording.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    dependencies=list(request.dependencies),
                    inputs=_unwrap(rpc.deserialize_properties(request.object)),
                    wire=json_format.MessageToDict(request.object),
                    delete_before_replace=request.deleteBeforeReplace,
                )
            )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":  # the root's type, not a parent in the chain
            self.recording.exports = rpc.deserialize_properties(request.outputs)
            self.recording.exports_wire = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


def record(
    stack: str,
    config: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    previous: dict[str, Any] | None = None,
) -> Recording:
    """Run `__main__.py` for `stack` (its stack file, or `config` instead) and return what it registered;
    `previous`: the outputs of the stack's last deployment (none by default: the first)."""
    raw = stack_config(stack) if config is None else config
    secret_values = {"sshPrivateKey": SYNTH_PRIVATE_KEY, **(secrets or {})}
    # Pulumi hands structured values to the program JSON-encoded, as the CLI does (which has no limit
    # on the digits of a number it writes; Python's json does).
    with any_int_digits():
        flat = {f"{PROJECT}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
    flat.update({f"{PROJECT}:{k}": v for k, v in secret_values.items()})
    set_all_config(flat, [f"{PROJECT}:{k}" for k in secret_values])
    recording = Recording()
    echo = _EchoMocks(previous)
    pulumi.runtime.set_mocks(
        echo, project=PROJECT, stack=stack, preview=False, monitor=_RecordingMonitor(recording, echo)
    )
    # set_mocks makes a root stack that never finishes; run_in_stack makes one that registers the exports.
    set_root_resource(None)  # type: ignore[arg-type]

    def program() -> None:
        runpy.run_path(str(REPO / "__main__.py"), run_name="__main__")

    _sync_await(run_in_stack(program))
    return recording


def plain_text(value: object) -> str:
    """Every string inside `value`, asset texts included (str() of an asset hides its text)."""
    if isinstance(value, dict):
        return " ".join(plain_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(plain_text(v) for v in value)
    return str(getattr(value, "text", value))


def without_secrets(value: Any) -> Any:
    """`value` as the engine's state would show it to a reader without the key: secrets as "<secret>"."""
    if isinstance(value, dict):
        if value.get(SIGNATURE_KEY) == SECRET_SIGNATURE:
            return "<secret>"
        return {k: without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(SIGNATURE_KEY) == SECRET_SIGNATURE or any(_holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SIGNATURE_KEY) == SECRET_SIGNATURE:
            return _unwrap(value["value"])
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value
