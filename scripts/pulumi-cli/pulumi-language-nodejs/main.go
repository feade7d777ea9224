// Command pulumi-language-nodejs is a small Node.js language host for the Pulumi CLI.
//
// Why this exists: scripts/pulumi-cli.sh builds the Pulumi CLI from the Go module proxy, but
// the upstream language host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// is not served by the module proxy this project can reach. This host implements the part of the
// LanguageRuntime gRPC service that `pulumi preview/up/refresh/destroy` needs for a Node.js program:
// it starts `node <@pulumi/pulumi>/cmd/run ...` (the runner shipped in the npm package) with the
// engine's monitor address, project, stack and config, and reports the program's outcome.
//
// Everything else (code generation, `pulumi new` templating, plugin packs, dependency installs)
// is left unimplemented or is a no-op: the project installs its npm dependencies itself.
//
// Written for this project against the public LanguageRuntime protocol of
// github.com/pulumi/pulumi/sdk/v3 (proto/go); it needs only that module.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// exitCodeBail is the exit code @pulumi/pulumi's cmd/run uses after it has already reported the
// error to the engine (nodeJSProcessExitedAfterLoggingUserActionableMessage).
const exitCodeBail = 32

const sdkMissing = "It looks like the Pulumi SDK has not been installed: " +
	"no node_modules/@pulumi/pulumi/cmd/run was found above %s. Have you run npm install?"

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	nodeBin string
	tracing string
	// preload is fast-errors.cjs next to this binary (see scripts/pulumi-cli.sh), if there.
	preload string

	mu            sync.Mutex
	engineAddress string
	running       map[*exec.Cmd]struct{}
}

func main() {
	var engineAddress, tracing string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-tracing" || a == "--tracing":
			if i+1 < len(args) {
				tracing = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "-tracing=") || strings.HasPrefix(a, "--tracing="):
			tracing = a[strings.IndexByte(a, '=')+1:]
		case strings.HasPrefix(a, "-"):
			// Logging and other engine flags (-v=N, --logtostderr, -root=...): not needed here.
		default:
			engineAddress = a // the engine address is the last positional argument
		}
	}

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not find node on the PATH: %v\n", err)
		os.Exit(1)
	}

	h := &host{nodeBin: nodeBin, tracing: tracing, engineAddress: engineAddress, running: map[*exec.Cmd]struct{}{}}
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), "fast-errors.cjs"); fileExists(p) {
			h.preload = p
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the RPC server: %v\n", err)
		os.Exit(1)
	}

	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)

	// A host whose engine is gone (pulumi SIGKILLed) would otherwise run, with its program, forever.
	engineGone := make(chan string, 2)
	watchParent(engineGone)
	if engineAddress != "" {
		ctx, cancel := context.WithCancel(context.Background())
		if err := rpcutil.Healthcheck(ctx, engineAddress, engineCheckInterval, func() {
			engineGone <- "the Pulumi engine at " + engineAddress + " no longer answers"
		}); err != nil {
			cancel()
			fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not watch the engine at %s: %v\n", engineAddress, err)
			os.Exit(1)
		}
		defer cancel()
	}
	go func() {
		why := <-engineGone
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %s; stopping the program and exiting.\n", why)
		h.stopPrograms(programStopGrace)
		os.Exit(1)
	}()

	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: RPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

// How often the host checks that the engine that started it is still there. Pulumi's own hosts
// use rpcutil.Healthcheck every 5 minutes; a check is one local gRPC call, so a leftover host
// and its program are gone within seconds here, not minutes.
const engineCheckInterval = 2 * time.Second

// How long a program gets after SIGTERM, once the engine is gone, before SIGKILL.
const programStopGrace = 3 * time.Second

// watchParent reports when the process that started the host (the engine) has exited: the
// kernel then gives the host a new parent. This catches a SIGKILLed engine even when no engine
// address was passed.
func watchParent(gone chan<- string) {
	parent := os.Getppid()
	go func() {
		for {
			time.Sleep(time.Second)
			if now := os.Getppid(); now != parent {
				gone <- fmt.Sprintf("the Pulumi engine (pid %d) has exited", parent)
				return
			}
		}
	}()
}

