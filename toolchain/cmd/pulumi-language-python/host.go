package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/protobuf/types/known/emptypb"
)

// host serves the LanguageRuntime service. Run lives in run.go; the rest of
// the RPCs, which answer from what the engine tells us without running much,
// are here.
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	execScript string // path of pulumi-language-python-exec
	tracing    string // --tracing endpoint, passed on to the program

	// shutdown stops serving; called when the engine goes away.
	shutdown context.CancelFunc

	// runCtx is cancelled by the Cancel RPC (or shutdown) to interrupt a
	// running program.
	runCtx    context.Context
	cancelRun context.CancelFunc

	mu            sync.Mutex
	engineAddress string
	rootDir       string // from Handshake, used when a request carries no ProgramInfo
	programDir    string
	watched       map[string]bool // engine addresses under health check
}

func newHost(execScript, tracing string, shutdown context.CancelFunc) *host {
	ctx, cancel := context.WithCancel(context.Background())
	return &host{
		execScript: execScript,
		tracing:    tracing,
		shutdown:   shutdown,
		runCtx:     ctx,
		cancelRun:  cancel,
		watched:    map[string]bool{},
	}
}

// watchEngine records the engine's address and polls its health every five
// minutes, as the real host does; when the engine stops answering, any running
// program is interrupted and the server stops, so no host outlives its engine.
func (h *host) watchEngine(addr string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.engineAddress = addr
	if h.watched[addr] {
		return nil
	}
	err := rpcutil.Healthcheck(context.Background(), addr, 5*time.Minute, func() {
		logging.V(3).Infof("engine at %s is gone; shutting down", addr)
		h.cancelRun()
		h.shutdown()
	})
	if err == nil {
		h.watched[addr] = true
	}
	return err
}

func (h *host) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// Handshake records the engine address and, when sent, the root and program
// directories.
func (h *host) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if err := h.watchEngine(req.GetEngineAddress()); err != nil {
		return nil, fmt.Errorf("could not start health check of the engine: %w", err)
	}
	h.mu.Lock()
	h.rootDir = req.GetRootDirectory()
	h.programDir = req.GetProgramDirectory()
	h.mu.Unlock()
	logging.V(5).Infof("Handshake: engine=%s root=%q program=%q",
		req.GetEngineAddress(), req.GetRootDirectory(), req.GetProgramDirectory())
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// GetPluginInfo reports the SDK version this host was built from.
func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: pluginVersion()}, nil
}

// GetRequiredPlugins returns an empty list: the engine then loads each
// provider on demand when the program registers a resource of it, and this
// project's provider binaries are on PATH (automatic plugin download is off).
func (h *host) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

// GetRequiredPackages returns an empty list, for the same reason as
// GetRequiredPlugins; the real host reads pulumi-plugin.json files of the
// packages installed in the virtualenv.
func (h *host) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// InstallDependencies installs nothing: the project's own setup creates and
// fills ./venv. It only says so, and checks that the virtualenv is there.
func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	msg := "pulumi-language-python (stand-in): not installing dependencies; " +
		"the project's setup creates the virtualenv.\n"
	if req.GetInfo() != nil {
		if py, err := h.pythonOptions(req.GetInfo()); err != nil {
			return err
		} else if tc, err := toolchain.ResolveToolchain(py); err != nil {
			return err
		} else if err := tc.ValidateVenv(server.Context()); err != nil {
			return err
		}
	}
	return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
}

// About reports the interpreter the program would run with.
func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	py := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	if req.GetInfo() != nil {
		var err error
		if py, err = h.pythonOptions(req.GetInfo()); err != nil {
			return nil, err
		}
	}
	tc, err := toolchain.ResolveToolchain(py)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: info.PythonExecutable,
		Version:    info.PythonVersion.String(),
		Metadata: map[string]string{
			"toolchain":        toolchain.Name(py.Toolchain),
			"toolchainVersion": info.ToolchainVersion.String(),
			"typechecker":      toolchain.TypeCheckerName(py.Typechecker),
		},
	}, nil
}

// GetProgramDependencies lists the packages installed in the virtualenv.
func (h *host) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	py, err := h.pythonOptions(req.GetInfo())
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(py)
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("failed to get python dependencies: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(pkgs))
	for _, p := range pkgs {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// Cancel interrupts a running program (SIGINT, then a kill after a grace
// period; see Run).
func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancelRun()
	return &emptypb.Empty{}, nil
}
