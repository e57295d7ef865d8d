// Package workflow is Portico's workflow orchestration: the model tenants
// draw (named steps, parallel groups, conditions, retries, timeouts and
// compensating steps), its validation with problem+json pointers, the
// compiler to Amazon States Language (JSONPath query language), an embedded
// executor of that same ASL (the local engine), the Engine port the gateway
// dispatches to, and the task handler functions/workflow-task runs on AWS.
//
// There is one semantics: the model is compiled once, and the compiled ASL is
// what runs, on Step Functions (package workflow/sfn) or on the embedded
// Executor. The executor interprets the definition, never the model.
// docs/workflows.md explains the compiled shape and the decisions behind it.
package workflow
