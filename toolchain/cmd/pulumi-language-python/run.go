package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

// exitAfterUserMessage is the exit code the exec script uses when it has
// already reported the program's error to the engine; Run then answers Bail
// so the engine prints nothing more.
const exitAfterUserMessage = 32

// pythonOptions turns the runtime options of Pulumi.yaml
// (`runtime: {name: python, options: {virtualenv, toolchain, typechecker}}`)
// into the SDK toolchain's options. Without program info it falls back to the
// directories from Handshake.
func (h *host) pythonOptions(info *pulumirpc.ProgramInfo) (toolchain.PythonOptions, error) {
	py := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	if info == nil {
		h.mu.Lock()
		py.Root, py.ProgramDir = h.rootDir, h.programDir
		h.mu.Unlock()
	}
	str := func(key string) (string, error) {
		v, ok := info.GetOptions().AsMap()[key]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%s option must be a string", key)
		}
		return s, nil
	}

	var err error
	if py.Virtualenv, err = str("virtualenv"); err != nil {
		return py, err
	}
	tc, err := str("toolchain")
	if err != nil {
		return py, err
	}
	switch tc {
	case "":
	case "pip":
		py.Toolchain = toolchain.Pip
	case "poetry":
		py.Toolchain = toolchain.Poetry
	case "uv":
		py.Toolchain = toolchain.Uv
	default:
		return py, fmt.Errorf("unsupported toolchain option: %s", tc)
	}
	checker, err := str("typechecker")
	if err != nil {
		return py, err
	}
	switch checker {
	case "":
	case "mypy":
		py.Typechecker = toolchain.TypeCheckerMypy
	case "pyright":
		py.Typechecker = toolchain.TypeCheckerPyright
	default:
		return py, fmt.Errorf("unsupported typechecker option: %s", checker)
	}
	return py, nil
}

// execArguments builds the exec script's command line, in the order the real
// host uses: flags for the settings the program's pulumi.runtime needs, the
// entry point (a file, or "." for the program directory's __main__.py), then
// the program's own arguments.
func (h *host) execArguments(req *pulumirpc.RunRequest, entryPoint string) []string {
	var args []string
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine())
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	add("organization", req.GetOrganization())
	args = append(args, entryPoint)
	return append(args, req.GetArgs()...)
}

// configEnv returns the PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS variables
// the exec script reads (through pulumi.runtime.get_config_env and
// get_config_secret_keys_env) to fill the program's pulumi.Config.
func configEnv(req *pulumirpc.RunRequest) ([]string, error) {
	var env []string
	if cfg := req.GetConfig(); cfg != nil {
		b, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		env = append(env, "PULUMI_CONFIG="+string(b))
	}
	keys := req.GetConfigSecretKeys()
	if keys == nil {
		keys = []string{}
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
	}
	return append(env, "PULUMI_CONFIG_SECRET_KEYS="+string(b)), nil
}

// typecheck runs the typechecker named in Pulumi.yaml over the program
// directory before the program runs, as the real host does; a failure stops
// the run with the checker's output.
func typecheck(ctx context.Context, tc toolchain.Toolchain, py toolchain.PythonOptions, dir string) error {
	var name string
	args := []string{}
	switch py.Typechecker {
	case toolchain.TypeCheckerMypy:
		name = "mypy"
		venv, err := tc.VirtualEnvPath(ctx)
		if err != nil {
			return err
		}
		if venv != "" {
			rel, err := filepath.Rel(dir, venv)
			if err != nil {
				return err
			}
			args = append(args, "--exclude", rel)
		}
	case toolchain.TypeCheckerPyright:
		name = "pyright"
	default:
		return nil
	}
	cmd, err := tc.ModuleCommand(ctx, name, append(args, dir)...)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(os.Stdout, &out)
	cmd.Stderr = io.MultiWriter(os.Stderr, &out)
	if err := cmd.Run(); err != nil {
		if s := strings.TrimSpace(out.String()); s != "" {
			return fmt.Errorf("%s failed: %w\n%s", name, err, s)
		}
		return fmt.Errorf("%s failed: %w", name, err)
	}
	return nil
}

// Run runs the program: `<venv>/bin/python -u pulumi-language-python-exec
// <flags> <entry point> <args>` in the program directory, with the program's
// config in the environment and its output on our stdout/stderr, which the
// engine shows.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if h.engine() == "" {
		return nil, errors.New("no engine address: the engine must pass it on the command line or call Handshake")
	}
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "this pulumi-language-python stand-in cannot attach a debugger"}, nil
	}

	info := req.GetInfo()
	entryPoint, dir := info.GetEntryPoint(), info.GetProgramDirectory()
	if info == nil { // an engine older than ProgramInfo
		entryPoint, dir = req.GetProgram(), req.GetPwd()
	}
	if entryPoint == "" {
		entryPoint = "."
	}

	py, err := h.pythonOptions(info)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(py)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	env, err := configEnv(req)
	if err != nil {
		return nil, err
	}
	if err := typecheck(ctx, tc, py, dir); err != nil {
		return nil, err
	}

	// The program stops when Cancel is called or the engine drops the request.
	runCtx, stop := context.WithCancel(h.runCtx)
	defer stop()
	context.AfterFunc(ctx, stop)

	args := append([]string{h.execScript}, h.execArguments(req, entryPoint)...)
	cmd, err := tc.Command(runCtx, args...)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// On cancel, let the program stop on SIGINT; kill it 5s later if it has not.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	logging.V(5).Infof("Run: %s %s (in %s)", cmd.Path, strings.Join(args, " "), dir)

	err = cmd.Run()
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}

	// Push out whatever the program printed before it failed, so the engine
	// shows it together with the error.
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()

	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
		}, nil
	}
	status, ok := exitErr.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		err = fmt.Errorf("program exited unexpectedly: %w", exitErr)
	case status.Signaled():
		err = fmt.Errorf("program was stopped by signal: %v", status.Signal())
	case status.ExitStatus() == exitAfterUserMessage:
		// The exec script already reported the error (traceback included).
		return &pulumirpc.RunResponse{Bail: true}, nil
	case status.ExitStatus() == 0:
		err = fmt.Errorf("program exited unexpectedly: %w", exitErr)
	default:
		err = fmt.Errorf("program exited with non-zero exit code: %d", status.ExitStatus())
	}
	return &pulumirpc.RunResponse{Error: err.Error()}, nil
}
