// Package sfn is the AWS Step Functions adapter of the workflow.Engine
// port: it deploys compiled definitions as state machines (Express for
// request/response workflows, Standard for long runs), runs Express
// workflows with StartSyncExecution and starts Standard ones with
// StartExecution, naming the execution after the caller's Idempotency-Key.
package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/portico/portico/internal/workflow"
)

// API is the part of *sfn.Client the engine uses.
type API interface {
	CreateStateMachine(ctx context.Context, in *awssfn.CreateStateMachineInput, optFns ...func(*awssfn.Options)) (*awssfn.CreateStateMachineOutput, error)
	UpdateStateMachine(ctx context.Context, in *awssfn.UpdateStateMachineInput, optFns ...func(*awssfn.Options)) (*awssfn.UpdateStateMachineOutput, error)
	DescribeStateMachine(ctx context.Context, in *awssfn.DescribeStateMachineInput, optFns ...func(*awssfn.Options)) (*awssfn.DescribeStateMachineOutput, error)
	StartSyncExecution(ctx context.Context, in *awssfn.StartSyncExecutionInput, optFns ...func(*awssfn.Options)) (*awssfn.StartSyncExecutionOutput, error)
	StartExecution(ctx context.Context, in *awssfn.StartExecutionInput, optFns ...func(*awssfn.Options)) (*awssfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *awssfn.DescribeExecutionInput, optFns ...func(*awssfn.Options)) (*awssfn.DescribeExecutionOutput, error)
	GetExecutionHistory(ctx context.Context, in *awssfn.GetExecutionHistoryInput, optFns ...func(*awssfn.Options)) (*awssfn.GetExecutionHistoryOutput, error)
	RedriveExecution(ctx context.Context, in *awssfn.RedriveExecutionInput, optFns ...func(*awssfn.Options)) (*awssfn.RedriveExecutionOutput, error)
}

// NewClient builds a Step Functions client from the default AWS
// configuration chain. The SDK honours AWS_ENDPOINT_URL_SFN, then
// AWS_ENDPOINT_URL; with such an endpoint set Config.DisableHostPrefix
// (StartSyncExecution otherwise prefixes the host with "sync-").
func NewClient(ctx context.Context, optFns ...func(*config.LoadOptions) error) (*awssfn.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return nil, fmt.Errorf("sfn: load AWS config: %w", err)
	}
	return awssfn.NewFromConfig(cfg), nil
}

// Config configures the engine.
type Config struct {
	Client API // required
	// RoleARN is the IAM role tenant state machines run as (required); its
	// partition and account also name the state machines' ARNs.
	RoleARN string
	// Region of the state machines (required).
	Region string
	// NamePrefix prefixes state machine names (PORTICO_WORKFLOW_PREFIX,
	// "portico-<env>-wf-", which the IAM policies are scoped to; default
	// workflow.DefaultNamePrefix).
	NamePrefix string
	// LogGroupARN, when set, receives Express execution history
	// (CloudWatch Logs; ERROR level, without execution data).
	LogGroupARN string
	// DisableHostPrefix keeps StartSyncExecution on the configured
	// endpoint's host (needed with a custom endpoint, e.g. LocalStack).
	DisableHostPrefix bool
}

// Engine runs workflows on AWS Step Functions.
type Engine struct {
	cfg                Config
	partition, account string
}

// New returns the engine; it fails fast on a missing client, region or role.
func New(cfg Config) (*Engine, error) {
	if cfg.Client == nil {
		return nil, errors.New("sfn: Client is required")
	}
	if cfg.Region == "" {
		return nil, errors.New("sfn: Region is required")
	}
	parts := strings.Split(cfg.RoleARN, ":")
	if len(parts) < 6 || parts[0] != "arn" || parts[2] != "iam" || parts[4] == "" {
		return nil, fmt.Errorf("sfn: RoleARN %q is not an IAM role ARN", cfg.RoleARN)
	}
	return &Engine{cfg: cfg, partition: parts[1], account: parts[4]}, nil
}

func (e *Engine) stateMachineARN(name string) string {
	return "arn:" + e.partition + ":states:" + e.cfg.Region + ":" + e.account + ":stateMachine:" + name
}

func smType(k workflow.Kind) types.StateMachineType {
	if k == workflow.KindStandard {
		return types.StateMachineTypeStandard
	}
	return types.StateMachineTypeExpress
}

// Deploy implements workflow.Engine: CreateStateMachine, or
// UpdateStateMachine when it exists. The type cannot change in place.
func (e *Engine) Deploy(ctx context.Context, d workflow.Deployment) (string, error) {
	name := workflow.StateMachineName(e.cfg.NamePrefix, d.Tenant, d.Workflow)
	def := string(d.Definition)
	in := &awssfn.CreateStateMachineInput{
		Name:       aws.String(name),
		Definition: aws.String(def),
		RoleArn:    aws.String(e.cfg.RoleARN),
		Type:       smType(d.Kind),
		Tags: []types.Tag{
			{Key: aws.String("portico:tenant"), Value: aws.String(d.Tenant)},
			{Key: aws.String("portico:workflow"), Value: aws.String(d.Workflow)},
		},
	}
	if e.cfg.LogGroupARN != "" {
		in.LoggingConfiguration = &types.LoggingConfiguration{
			Level: types.LogLevelError,
			Destinations: []types.LogDestination{{CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{
				LogGroupArn: aws.String(e.cfg.LogGroupARN)}}},
		}
	}
	out, err := e.cfg.Client.CreateStateMachine(ctx, in)
	if err == nil {
		return aws.ToString(out.StateMachineArn), nil
	}
	var exists *types.StateMachineAlreadyExists
	if !errors.As(err, &exists) {
		return "", fmt.Errorf("sfn: create state machine %s: %w", name, err)
	}
	arn := e.stateMachineARN(name)
	desc, err := e.cfg.Client.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("sfn: describe state machine %s: %w", name, err)
	}
	if desc.Type != smType(d.Kind) {
		return "", fmt.Errorf("sfn: state machine %s is %s: %w", name, desc.Type, workflow.ErrKindChanged)
	}
	if _, err := e.cfg.Client.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{
		StateMachineArn: aws.String(arn), Definition: aws.String(def), RoleArn: aws.String(e.cfg.RoleARN),
	}); err != nil {
		return "", fmt.Errorf("sfn: update state machine %s: %w", name, err)
	}
	return arn, nil
}

