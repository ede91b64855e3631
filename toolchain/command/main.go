// Command pulumi-resource-command is this project's stand-in for pulumi-command's provider v1.2.1.
//
// The Go module proxy this project builds from serves pulumi-command's releases but not its provider
// module (github.com/pulumi/pulumi-command/provider has no tags, and no pseudo-version of v1.2.1's
// commit is served), so the real binary cannot be built here. This one is as thin as the real one and
// built on the same library (pulumi-go-provider's infer, which derives the schema, the diff and the
// secrecy from the same field tags): `command:remote:Command` and `command:remote:CopyToRemote`, the two
// resources the program uses, with the real provider's inputs, outputs, dial retries, logging and
// errors. It leaves out `command:local:*`, `remote:CopyFile`, the `run` function and the proxy (bastion)
// connection.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/ha-udp-lb/toolchain/command/remote"
)

// The release whose schema and behaviour this stands in for; the Python SDK asks for exactly it.
const version = "1.2.1"

func main() {
	provider := infer.Provider(infer.Options{
		Resources: []infer.InferredResource{
			infer.Resource(&remote.Command{}),
			infer.Resource(&remote.CopyToRemote{}),
		},
	})
	if err := provider.Run(context.Background(), "command", version); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s", err)
		os.Exit(1)
	}
}
