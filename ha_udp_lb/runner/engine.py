"""The real Pulumi engine driving this program: the CLI in a workspace of its own (its own PULUMI_HOME,
a local file backend, a passphrase secrets provider), run exactly as a user types it — `pulumi stack
init`, `pulumi config set --secret`, `pulumi preview`, `pulumi up`, `pulumi destroy` — and the steps it
took read back from its JSON output. No network: the CLI and the language host come from `toolchain/bin`
(first on PATH), the command provider is installed from there with `pulumi plugin install --file`.

The workspace is a copy of the project file pointing at this checkout's program and venv, with its own
`stacks/`: the engine writes a stack's encryption salt and encrypted secrets there, never into the
repository's stack files."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ha_udp_lb.core.project import PROJECT, REPO

TOOLCHAIN = REPO / "toolchain" / "bin"
"""Where `make setup` builds the pinned CLI and its plugins (scripts/toolchain.sh)."""
STACK_REFERENCE = "pulumi:pulumi:StackReference"
"""The one resource the program reads rather than manages: its own stack's last outputs."""
COMMAND_PROVIDER = "1.2.1"
"""The pulumi-command release whose provider the Python SDK (pyproject.toml) asks for."""
RAN = {"create", "update", "create-replacement", "delete", "delete-replaced"}
"""The engine's step kinds that call the provider (`same` calls nothing; `replace` only marks where a
replacement's old resource gives way to its new one)."""


