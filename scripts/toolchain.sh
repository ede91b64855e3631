#!/usr/bin/env bash
# The Pulumi toolchain the tests drive, pinned, into toolchain/bin: the CLI (the engine) built from the
# Go module proxy, and this project's stand-ins for the two plugins the proxy does not serve (the Python
# language host and pulumi-command's provider; toolchain/README.md says why and what they leave out).
# Built once per pin (about 6 minutes on 2 cores, the first time); after that it takes well under a second.
# A user's own `pulumi` is never replaced: this goes to toolchain/bin only, which the tests put first on PATH.
set -euo pipefail
cd "$(dirname "$0")/../toolchain"

go=$(command -v go || echo /usr/local/go/bin/go)
if [ ! -x "$go" ]; then
    echo "toolchain: Go 1.26 or newer is needed to build the pinned Pulumi CLI (none on PATH or in /usr/local/go)" >&2
    exit 1
fi
cli_version=$(sed -n 's|^\tgithub.com/pulumi/pulumi/pkg/v3 \(v[0-9.]*\).*|\1|p' go.mod)
stamp=bin/.built-$(cat ../scripts/toolchain.sh go.mod go.sum command/go.mod command/go.sum \
    $(find cmd command -name '*.go' | sort) | sha256sum | cut -c1-16)
if [ -e "$stamp" ]; then
    exit 0
fi
echo "toolchain: building the Pulumi CLI $cli_version and its plugins into toolchain/bin (once per pin)"
rm -rf bin && mkdir -p bin
strip=(-trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version")
"$go" build "${strip[@]}" -o bin/pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
"$go" build -trimpath -ldflags "-s -w" -o bin/pulumi-language-python ./cmd/pulumi-language-python
# The language host runs the program through the SDK's own exec script, which ships in the sdk module.
sdk=$("$go" list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 755 "$sdk/python/cmd/pulumi-language-python-exec" bin/
(cd command && "$go" build -trimpath -ldflags "-s -w" -o ../bin/pulumi-resource-command .)
# The pull-request workflow is checked by the linter GitHub Actions users run.
GOBIN=$PWD/bin "$go" install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
touch "$stamp"
