// Command pulumi-language-python is a thin stand-in for Pulumi's Python
// language host, the plugin the Pulumi engine starts to run a program whose
// Pulumi.yaml says `runtime: python`.
//
// It exists because the Go module proxy this project builds from serves the
// Pulumi CLI (github.com/pulumi/pulumi/pkg/v3) and the Go SDK
// (github.com/pulumi/pulumi/sdk/v3), but no version at all of the real host's
// module (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3),
// so the real host cannot be built here. This one is our own, smaller code
// written against the served SDK's gRPC interface.
//
// It does what `pulumi preview/up/destroy` need from a language host:
// Handshake, GetPluginInfo, GetRequiredPlugins/GetRequiredPackages (both
// empty), InstallDependencies (reports only), About, GetProgramDependencies,
// Cancel, and Run, which runs the program through the
// `pulumi-language-python-exec` script that ships in the sdk/v3 module and
// must sit next to this binary (the build script copies it there).
//
// What it leaves out, compared with the real host:
//   - no dependency discovery: GetRequiredPackages returns nothing instead of
//     reading pulumi-plugin.json files from the virtualenv, so the engine
//     loads provider plugins on demand when resources are registered;
//   - no dependency installation and no virtualenv creation: the project's own
//     setup creates ./venv;
//   - no Python version check, no debugger attach (RunRequest.AttachDebugger
//     is refused), no OpenTelemetry spans or TRACEPARENT hand-off;
//   - no RunPlugin (Python policy packs and providers), Pack, Link, Template,
//     RuntimeOptionsPrompts or code generation (GenerateProject, GenerateProgram,
//     GeneratePackage): they answer Unimplemented.
//
// The files in this directory: main.go (flags, serving), host.go (the small
// RPCs), run.go (Run: interpreter, arguments, environment, exit status).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// execScriptName is the Python shim that connects to the engine and runs the
// program; it is looked for next to this binary.
const execScriptName = "pulumi-language-python-exec"

// fallbackVersion is reported when the binary carries no module build info.
const fallbackVersion = "3.276.0"

// options is what the engine tells us on the command line.
type options struct {
	tracing       string
	executor      string
	logToStderr   bool
	verbose       int
	showVersion   bool
	engineAddress string
	ignored       []string // unknown flags, logged once logging is set up
}

// parseArgs reads the command line the engine builds for a language plugin:
// optional `--logtostderr`, `-v=N` and `--tracing ENDPOINT`, then the engine's
// gRPC address as the last positional argument. Flags other hosts or older
// engines pass (-root, -virtualenv, ...) are accepted and ignored, and flags
// we do not know are dropped with a log line, so the host never fails to
// start over a flag.
func parseArgs(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("pulumi-language-python", flag.ContinueOnError)
	fs.StringVar(&o.tracing, "tracing", "", "Zipkin-compatible tracing endpoint, passed on to the program")
	fs.StringVar(&o.executor, "use-executor", "", "run this exec script instead of the one next to the binary")
	fs.BoolVar(&o.logToStderr, "logtostderr", false, "write logs to stderr")
	fs.IntVar(&o.verbose, "v", 0, "log verbosity")
	fs.BoolVar(&o.showVersion, "version", false, "print the plugin version and exit")
	for _, name := range []string{"root", "virtualenv", "toolchain", "typechecker", "binary", "buildTarget"} {
		fs.String(name, "", "accepted and ignored")
	}
	fs.Bool("logflow", false, "accepted and ignored")

	var kept []string
	for _, a := range args {
		if len(a) > 1 && a[0] == '-' && a != "--" {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if fs.Lookup(name) == nil {
				o.ignored = append(o.ignored, a)
				continue
			}
		}
		kept = append(kept, a)
	}

	// Parse flags wherever they stand, collecting positional arguments.
	var positional []string
	for rest := kept; ; {
		if err := fs.Parse(rest); err != nil {
			return o, err
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
	}
	if n := len(positional); n > 0 {
		o.engineAddress = positional[n-1]
	}
	return o, nil
}

// pluginVersion is the version of the served sdk/v3 module this binary was
// built from, so it stays in step with go.mod.
func pluginVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/pulumi/pulumi/sdk/v3" {
				return strings.TrimPrefix(m.Version, "v")
			}
		}
	}
	return fallbackVersion
}

// findExecScript returns the exec script next to this binary (following a
// symlink to the binary if needed).
func findExecScript() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("could not determine current executable: %w", err)
	}
	candidates := []string{filepath.Join(filepath.Dir(self), execScriptName)}
	if real, err := filepath.EvalSymlinks(self); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(real), execScriptName))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("missing executor %s: copy python/cmd/%s from the github.com/pulumi/pulumi/sdk/v3 "+
		"module next to this binary", candidates[0], execScriptName)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
	os.Exit(1)
}

func main() {
	opts, err := parseArgs(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fail(err)
	}
	if opts.showVersion {
		fmt.Println(pluginVersion())
		return
	}
	logging.InitLogging(opts.logToStderr, opts.verbose, false)
	for _, a := range opts.ignored {
		logging.V(3).Infof("ignoring unknown flag %q", a)
	}

	execScript := opts.executor
	if execScript == "" {
		if execScript, err = findExecScript(); err != nil {
			fail(err)
		}
	}
	logging.V(3).Infof("language host using executor %s", execScript)

	// Stop serving on Ctrl-C or when the engine stops answering health checks.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cancelServe := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelServe)
	}()

	h := newHost(execScript, opts.tracing, stop)
	if opts.engineAddress != "" {
		if err := h.watchEngine(opts.engineAddress); err != nil {
			fail(fmt.Errorf("could not start health check of the engine: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelServe,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fail(fmt.Errorf("could not start language host RPC server: %w", err))
	}

	// The engine reads the port from the first line of our stdout.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		fail(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}