// Execute implements workflow.Engine with StartSyncExecution. A failed or
// timed-out execution comes back as HTTP 200 with a status: it is
// unwrapped into a *workflow.Error here.
func (e *Engine) Execute(ctx context.Context, ref string, input json.RawMessage) (json.RawMessage, error) {
	var optFns []func(*awssfn.Options)
	if e.cfg.DisableHostPrefix {
		optFns = append(optFns, disableHostPrefix)
	}
	out, err := e.cfg.Client.StartSyncExecution(ctx, &awssfn.StartSyncExecutionInput{
		StateMachineArn: aws.String(ref), Input: aws.String(string(orEmpty(input))),
	}, optFns...)
	if err != nil {
		return nil, mapErr("start sync execution", ref, err)
	}
	switch out.Status {
	case types.SyncExecutionStatusSucceeded:
		return json.RawMessage(aws.ToString(out.Output)), nil
	case types.SyncExecutionStatusTimedOut:
		return nil, &workflow.Error{Name: workflow.ErrorTimeout, Cause: "the execution timed out"}
	default:
		return nil, &workflow.Error{Name: aws.ToString(out.Error), Cause: aws.ToString(out.Cause)}
	}
}

// Start implements workflow.Engine with StartExecution. The execution name
// derives from the idempotency key: Step Functions returns the same
// execution for a repeated name and input, and ExecutionAlreadyExists for
// a repeated name with another input, which is answered with the
// existing execution too (the key, not the body, identifies the request).
func (e *Engine) Start(ctx context.Context, ref, key string, input json.RawMessage) (string, error) {
	in := &awssfn.StartExecutionInput{StateMachineArn: aws.String(ref), Input: aws.String(string(orEmpty(input)))}
	var name string
	if key != "" {
		name = workflow.ExecutionName(ref, key)
		in.Name = aws.String(name)
	}
	out, err := e.cfg.Client.StartExecution(ctx, in)
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) && name != "" {
		return strings.Replace(ref, ":stateMachine:", ":execution:", 1) + ":" + name, nil
	}
	if err != nil {
		return "", mapErr("start execution", ref, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

// Describe implements workflow.Engine with DescribeExecution.
func (e *Engine) Describe(ctx context.Context, id string) (*workflow.Execution, error) {
	out, err := e.cfg.Client.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: aws.String(id)})
	var missing *types.ExecutionDoesNotExist
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("%w: %s", workflow.ErrExecutionNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("sfn: describe execution %s: %w", id, err)
	}
	x := &workflow.Execution{ID: id, Status: workflow.ExecutionStatus(out.Status)}
	if out.Output != nil {
		x.Output = json.RawMessage(*out.Output)
	}
	if out.Status == types.ExecutionStatusFailed || out.Status == types.ExecutionStatusTimedOut || out.Status == types.ExecutionStatusAborted {
		name := aws.ToString(out.Error)
		if out.Status == types.ExecutionStatusTimedOut && name == "" {
			name = workflow.ErrorTimeout
		}
		x.Error = &workflow.Error{Name: name, Cause: aws.ToString(out.Cause)}
	}
	if out.StopDate != nil {
		x.StoppedAt = out.StopDate
		x.History, x.HistoryTruncated = e.history(ctx, id)
	}
	return x, nil
}

// Redrive implements workflow.Redriver with RedriveExecution: Step
// Functions restarts the execution at the state it failed in, with the
// definition and input of the original run (it keeps them: only the ARN
// is sent). Its refusals (ExecutionNotRedrivable: express, succeeded,
// past the 14 days...) are *workflow.RedriveError.
func (e *Engine) Redrive(ctx context.Context, r workflow.Redrive) error {
	_, err := e.cfg.Client.RedriveExecution(ctx, &awssfn.RedriveExecutionInput{ExecutionArn: aws.String(r.ExecutionID)})
	var (
		missing *types.ExecutionDoesNotExist
		refused *types.ExecutionNotRedrivable
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &missing):
		return fmt.Errorf("%w: %s", workflow.ErrExecutionNotFound, r.ExecutionID)
	case errors.As(err, &refused):
		return &workflow.RedriveError{Reason: workflow.RedriveEngine, Detail: "Step Functions cannot redrive the execution: " + refused.ErrorMessage()}
	}
	return fmt.Errorf("sfn: redrive execution %s: %w", r.ExecutionID, err)
}

func mapErr(op, ref string, err error) error {
	var missing *types.StateMachineDoesNotExist
	if errors.As(err, &missing) {
		return fmt.Errorf("%w: %s", workflow.ErrNotDeployed, ref)
	}
	return fmt.Errorf("sfn: %s %s: %w", op, ref, err)
}

// disableHostPrefix sets the flag inside the operation's stack (stack
// values on the caller's context are cleared when the stack starts).
func disableHostPrefix(o *awssfn.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("PorticoDisableHostPrefix",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}

func orEmpty(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(`{}`)
	}
	return b
}

var (
	_ workflow.Engine   = (*Engine)(nil)
	_ workflow.Redriver = (*Engine)(nil)
	_ API               = (*awssfn.Client)(nil)
)
