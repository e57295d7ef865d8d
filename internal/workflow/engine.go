package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/portico/portico/internal/problem"
)

// Deployment is a compiled workflow to create or update on an engine.
type Deployment struct {
	Tenant     string
	Workflow   string // slug
	Kind       Kind
	Definition []byte // ASL JSON (Machine.JSON)
}

// ExecutionStatus is the state of an execution (Step Functions' names).
type ExecutionStatus string

// Execution statuses.
const (
	StatusRunning   ExecutionStatus = "RUNNING"
	StatusSucceeded ExecutionStatus = "SUCCEEDED"
	StatusFailed    ExecutionStatus = "FAILED"
	StatusTimedOut  ExecutionStatus = "TIMED_OUT"
	StatusAborted   ExecutionStatus = "ABORTED"
)

// Execution describes a started execution.
type Execution struct {
	ID     string          `json:"id"` // execution ARN on AWS
	Status ExecutionStatus `json:"status"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  *Error          `json:"error,omitempty"`
	// StoppedAt is when the execution ended, where the engine reports it.
	StoppedAt *time.Time `json:"stoppedAt,omitempty"`
	// History is the execution's events, where the engine keeps them
	// (Local; on AWS use GetExecutionHistory or the Express log group).
	History []Event `json:"history,omitempty"`
	// HistoryTruncated says History is not the whole history (on AWS:
	// its first page).
	HistoryTruncated bool `json:"historyTruncated,omitempty"`
}

// Engine runs compiled workflows: the port the gateway and the management
// API use. Adapters: Local (the embedded executor) and workflow/sfn (AWS
// Step Functions).
type Engine interface {
	// Deploy creates or updates the workflow's state machine and returns
	// its reference (a state machine ARN on AWS).
	Deploy(ctx context.Context, d Deployment) (ref string, err error)
	// Execute runs an express workflow to completion and returns its
	// output; a failed execution is an *Error, never a success.
	Execute(ctx context.Context, ref string, input json.RawMessage) (json.RawMessage, error)
	// Start starts a standard execution. Starts with the same non-empty
	// idempotency key are one execution: the same ID is returned.
	Start(ctx context.Context, ref, idempotencyKey string, input json.RawMessage) (executionID string, err error)
	// Describe reports a started execution.
	Describe(ctx context.Context, executionID string) (*Execution, error)
}

// Engine errors.
var (
	// ErrNotDeployed: the reference names no deployed workflow.
	ErrNotDeployed = errors.New("workflow: not deployed")
	// ErrExecutionNotFound: the execution ID is unknown.
	ErrExecutionNotFound = errors.New("workflow: execution not found")
	// ErrKindChanged: Step Functions cannot change a state machine between
	// express and standard; delete and deploy again.
	ErrKindChanged = errors.New("workflow: the workflow kind cannot change once deployed")
)

var nameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// DefaultNamePrefix prefixes state machine names when no prefix is
// configured. Deployments set the environment's prefix (infra grants IAM
// on "portico-<env>-wf-*" only, and environments may share an account).
const DefaultNamePrefix = "portico-wf-"

// StateMachineName is the name of a tenant workflow's state machine:
// "<prefix><tenant>_<workflow>". Slugs cannot contain '_', so two tenants'
// names never collide; a name over Step Functions' 80 characters keeps
// its first 63 and adds a hash of tenant and workflow.
func StateMachineName(prefix, tenant, workflow string) string {
	if prefix == "" {
		prefix = DefaultNamePrefix
	}
	name := nameUnsafe.ReplaceAllString(prefix+tenant+"_"+workflow, "-")
	if len(name) <= 80 {
		return name
	}
	sum := sha256.Sum256([]byte(tenant + "\x00" + workflow))
	return name[:63] + "_" + hex.EncodeToString(sum[:8])
}

// ExecutionName derives a Standard execution's name from the caller's
// Idempotency-Key: Step Functions refuses a second execution with the
// same name on a state machine (for 90 days), so a duplicate start is one
// execution. The key is hashed with the state machine reference so keys
// never leak into names and cannot collide across workflows.
func ExecutionName(ref, idempotencyKey string) string {
	sum := sha256.Sum256([]byte(ref + "\x00" + idempotencyKey))
	return "idem-" + hex.EncodeToString(sum[:30])
}

// FailureStatus is the HTTP status for a failed execution of w: the
// workflow's status for the error name, else its FailureStatus, else 502.
// An execution failure is never answered 200.
func FailureStatus(w *Workflow, err error) int {
	var e *Error
	if errors.As(err, &e) && w != nil {
		if st, ok := w.ErrorStatus[e.Name]; ok {
			return st
		}
	}
	if w != nil && w.FailureStatus != 0 {
		return w.FailureStatus
	}
	return http.StatusBadGateway
}

// Problem renders a failed execution for the tenant's caller: the status
// from FailureStatus and the error name; the cause stays internal.
func Problem(w *Workflow, err error) *problem.Problem {
	var e *Error
	if !errors.As(err, &e) {
		return problem.Internal(err)
	}
	p := problem.New(FailureStatus(w, err), "workflow-failed", "Workflow failed", "the workflow failed with error "+e.Name)
	return p.WithCause(err)
}
