"""Carry out what runner.ssh_calls plans on real hosts over SSH and SFTP (paramiko), keeping the state
between program runs as the Pulumi engine would: `up` after `up` runs only what changed, `destroy`
runs every delete. What a quiet command prints (logging: none) is shown to nobody."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paramiko

from .recorder import Recording
from .ssh_calls import Connection, Copy, Run, State, Step, plan, resources, with_dependents

COMMAND_TIMEOUT_S = 900
"""A step that takes longer is stuck (the install step, from a slow mirror, takes about a minute)."""
KEY_TYPES: tuple[type[paramiko.PKey], ...] = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


class StepFailed(RuntimeError):
    pass


@dataclass
class SshStack:
    """One stack's hosts and what the engine's state would say of them."""

    state: State = field(default_factory=dict)
    say: Callable[[str], None] = lambda line: None

    def up(self, recording: Recording) -> list[Step]:
        """`pulumi up` with the program's new registrations; the steps that ran."""
        return self._carry_out(resources(recording))

    def destroy(self, targets: set[str] | None = None) -> list[Step]:
        """`pulumi destroy`; with `targets` (URNs), `pulumi destroy --target … --target-dependents`:
        those and everything that depends on them."""
        if targets is None:
            return self._carry_out({})
        doomed = with_dependents(self.state, targets)
        return self._carry_out({urn: r for urn, r in self.state.items() if urn not in doomed})

    def _carry_out(self, current: State) -> list[Step]:
        steps, after = plan(self.state, current)
        with _Sessions() as sessions:
            for step in steps:
                self.say(f"{step.verb} {step.resource.name}")
                if step.operation is not None:
                    _perform(sessions, step)
                # As the engine does: what succeeded is in the state even if a later step fails.
                if step.verb == "delete":
                    if self.state.get(step.resource.urn) == step.resource:
                        del self.state[step.resource.urn]
                else:
                    self.state[step.resource.urn] = step.resource
        self.state = after
        return steps


def _perform(sessions: _Sessions, step: Step) -> None:
    operation = step.operation
    client = sessions.client(operation.connection)  # type: ignore[union-attr]
    if isinstance(operation, Copy):
        _copy(client, operation)
        return
    assert isinstance(operation, Run)
    code, out, err = _run(client, operation.command)
    if code != 0:
        said = "(its output is not shown: logging none)" if operation.quiet else f"{out[-3000:]}{err[-3000:]}"
        raise StepFailed(f"{step.verb} {step.resource.name} on {operation.connection.host}: exit {code}\n{said}")


def _run(client: paramiko.SSHClient, command: str) -> tuple[int, str, str]:
    _stdin, stdout, stderr = client.exec_command(command, timeout=COMMAND_TIMEOUT_S)
    out, err = stdout.read().decode(errors="replace"), stderr.read().decode(errors="replace")
    return stdout.channel.recv_exit_status(), out, err


def _copy(client: paramiko.SSHClient, copy: Copy) -> None:
    with client.open_sftp() as sftp:
        _make_parents(sftp, copy.path)
        with sftp.open(copy.path, "w") as remote:
            remote.write(copy.content.encode())


def _make_parents(sftp: paramiko.SFTPClient, path: str) -> None:
    parts = path.strip("/").split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        directory = "/" + "/".join(parts[:depth])
        try:
            sftp.stat(directory)
        except FileNotFoundError:
            sftp.mkdir(directory)


class _Sessions:
    """One SSH connection per host for a run (the provider dials per step; the host sees the same)."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, int, str], paramiko.SSHClient] = {}

    def __enter__(self) -> _Sessions:
        return self

    def __exit__(self, *exc: object) -> None:
        for client in self._clients.values():
            client.close()

    def client(self, connection: Connection) -> paramiko.SSHClient:
        key = (connection.host, connection.port, connection.user)
        if key not in self._clients:
            self._clients[key] = _dial(connection)
        return self._clients[key]


def _dial(connection: Connection) -> paramiko.SSHClient:
    """With the provider's retries: up to `dial_attempts` failed dials, backing off."""
    for attempt in range(1, connection.dial_attempts + 1):
        client = paramiko.SSHClient()
        # The provider checks no host key unless given one (`hostKey`, which the program does not set).
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(
                connection.host,
                port=connection.port,
                username=connection.user,
                pkey=_key(connection.private_key),
                timeout=connection.dial_timeout_s,
                allow_agent=False,
                look_for_keys=False,
            )
            return client
        except (OSError, paramiko.SSHException) as error:
            client.close()
            if attempt == connection.dial_attempts:
                where = f"{connection.user}@{connection.host}:{connection.port}"
                raise StepFailed(f"cannot reach {where}: {error}") from error
            time.sleep(min(0.5 * attempt, 3))
    raise AssertionError("unreachable")


def _key(text: str) -> paramiko.PKey:
    for key_type in KEY_TYPES:
        try:
            return key_type.from_private_key(io.StringIO(text))
        except paramiko.SSHException:
            continue
    raise StepFailed("sshPrivateKey is not an Ed25519, ECDSA or RSA private key paramiko can read")