class EngineFailed(RuntimeError):
    """A CLI command exited non-zero; the message carries the end of what it printed."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class Step:
    """One step the engine took, from its JSON output."""

    op: str
    urn: str
    type: str

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[1]


@dataclass(frozen=True)
class Result:
    steps: list[Step]
    output: str
    """Everything the CLI printed (stdout and stderr)."""
    failed: bool = False
    """The command exited non-zero (only when asked not to raise)."""

    def errors(self) -> list[str]:
        """The engine's error diagnostics (a failed step's own error among them)."""
        return list(_errors(self.output))

    def ran(self) -> list[str]:
        """`op name` of every step that called a provider, in the order the engine started them (the
        program's own components call none)."""
        return [f"{s.op} {s.name}" for s in self.steps if s.op in RAN and not s.type.startswith(f"{PROJECT}:")]


class Workspace:
    """A Pulumi workspace under `home` for one or more stacks of this project."""

    def __init__(self, home: Path, parallel: int | None = None) -> None:
        self.home = home
        self.project = home / "project"
        self.passphrase = secrets.token_hex(16)
        self.parallel = parallel
        self.environment: dict[str, str] = {}
        """Set for the program besides the engine's own (PYTHONPATH for a package installed elsewhere)."""
        (self.project / "stacks").mkdir(parents=True, exist_ok=True)
        (home / "state").mkdir(exist_ok=True)
        (home / "pulumi-home").mkdir(exist_ok=True)
        self.use_program(REPO)
        self.pulumi("login", f"file://{home / 'state'}")
        # Installed as `pulumi plugin install` does, so the engine loads it by the version the SDK asks for.
        provider = TOOLCHAIN / "pulumi-resource-command"
        self.pulumi("plugin", "install", "resource", "command", COMMAND_PROVIDER, "--file", str(provider))

    def use_program(self, program: Path) -> None:
        """Run the program in `program` from now on: this checkout's by default, a variant of it, or
        another project's (with a Pulumi.yaml of its own: its name is its config keys' namespace)."""
        self.program = program
        own = program / "Pulumi.yaml"
        project = yaml.safe_load((own if own.exists() else REPO / "Pulumi.yaml").read_text())
        self.namespace = str(project["name"])
        project["main"] = str(program)
        project["runtime"]["options"]["virtualenv"] = str(REPO / "venv")
        project["stackConfigDir"] = "stacks"
        (self.project / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))

    def env(self) -> dict[str, str]:
        # A program outside the checkout imports it through the venv's editable install, which mypy (the
        # language host's typechecker) does not follow: it is told where the checkout is.
        outside = {} if self.program == REPO else {"MYPYPATH": str(REPO)}
        return {
            **outside,
            **os.environ,
            **self.environment,
            "PATH": f"{TOOLCHAIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PULUMI_HOME": str(self.home / "pulumi-home"),
            "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
            "NO_COLOR": "1",
        }

    def pulumi(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        """One CLI command in the project directory; its combined output (see `_run`)."""
        return self._run(*args, stdin=stdin, check=check)[1]

    def _run(self, *args: str, stdin: str | None = None, check: bool = True) -> tuple[int, str]:
        done = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.project,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        output = done.stdout + done.stderr
        if check and done.returncode != 0:
            said = "\n".join(_errors(output)) or output[-6000:]
            raise EngineFailed(f"pulumi {' '.join(args)}: exit {done.returncode}\n{said}", output)
        return done.returncode, output

    def init(self, stack: str, config: Mapping[str, Any], secret: Mapping[str, str] = {}) -> None:
        """`pulumi stack init`, the stack file written as a user keeps it, then each secret set with
        `pulumi config set --secret` (read from stdin, so never on a command line)."""
        self.pulumi("stack", "init", stack)
        self.configure(stack, config)
        for key, value in secret.items():
            self.pulumi("config", "set", "--secret", "--stack", stack, f"{self.namespace}:{key}", stdin=value)

    def configure(self, stack: str, config: Mapping[str, Any]) -> None:
        """Replace the stack file's plain keys with `config` (in the program's namespace, `ha-udp-lb:` for
        this project's), keeping its salt and secrets."""
        path = self.stack_file(stack)
        document = yaml.safe_load(path.read_text()) if path.exists() else None
        document = document or {}
        kept = {k: v for k, v in (document.get("config") or {}).items() if isinstance(v, dict) and "secure" in v}
        document["config"] = {**{f"{self.namespace}:{k}": v for k, v in config.items()}, **kept}
        path.write_text(yaml.safe_dump(document, sort_keys=False))

    def stack_file(self, stack: str) -> Path:
        return self.project / "stacks" / f"Pulumi.{stack}.yaml"

    def preview(self, stack: str, *flags: str) -> Result:
        return self._steps(stack, "preview", *flags)

    def up(self, stack: str, *flags: str, check: bool = True) -> Result:
        return self._steps(stack, "up", "--yes", "--skip-preview", *flags, check=check)

    def destroy(self, stack: str, *flags: str, check: bool = True) -> Result:
        return self._steps(stack, "destroy", "--yes", "--skip-preview", *flags, check=check)

    def state(self, stack: str) -> dict[str, Any]:
        """The stack's checkpoint exactly as the backend stores it (what `pulumi stack export` gives)."""
        return json.loads(self.pulumi("stack", "export", "--stack", stack))  # type: ignore[no-any-return]

    def outputs(self, stack: str) -> dict[str, Any]:
        return json.loads(self.pulumi("stack", "output", "--json", "--stack", stack))  # type: ignore[no-any-return]

    def _steps(self, stack: str, verb: str, *flags: str, check: bool = True) -> Result:
        parallel = ["--parallel", str(self.parallel)] if self.parallel else []
        code, output = self._run(verb, "--stack", stack, "--json", *parallel, *flags, check=check)
        return Result(list(_steps(output)), output, failed=code != 0)


def _errors(output: str) -> Iterable[str]:
    """The engine's error diagnostics in `--json` output (a failed step's own error among them): what a
    program's traceback after it, cut short by the engine, would push out of the message's tail."""
    for event in _json_events(output):
        for diagnostic in [event.get("diagnosticEvent") or {}, *event.get("diagnostics", [])]:
            if diagnostic.get("severity") == "error":
                yield str(diagnostic.get("message", "")).strip()


def _json_events(output: str) -> Iterable[dict[str, Any]]:
    """`preview --json`'s one document, or `up`/`destroy --json`'s stream of events, line by line."""
    try:
        document = json.loads(output)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict):
        yield document
        return
    for line in output.splitlines():
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def _steps(output: str) -> Iterable[Step]:
    for event in _json_events(output):
        for step in event.get("steps", []):
            state = step.get("newState") or step.get("oldState") or {}
            yield Step(step["op"], step["urn"], state.get("type", ""))
        pre = event.get("resourcePreEvent")
        if pre is not None:
            metadata = pre["metadata"]
            yield Step(metadata["op"], metadata["urn"], metadata["type"])
