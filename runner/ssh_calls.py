"""The ssh stack's recorded registrations as SSH operations, one-to-one, and which of them `pulumi up`
or `pulumi destroy` would run given what the last run left (pure: no I/O).

How pulumi-command's remote resources behave (its provider/pkg/provider/remote, read from the source):
- `command:remote:Command` created: runs `create`. An input other than `triggers` changed: runs
  `update`, or `create` when it has none. `triggers` changed (replaceOnChanges): replaced, the new one
  created and the old one deleted. Deleted: runs `delete`, when it has one.
- `command:remote:CopyToRemote` created or replaced: writes `source` to `remotePath` over SFTP (parent
  directories made). Updated: writes again only when the source or the path changed. Deleted: nothing;
  the file stays.
The engine creates, updates and replaces in dependency order (the program's registration order is one)
and deletes afterwards, in reverse: what a removed or replaced resource's delete runs, runs last.
Every input this file does not translate is an error: the translation cannot drift from the program."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .recorder import Recording, Registration

COMMAND = "command:remote:Command"
COPY = "command:remote:CopyToRemote"
COMPONENT_PREFIX = "ha-udp-lb:"
"""The program's own components: they run nothing."""


class UntranslatedInput(ValueError):
    pass


@dataclass(frozen=True)
class Connection:
    host: str
    port: int
    user: str
    private_key: str = field(repr=False)
    dial_attempts: int = 10
    """`dialErrorLimit`: failed dials before the step fails (the provider retries with a back-off)."""
    dial_timeout_s: float = 15
    """`perDialTimeout`."""


@dataclass(frozen=True)
class Run:
    """A shell command run over one SSH session, as the provider's `session.Run`."""

    connection: Connection
    command: str
    quiet: bool
    """`logging: none`: its output is shown to nobody (it may quote a secret)."""


@dataclass(frozen=True)
class Copy:
    connection: Connection
    path: str
    content: str = field(repr=False)


@dataclass(frozen=True)
class Resource:
    """What the state keeps of one remote resource: enough to compare, update and delete it."""

    urn: str
    type: str
    connection: Connection
    inputs: dict[str, Any]
    """Every input but the connection; a copy's source as its text."""
    dependencies: tuple[str, ...] = ()
    """Not an input: a change in them alone updates nothing."""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[1]


Verb = Literal["create", "update", "replace", "delete"]


@dataclass(frozen=True)
class Step:
    verb: Verb
    resource: Resource
    operation: Run | Copy | None
    """What it does on the host; None when nothing (a copy deleted, a command without that command)."""


State = dict[str, Resource]
"""URN → resource, in the order the program registered them: what a Pulumi state file holds of them."""


def resources(recording: Recording) -> State:
    """The recording's remote resources; an unknown resource type or input is an error."""
    state: State = {}
    for r in recording.registrations:
        if r.type.startswith(COMPONENT_PREFIX):
            continue
        if r.type == COMMAND:
            state[r.urn] = _resource(r, {"create", "update", "delete", "triggers", "logging"})
        elif r.type == COPY:
            resource = _resource(r, {"source", "remotePath", "triggers"})
            inputs = {**resource.inputs, "source": _text(r)}
            state[r.urn] = replace(resource, inputs=inputs)
        else:
            raise UntranslatedInput(f"{r.name}: no translation for {r.type} (runner/ssh_calls.py runs an ssh stack)")
    return state


def plan(previous: State, current: State) -> tuple[list[Step], State]:
    """The steps `pulumi up` runs to go from `previous` to `current`, and the state after them.
    `plan(previous, {})` is `pulumi destroy`."""
    steps: list[Step] = []
    deletes: list[Resource] = []
    for urn, new in current.items():
        old = previous.get(urn)
        if old is None:
            steps.append(Step("create", new, _create(new)))
        elif old.inputs.get("triggers") != new.inputs.get("triggers"):
            steps.append(Step("replace", new, _create(new)))
            deletes.append(old)
        elif (old.inputs, old.connection) != (new.inputs, new.connection):
            steps.append(Step("update", new, _update(old, new)))
    gone = [old for urn, old in previous.items() if urn not in current]
    for old in reversed([*gone, *deletes]):
        steps.append(Step("delete", old, _delete(old)))
    return steps, dict(current)


def with_dependents(state: State, targets: set[str]) -> set[str]:
    """`targets` and every resource that depends on one of them, directly or not (--target-dependents)."""
    unknown = targets - state.keys()
    if unknown:
        raise UntranslatedInput(f"no such resource in the state: {sorted(unknown)}")
    doomed = set(targets)
    for urn, resource in state.items():  # registration order: a resource's dependencies come before it
        if doomed & set(resource.dependencies):
            doomed.add(urn)
    return doomed


def _create(resource: Resource) -> Run | Copy | None:
    if resource.type == COPY:
        return Copy(resource.connection, resource.inputs["remotePath"], resource.inputs["source"])
    return _run(resource, "create")


def _update(old: Resource, new: Resource) -> Run | Copy | None:
    if new.type == COPY:
        changed = (old.inputs["source"], old.inputs["remotePath"]) != (new.inputs["source"], new.inputs["remotePath"])
        return _create(new) if changed else None
    return _run(new, "update") or _run(new, "create")


def _delete(resource: Resource) -> Run | None:
    return _run(resource, "delete") if resource.type == COMMAND else None


def _run(resource: Resource, which: str) -> Run | None:
    command = resource.inputs.get(which)
    if command is None:
        return None
    quiet = resource.inputs.get("logging") == "none"
    return Run(resource.connection, command, quiet)


def _resource(r: Registration, translated: set[str]) -> Resource:
    inputs = dict(r.inputs)
    raw = inputs.pop("connection", None)
    if raw is None:
        raise UntranslatedInput(f"{r.name} ({r.type}): no connection")
    untranslated = sorted(set(inputs) - translated)
    if untranslated:
        raise UntranslatedInput(
            f"{r.name} ({r.type}): inputs {untranslated} have no translation: add them to runner/ssh_calls.py"
        )
    return Resource(r.urn, r.type, _connection(r, raw), inputs, tuple(r.dependencies))


def _connection(r: Registration, raw: dict[str, Any]) -> Connection:
    untranslated = sorted(set(raw) - {"host", "port", "user", "privateKey", "dialErrorLimit", "perDialTimeout"})
    if untranslated:
        raise UntranslatedInput(
            f"{r.name}: connection {untranslated} have no translation: add them to runner/ssh_calls.py"
        )
    return Connection(
        host=str(raw["host"]),
        port=int(raw.get("port", 22)),
        user=str(raw.get("user", "root")),
        private_key=raw["privateKey"],
        dial_attempts=int(raw.get("dialErrorLimit", 10)),
        dial_timeout_s=float(raw.get("perDialTimeout", 15)),
    )


def _text(r: Registration) -> str:
    source = r.inputs["source"]
    text = getattr(source, "text", None)
    if not isinstance(text, str):
        raise UntranslatedInput(f"{r.name}: source {type(source).__name__} (only a text asset has a translation)")
    return text
