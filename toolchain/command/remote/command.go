package remote

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Command is `command:remote:Command`: create, update and delete run over SSH.
type Command struct{}

// CommandInputs are the real provider's inputs; their tags make infer's diff replace on `triggers`
// and update on anything else, and keep `connection` secret.
type CommandInputs struct {
	Triggers               *[]any            `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create                 *string           `pulumi:"create,optional"`
	Update                 *string           `pulumi:"update,optional"`
	Delete                 *string           `pulumi:"delete,optional"`
	Stdin                  *string           `pulumi:"stdin,optional"`
	Logging                *Logging          `pulumi:"logging,optional"`
	Connection             *Connection       `pulumi:"connection" provider:"secret"`
	Environment            map[string]string `pulumi:"environment,optional"`
	AddPreviousOutputInEnv *bool             `pulumi:"addPreviousOutputInEnv,optional"`
}

// CommandOutputs: the inputs and what the last run printed, as plain outputs (the real provider marks
// neither secret; a program that prints a secret must say so with additionalSecretOutputs).
type CommandOutputs struct {
	CommandInputs
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

// Logging says which of the command's streams reach the engine's log while it runs.
type Logging string

// Values are the real provider's enum.
func (Logging) Values() []infer.EnumValue[Logging] {
	return []infer.EnumValue[Logging]{
		{Name: "stdout", Value: "stdout"},
		{Name: "stderr", Value: "stderr"},
		{Name: "stdoutAndStderr", Value: "stdoutAndStderr"},
		{Name: "none", Value: "none"},
	}
}

func (l *Logging) logs(stream Logging) bool {
	return l == nil || *l == stream || *l == "stdoutAndStderr"
}

// Create runs `create` (nothing in a preview).
func (*Command) Create(
	ctx context.Context, req infer.CreateRequest[CommandInputs],
) (infer.CreateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs}
	id, err := resource.NewUniqueHex(req.Name, 8, 0)
	if err != nil || req.DryRun || req.Inputs.Create == nil {
		return infer.CreateResponse[CommandOutputs]{ID: id, Output: state}, err
	}
	err = state.run(ctx, *req.Inputs.Create)
	return infer.CreateResponse[CommandOutputs]{ID: id, Output: state}, err
}

// Update runs `update`, or `create` when there is no `update`.
func (*Command) Update(
	ctx context.Context, req infer.UpdateRequest[CommandInputs, CommandOutputs],
) (infer.UpdateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr}
	if req.DryRun {
		return infer.UpdateResponse[CommandOutputs]{Output: state}, nil
	}
	var err error
	if req.Inputs.Update != nil {
		err = state.run(ctx, *req.Inputs.Update)
	} else if req.Inputs.Create != nil {
		err = state.run(ctx, *req.Inputs.Create)
	}
	return infer.UpdateResponse[CommandOutputs]{Output: state}, err
}

// Delete runs `delete` with the state's own connection and logging.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandOutputs]) (infer.DeleteResponse, error) {
	if req.State.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	return infer.DeleteResponse{}, req.State.run(ctx, *req.State.Delete)
}

// run is the real provider's run: a failure's error quotes the command and everything it printed,
// whatever `logging` says; a success records stdout and stderr without their last newline.
func (c *CommandOutputs) run(ctx context.Context, cmd string) error {
	// The real provider never closes this client: its connection stays open until the provider exits.
	client, err := c.Connection.Dial(ctx)
	if err != nil {
		return err
	}
	session, err := client.NewSession()
	if err != nil {
		return err
	}
	defer session.Close()
	for k, v := range c.Environment {
		if err := session.Setenv(k, v); err != nil {
			return fmt.Errorf("could not set environment variable %q: %w", k, err)
		}
	}
	if c.AddPreviousOutputInEnv == nil || *c.AddPreviousOutputInEnv {
		// Best effort, as the real provider: sshd refuses these unless AcceptEnv allows them.
		if c.Stdout != "" {
			_ = session.Setenv("PULUMI_COMMAND_STDOUT", c.Stdout)
		}
		if c.Stderr != "" {
			_ = session.Setenv("PULUMI_COMMAND_STDERR", c.Stderr)
		}
	}
	if c.Stdin != nil && *c.Stdin != "" {
		session.Stdin = strings.NewReader(*c.Stdin)
	}
	var stdout, stderr, both bytes.Buffer
	logR, logW := io.Pipe()
	outs, errs := []io.Writer{&stdout, &both}, []io.Writer{&stderr, &both}
	if c.Logging.logs("stdout") {
		outs = append(outs, logW)
	}
	if c.Logging.logs("stderr") {
		errs = append(errs, logW)
	}
	session.Stdout, session.Stderr = io.MultiWriter(outs...), io.MultiWriter(errs...)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		lines := bufio.NewScanner(logR)
		for lines.Scan() {
			p.GetLogger(ctx).InfoStatus(lines.Text())
		}
	}()
	err = session.Run(cmd)
	_ = logW.Close()
	<-logged
	if err != nil {
		return fmt.Errorf("%w: running %q:\n%s", err, cmd, both.String())
	}
	c.Stdout = strings.TrimSuffix(stdout.String(), "\n")
	c.Stderr = strings.TrimSuffix(stderr.String(), "\n")
	return nil
}
