package workflow

import "encoding/json"

// Kind selects how a workflow runs on AWS.
type Kind string

// Workflow kinds.
const (
	// KindExpress is for request/response endpoints: Step Functions Express,
	// started with StartSyncExecution.
	KindExpress Kind = "express"
	// KindStandard is for long runs: Step Functions Standard, started with
	// StartExecution and answered 202.
	KindStandard Kind = "standard"
)

// StepType says what a step does.
type StepType string

// Step types.
const (
	StepCall      StepType = "call"      // call an integration (Task)
	StepTransform StepType = "transform" // run a transform (Task)
	StepWait      StepType = "wait"      // wait a number of seconds (Wait)
	StepSet       StepType = "set"       // record a literal value (Pass)
	StepFail      StepType = "fail"      // fail the workflow, compensating first
	StepSucceed   StepType = "succeed"   // end the workflow successfully (Succeed)
	StepParallel  StepType = "parallel"  // run branches concurrently (Parallel)
	StepChoice    StepType = "choice"    // branch on conditions (Choice)
)

// Workflow is what a tenant draws. The execution state is
// {"input": <Input>, "steps": {<step name>: <result>...}}; conditions and
// paths address it with JSONPath ("$.input.body.id", "$.input.params.id",
// "$.steps.reserve.id").
type Workflow struct {
	Slug        string `json:"slug"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Kind        Kind   `json:"kind,omitempty"`    // default express
	StartAt     string `json:"startAt,omitempty"` // default: the first step
	Steps       []Step `json:"steps"`
	// Compensations are the steps a step's Compensate may name. They run
	// in reverse order of the steps that completed when a later step fails.
	Compensations []Step `json:"compensations,omitempty"`
	// Output is the JSONPath of the state returned on success (default "$").
	Output string `json:"output,omitempty"`
	// FailureStatus is the HTTP status of a failed execution (default 502);
	// ErrorStatus overrides it per terminal error name.
	FailureStatus int            `json:"failureStatus,omitempty"`
	ErrorStatus   map[string]int `json:"errorStatus,omitempty"`
	// TimeoutSeconds bounds the whole execution (0: the engine's limit).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

// Step is one named step. Exactly the block matching Type is set.
type Step struct {
	Name string   `json:"name"`
	Type StepType `json:"type"`
	// Next names the following step; empty ends the flow (the workflow, or
	// the enclosing parallel branch) successfully.
	Next string `json:"next,omitempty"`

	Call      *Call      `json:"call,omitempty"`
	Transform *Transform `json:"transform,omitempty"`
	Wait      *Wait      `json:"wait,omitempty"`
	Set       *Set       `json:"set,omitempty"`
	Fail      *Fail      `json:"fail,omitempty"`
	Parallel  *Parallel  `json:"parallel,omitempty"`
	Choice    *Choice    `json:"choice,omitempty"`

	// Retry policies, tried in order (call, transform, parallel).
	Retry []Retry `json:"retry,omitempty"`
	// TimeoutSeconds bounds one attempt of a call or transform.
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// Compensate names the compensating step (in Workflow.Compensations)
	// that undoes this step if a later step fails. Top-level steps only.
	Compensate string `json:"compensate,omitempty"`
}

// Call calls an integration. Body is the JSONPath of the state sent as the
// request body (default "$.input.body", the caller's request body).
type Call struct {
	Integration string            `json:"integration"`
	Method      string            `json:"method,omitempty"` // default POST
	Path        string            `json:"path,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Body        string            `json:"body,omitempty"`
}

// Transform runs a named transform over the part of the state at Input
// (default "$").
type Transform struct {
	Transform string `json:"transform"`
	Input     string `json:"input,omitempty"`
}

// Wait pauses for Seconds, or for the number of seconds at SecondsPath.
type Wait struct {
	Seconds     int    `json:"seconds,omitempty"`
	SecondsPath string `json:"secondsPath,omitempty"`
}

// Set records a literal value as the step's result.
type Set struct {
	Value json.RawMessage `json:"value"`
}

// Fail ends the workflow with an error (after compensation).
type Fail struct {
	Error string `json:"error"`
	Cause string `json:"cause,omitempty"`
}

// Parallel runs every branch on the same state; the step's result is an
// object of each branch's step results keyed by branch name.
type Parallel struct {
	Branches []Branch `json:"branches"`
}

// Branch is one parallel branch: its own steps, starting at StartAt
// (default: the first).
type Branch struct {
	Name    string `json:"name"`
	StartAt string `json:"startAt,omitempty"`
	Steps   []Step `json:"steps"`
}

// Choice goes to the Next of the first rule whose condition holds, else to
// Default (when empty, no match is a States.NoChoiceMatched failure).
type Choice struct {
	Rules   []Rule `json:"rules"`
	Default string `json:"default,omitempty"`
}

// Rule is one branch of a choice.
type Rule struct {
	Condition Condition `json:"condition"`
	Next      string    `json:"next"`
}

// Condition is a boolean expression: exactly one of And, Or, Not, or a
// comparison of Variable with Op and Value. Op is a Step Functions
// comparison operator ("StringEquals", "NumericGreaterThanPath",
// "IsPresent"...); for the *Path operators Value is a JSONPath string.
type Condition struct {
	And      []Condition     `json:"and,omitempty"`
	Or       []Condition     `json:"or,omitempty"`
	Not      *Condition      `json:"not,omitempty"`
	Variable string          `json:"variable,omitempty"`
	Op       string          `json:"op,omitempty"`
	Value    json.RawMessage `json:"value,omitempty"`
}

// Backoff jitter strategies (Step Functions JitterStrategy).
const (
	JitterNone = "NONE"
	JitterFull = "FULL"
)

// Retry is one retry policy. Errors defaults to ["States.ALL"].
type Retry struct {
	Errors          []string `json:"errors,omitempty"`
	IntervalSeconds int      `json:"intervalSeconds,omitempty"` // default 1
	MaxAttempts     *int     `json:"maxAttempts,omitempty"`     // default 3; 0 never retries
	BackoffRate     float64  `json:"backoffRate,omitempty"`     // default 2.0
	MaxDelaySeconds int      `json:"maxDelaySeconds,omitempty"`
	Jitter          string   `json:"jitter,omitempty"` // NONE (default) or FULL
}
