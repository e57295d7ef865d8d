package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Function describes how one Lambda function under functions/ is deployed:
// what it reads and writes, and which API (if any) fronts it. The name is
// the directory name and the binary name.
type Function struct {
	Name string
	// TableWrite adds PutItem/DeleteItem/ConditionCheckItem (the actions a
	// TransactWriteItems call is authorised by) to the read access
	// (GetItem, Query on the table and GSI1) every table user gets.
	TableWrite bool
	// Table is false for functions that never touch the table.
	Table bool
}

// registry lists every function the stacks know how to deploy. Later issues
// add their functions here; a directory under functions/ without an entry is
// an error, so nothing is silently left undeployed.
var registry = map[string]Function{
	FnGateway:      {Name: FnGateway, Table: true},
	FnManagement:   {Name: FnManagement, Table: true, TableWrite: true},
	FnWorkflowTask: {Name: FnWorkflowTask, Table: true}, // reads the tenant's integration or transform for each step
	FnKeyRotation:  {Name: FnKeyRotation},
	// Reads subscriptions; writes only the outbox and delivery-log
	// partitions (webhook.go), not through TableWrite.
	FnWebhookDispatcher: {Name: FnWebhookDispatcher, Table: true},
}

// Function names the stacks treat specially.
const (
	FnGateway      = "gateway"       // public HTTP API, catch-all route
	FnManagement   = "management"    // console API behind the JWT authorizer
	FnWorkflowTask = "workflow-task" // the only Lambda tenant state machines may invoke
	FnKeyRotation  = "key-rotation"  // Secrets Manager rotation Lambda
	// FnWebhookDispatcher delivers webhooks from the outbox (table stream
	// and a schedule).
	FnWebhookDispatcher = "webhook-dispatcher"
)

// Functions returns the functions to deploy: every directory under
// <Root>/functions holding a main.go, sorted by name. A directory missing
// from the registry is an error.
func (c Config) Functions() ([]Function, error) {
	dir := filepath.Join(c.Root, "functions")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	var fns []Function
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "main.go")); err != nil {
			continue
		}
		fn, ok := registry[e.Name()]
		if !ok {
			return nil, fmt.Errorf("functions/%s has no deployment entry in infra/stack/functions.go", e.Name())
		}
		fns = append(fns, fn)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].Name < fns[j].Name })
	return fns, nil
}

func has(fns []Function, name string) bool {
	for _, f := range fns {
		if f.Name == name {
			return true
		}
	}
	return false
}
