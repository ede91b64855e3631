"""The images the check runs: the Dockerfile's base made offline when the engine lacks it (no registry
is reachable here), then the program's build."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from .engine import DockerError, docker

BASES = {"debian:12-slim": "bookworm"}
"""Base images the check can make itself: Debian's own packages, from the host's mirror."""


def build(argv: list[str]) -> None:
    """`docker build …` as the plan says, after making its base if the engine lacks it."""
    dockerfile = Path(argv[argv.index("-f") + 1])
    ensure_base(base_of(dockerfile))
    docker(*argv)


def base_of(dockerfile: Path) -> str:
    froms = [line.split()[1] for line in dockerfile.read_text().splitlines() if line.upper().startswith("FROM ")]
    if len(froms) != 1:
        raise DockerError(f"{dockerfile}: expected one FROM line, found {len(froms)}")
    return froms[0]


def ensure_base(image: str) -> None:
    with contextlib.suppress(DockerError):  # not there yet: made below
        docker("image", "inspect", image)
        return
    if image not in BASES:
        raise DockerError(
            f"the engine has no {image} and no registry is reachable; the check can make only {list(BASES)}"
        )
    # A minimal Debian with apt, from the host's own mirror (~20 s), imported as the tag the Dockerfile names.
    strap = subprocess.Popen(
        ["mmdebstrap", "--variant=apt", "--quiet", BASES[image], "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert strap.stdout is not None
    imported = subprocess.run(["docker", "import", "-", image], stdin=strap.stdout, capture_output=True, check=False)
    strap.stdout.close()
    errors = strap.stderr.read().decode() if strap.stderr else ""
    if strap.wait() != 0 or imported.returncode != 0:
        raise DockerError(f"making {image} with mmdebstrap failed:\n{errors[-1500:]}{imported.stderr.decode()[-500:]}")
