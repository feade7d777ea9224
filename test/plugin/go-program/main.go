// A Pulumi Go program using the generated Go SDK (sdk/go) through the Automation API's inline
// programs: a ServerDrain window on server2, as test/plugin/yaml.test.ts opens from YAML.
// test/plugin/go-program.test.ts builds it and runs one operation per call, checking HAProxy
// between them:
//
//	go-program up|refresh|destroy
//
// Environment: HC_PULUMI_ROOT (the directory holding bin/pulumi, from scripts/pulumi-cli.sh),
// HC_WORK_DIR (the project directory), HC_BACKEND_URL (file:// state), HC_PULUMI_HOME (where the
// plugin is installed), HC_MEMBERS (JSON array of stats URLs), HC_STATS_USER, HC_STATS_PASSWORD
// (stored as secret config), HC_BACKEND, HC_WINDOW ("true": the window is in the program).
// Prints one JSON line: the operation's resource changes and the stack's outputs.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"haproxy-cluster/sdk/go/haproxycluster"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

type result struct {
	Changes map[string]int         `json:"changes"`
	Outputs map[string]interface{} `json:"outputs"`
}

func main() {
	if len(os.Args) != 2 {
		fail(fmt.Errorf("give one operation: up, refresh or destroy"))
	}
	out, err := run(context.Background(), os.Args[1])
	if err != nil {
		fail(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "go-program: %v\n", err)
	os.Exit(1)
}

// program is the window: members, user and password from config, server2 drained on every member.
func program(ctx *pulumi.Context) error {
	cfg := config.New(ctx, "")
	var members []string
	cfg.RequireObject("members", &members)
	if os.Getenv("HC_WINDOW") != "true" {
		return nil
	}
	window, err := haproxycluster.NewServerDrain(ctx, "window", &haproxycluster.ServerDrainArgs{
		Members:  pulumi.ToStringArray(members),
		Username: pulumi.String(cfg.Require("statsUser")),
		Password: cfg.RequireSecret("statsPassword"),
		Backend:  pulumi.String(cfg.Require("backend")),
		Server:   pulumi.String("server2"),
	})
	if err != nil {
		return err
	}
	ctx.Export("drainedOn", window.DrainedOn)
	return nil
}

func run(ctx context.Context, operation string) (*result, error) {
	cli, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: os.Getenv("HC_PULUMI_ROOT"), SkipVersionCheck: true})
	if err != nil {
		return nil, err
	}
	project := workspace.Project{
		Name:    "haproxy-go",
		Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		Backend: &workspace.ProjectBackend{URL: os.Getenv("HC_BACKEND_URL")},
	}
	stack, err := auto.UpsertStackInlineSource(ctx, "test", project.Name.String(), program,
		auto.Pulumi(cli),
		auto.Project(project),
		auto.WorkDir(os.Getenv("HC_WORK_DIR")),
		auto.PulumiHome(os.Getenv("HC_PULUMI_HOME")),
		auto.EnvVars(map[string]string{"PULUMI_CONFIG_PASSPHRASE": "go-program-test", "PULUMI_SKIP_UPDATE_CHECK": "true"}),
	)
	if err != nil {
		return nil, err
	}
	members, err := json.Marshal(splitMembers())
	if err != nil {
		return nil, err
	}
	if err := stack.SetAllConfig(ctx, auto.ConfigMap{
		"members":       {Value: string(members)},
		"statsUser":     {Value: os.Getenv("HC_STATS_USER")},
		"statsPassword": {Value: os.Getenv("HC_STATS_PASSWORD"), Secret: true},
		"backend":       {Value: os.Getenv("HC_BACKEND")},
	}); err != nil {
		return nil, err
	}
	var changes *map[string]int
	switch operation {
	case "up":
		res, err := stack.Up(ctx)
		if err != nil {
			return nil, err
		}
		changes = res.Summary.ResourceChanges
	case "refresh":
		res, err := stack.Refresh(ctx)
		if err != nil {
			return nil, err
		}
		changes = res.Summary.ResourceChanges
	case "destroy":
		res, err := stack.Destroy(ctx)
		if err != nil {
			return nil, err
		}
		changes = res.Summary.ResourceChanges
	default:
		return nil, fmt.Errorf("unknown operation %q: give up, refresh or destroy", operation)
	}
	outputs, err := stack.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	out := &result{Changes: map[string]int{}, Outputs: map[string]interface{}{}}
	if changes != nil {
		out.Changes = *changes
	}
	for name, value := range outputs {
		out.Outputs[name] = value.Value
	}
	return out, nil
}

// splitMembers reads HC_MEMBERS, a JSON array of member URLs.
func splitMembers() []string {
	var members []string
	if err := json.Unmarshal([]byte(os.Getenv("HC_MEMBERS")), &members); err != nil {
		fail(fmt.Errorf("HC_MEMBERS is not a JSON array of member URLs: %v", err))
	}
	return members
}
