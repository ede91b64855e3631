"""The docker stack's recorded registrations as Docker CLI calls, one-to-one (pure: no I/O).

This is what `pulumi up --stack dev` asks of the Docker provider, said the way a reader can check it
against the provider's documentation: `docker:index/network` is `docker network create`,
`docker:index/image` is `docker build`, `docker:index/container` is `docker create`, then its uploads
copied in, then `docker start` (the provider uploads before it starts). Every recorded input has its
flag here; an input without one is an error, so the translation cannot silently drift from the program.

Two things the check adds, both outside what the program declares: a label on what it creates (so it
removes only its own), and `--network host` for the build (the builder's apt reaches the mirror the
host does; a Docker network here has no route out)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .recorder import Recording, Registration

NETWORK = "docker:index/network:Network"
IMAGE = "docker:index/image:Image"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
CONTAINER = "docker:index/container:Container"
TRANSLATED = {NETWORK, IMAGE, REMOTE_IMAGE, CONTAINER}
CHECK_LABEL = "ha-udp-lb.check"
"""On every network and container the check creates: `down` removes what carries it and nothing else."""


class UntranslatedInput(ValueError):
    pass


@dataclass(frozen=True)
class Upload:
    path: str
    content: str
    mode: int


@dataclass(frozen=True)
class ContainerCalls:
    name: str
    create: list[str]
    """`docker create …` (arguments after `docker`)."""
    uploads: list[Upload]
    """Copied in before `docker start`."""


@dataclass(frozen=True)
class DockerPlan:
    networks: list[list[str]]
    builds: list[list[str]]
    containers: list[ContainerCalls]
    left_out: list[str]
    """Registrations not translated, each with why: images only a registry has, and their containers."""


def plan(recording: Recording, stack: str, sysctls: bool = True) -> DockerPlan:
    """Every docker registration of `recording`, in program order. `sysctls` False: the containers as
    if the program gave them none (the kernel's defaults), which is how the ARP check is shown to
    catch the bug the sysctls fix."""
    label = ["--label", f"{CHECK_LABEL}={stack}"]
    built = {str(r.inputs["imageName"]) for r in recording.of_type(IMAGE)}
    networks = [network_create(r, label) for r in recording.of_type(NETWORK)]
    builds = [image_build(r) for r in recording.of_type(IMAGE)]
    containers, left_out = [], []
    for r in recording.of_type(REMOTE_IMAGE):
        left_out.append(f"{r.name}: {r.inputs['name']} comes from a registry (none is reachable from the check)")
    for r in recording.of_type(CONTAINER):
        if r.inputs["image"] not in built:
            left_out.append(f"{r.name}: runs a registry image; the check's recording collectors take its address")
            continue
        containers.append(container_calls(r, label, sysctls))
    unknown = {r.type for r in recording.registrations if r.type.startswith("docker:")} - TRANSLATED
    if unknown:
        raise UntranslatedInput(f"no translation for {sorted(unknown)}: add it to runner/docker_calls.py")
    return DockerPlan(networks=networks, builds=builds, containers=containers, left_out=left_out)


def network_create(r: Registration, extra: list[str]) -> list[str]:
    inputs = _known(r, {"name", "driver", "ipamConfigs"})
    argv = ["network", "create", *extra, "--driver", inputs.get("driver", "bridge")]
    for ipam in inputs.get("ipamConfigs", []):
        argv += ["--subnet", ipam["subnet"]]
        if "gateway" in ipam:
            argv += ["--gateway", ipam["gateway"]]
    return [*argv, inputs["name"]]


def image_build(r: Registration) -> list[str]:
    inputs = _known(r, {"imageName", "build", "skipPush", "buildOnPreview"})
    build = inputs["build"]
    return ["build", "--network", "host", "-t", inputs["imageName"], "-f", build["dockerfile"], build["context"]]


def container_calls(r: Registration, extra: list[str], sysctls: bool = True) -> ContainerCalls:
    inputs = _known(
        r,
        {
            "name",
            "hostname",
            "image",
            "capabilities",
            "networksAdvanced",
            "command",
            "uploads",
            "sysctls",
            "restart",
            "stopSignal",
            "stopTimeout",
            "tmpfs",
            "devices",
        },
    )
    argv = ["create", "--name", inputs["name"], *extra]
    if "hostname" in inputs:
        argv += ["--hostname", inputs["hostname"]]
    for capability in inputs.get("capabilities", {}).get("adds", []):
        argv += ["--cap-add", capability]
    for capability in inputs.get("capabilities", {}).get("drops", []):
        argv += ["--cap-drop", capability]
    networks = inputs.get("networksAdvanced", [])
    if len(networks) > 1:
        raise UntranslatedInput(f"{r.name}: more than one network (the check creates containers on one)")
    for network in networks:
        argv += ["--network", network["name"]]
        if "ipv4Address" in network:
            argv += ["--ip", network["ipv4Address"]]
    for key, value in sorted(inputs.get("sysctls", {}).items() if sysctls else ()):
        argv += ["--sysctl", f"{key}={value}"]
    for device in inputs.get("devices", []):
        argv += ["--device", f"{device['hostPath']}:{device.get('containerPath', device['hostPath'])}"]
    for path, options in sorted(inputs.get("tmpfs", {}).items()):
        argv += ["--tmpfs", f"{path}:{options}" if options else path]
    if "restart" in inputs:
        argv += ["--restart", inputs["restart"]]
    if "stopSignal" in inputs:
        argv += ["--stop-signal", inputs["stopSignal"]]
    if "stopTimeout" in inputs:
        argv += ["--stop-timeout", str(int(inputs["stopTimeout"]))]
    uploads = [Upload(u["file"], u["content"], int(u["permissions"], 8)) for u in inputs.get("uploads", [])]
    return ContainerCalls(
        name=inputs["name"], create=[*argv, inputs["image"], *inputs.get("command", [])], uploads=uploads
    )


def _known(r: Registration, translated: set[str]) -> dict[str, Any]:
    untranslated = sorted(set(r.inputs) - translated)
    if untranslated:
        raise UntranslatedInput(
            f"{r.name} ({r.type}): inputs {untranslated} have no translation: add them to runner/docker_calls.py"
        )
    return r.inputs