// stopPrograms ends every running program: SIGTERM, then SIGKILL after the grace period.
func (h *host) stopPrograms(grace time.Duration) {
	h.mu.Lock()
	procs := make([]*os.Process, 0, len(h.running))
	for cmd := range h.running {
		if cmd.Process != nil {
			procs = append(procs, cmd.Process)
		}
	}
	h.mu.Unlock()
	for _, p := range procs {
		_ = p.Signal(syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for _, p := range procs {
		for time.Now().Before(deadline) && p.Signal(syscall.Signal(0)) == nil {
			time.Sleep(50 * time.Millisecond)
		}
		_ = p.Kill()
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if addr := req.GetEngineAddress(); addr != "" {
		h.mu.Lock()
		h.engineAddress = addr
		h.mu.Unlock()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// The only plugin a dynamic-provider program needs is the built-in pulumi-nodejs provider, which
// the engine loads on first use (pulumi-resource-pulumi-nodejs on PATH), so nothing is required up front.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// Dependencies are the project's business (npm ci / npm install): nothing to do here.
func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest,
	grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	return nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, err := exec.Command(h.nodeBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: h.nodeBin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for cmd := range h.running {
		if cmd.Process != nil {
			_ = cmd.Process.Signal(syscall.SIGINT)
		}
	}
	return &emptypb.Empty{}, nil
}

// findRunner looks for node_modules/@pulumi/pulumi/cmd/run in dir and its parents, as Node would.
func findRunner(dirs ...string) (string, error) {
	if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		return p, nil
	}
	for _, start := range dirs {
		if start == "" {
			continue
		}
		for dir := start; ; {
			p := filepath.Join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run")
			if _, err := os.Stat(filepath.Join(p, "index.js")); err == nil {
				return p, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf(sdkMissing, dirs[0])
}

type runtimeOptions struct {
	typescript bool
	nodeargs   []string
	tsconfig   string
}

// options reads Pulumi.yaml's `runtime: {name: nodejs, options: {...}}`.
func options(info *pulumirpc.ProgramInfo) runtimeOptions {
	o := runtimeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return o
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"].(bool); ok {
		o.typescript = v
	}
	if v, ok := m["nodeargs"].(string); ok {
		o.nodeargs = strings.Fields(v)
	}
	if v, ok := m["tsconfig"].(string); ok {
		o.tsconfig = v
	}
	return o
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	pwd := req.GetPwd()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = pwd
	}
	if pwd == "" {
		pwd = programDir
	}

	runPath, err := findRunner(programDir, pwd)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	// The program: "." lets cmd/run honour package.json's main/exports.
	program := req.GetProgram()
	if program == "" {
		program = "."
	}
	if full := filepath.Join(programDir, program); pwd != "" {
		if rel, err := filepath.Rel(pwd, full); err == nil && rel == "." {
			program = "."
		} else {
			program = full
		}
	}

	opts := options(info)
	h.mu.Lock()
	engineAddress := h.engineAddress
	h.mu.Unlock()

	args := append([]string{}, opts.nodeargs...)
	if h.preload != "" {
		args = append(args, "--require", h.preload)
	}
	args = append(args, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", pwd)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if p := req.GetParallel(); p != 0 {
		add("parallel", strconv.Itoa(int(p)))
	}
	add("tracing", h.tracing)
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(orEmptyMap(req.GetConfig()))
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys, err := json.Marshal(orEmptySlice(req.GetConfigSecretKeys()))
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}

	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(opts.typescript),
	)
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	cmd := exec.Command(h.nodeBin, args...) //nolint:gosec // runs the user's program, by design
	cmd.Dir = pwd
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr

	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run node): %v", err),
		}, nil
	}
	h.mu.Lock()
	h.running[cmd] = struct{}{}
	h.mu.Unlock()
	waitErr := cmd.Wait()
	h.mu.Lock()
	delete(h.running, cmd)
	h.mu.Unlock()

	if waitErr == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(waitErr, &exitErr) {
		if status, ok := exitErr.Sys().(syscall.WaitStatus); ok && status.Exited() {
			if status.ExitStatus() == exitCodeBail {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", status.ExitStatus()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", exitErr)}, nil
	}
	return &pulumirpc.RunResponse{
		Error: fmt.Sprintf("Problem executing program (could not run node): %v", waitErr),
	}, nil
}

func orEmptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptySlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
