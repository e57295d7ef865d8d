package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/wasmhost"
	"github.com/portico/portico/internal/workflow"
	wfsfn "github.com/portico/portico/internal/workflow/sfn"
	"github.com/portico/portico/internal/workflow/steps"
)

// workflowSlot holds the process's workflow engine, built on first use.
type workflowSlot struct {
	once   sync.Once
	engine workflow.Engine
	err    error
}

// WorkflowEngine returns the process's workflow engine, built once and
// shared by the gateway and the management API (locally the embedded
// engine keeps deployments in memory, so both must see the same one).
//
// Local mode: workflow.NewLocal over the embedded executor, whose Task
// states run the same step code as functions/workflow-task; at start it
// deploys every published workflow again from the store. Aws mode: the
// Step Functions adapter when PORTICO_WORKFLOW_ROLE_ARN is set, else none
// (workflow endpoints answer 503, publish answers 503).
func (sh *Shared) WorkflowEngine(ctx context.Context, e Env, cat *catalog.Catalog, log *slog.Logger) (workflow.Engine, error) {
	s := &sh.workflows
	s.once.Do(func() {
		var wasm *wasmhost.Host
		if e.Mode == "local" {
			if wasm, s.err = sh.WasmHost(e, log); s.err != nil {
				return
			}
		}
		s.engine, s.err = newWorkflowEngine(ctx, e, cat, wasm, log)
	})
	return s.engine, s.err
}

func newWorkflowEngine(ctx context.Context, e Env, cat *catalog.Catalog, wasm *wasmhost.Host, log *slog.Logger) (workflow.Engine, error) {
	if e.Mode != "local" {
		if e.WorkflowRoleARN == "" {
			log.Warn("workflows disabled: PORTICO_WORKFLOW_ROLE_ARN is not set")
			return nil, nil
		}
		client, err := wfsfn.NewClient(ctx)
		if err != nil {
			return nil, err
		}
		eng, err := wfsfn.New(wfsfn.Config{
			Client: client, RoleARN: e.WorkflowRoleARN, Region: client.Options().Region,
			NamePrefix: e.WorkflowPrefix, DisableHostPrefix: e.WorkflowCustomEndpoint,
		})
		if err != nil {
			return nil, err
		}
		return eng, nil
	}
	st, err := NewWorkflowSteps(e, cat, wasm, log)
	if err != nil {
		return nil, err
	}
	exec, err := workflow.NewExecutor(workflow.ExecutorConfig{Tasks: &workflow.TaskHandler{Steps: st, Log: log}})
	if err != nil {
		return nil, err
	}
	local := workflow.NewLocal(exec)
	if err := redeploy(ctx, cat, local, log); err != nil {
		return nil, fmt.Errorf("deploy stored workflows: %w", err)
	}
	return local, nil
}

// NewWorkflowSteps builds the step code of workflow tasks: integration
// calls through their own integration engine, behind the same SSRF guard
// as the gateway's calls, and the tenant's transforms (wasm ones on wasm,
// which may be nil: they then fail with Portico.TransformFailed).
func NewWorkflowSteps(e Env, cat *catalog.Catalog, wasm *wasmhost.Host, log *slog.Logger) (*steps.Steps, error) {
	guard := upstreamGuard(e)
	fwd := proxy.New(proxy.Config{Logger: log, Transport: proxy.NewTransportWith(proxy.TransportConfig{Control: guard.Control, NoProxy: true})})
	eng, err := integration.New(integration.Config{Forwarder: fwd, Guard: guard, Logger: log, Secrets: cat.SecretSource()})
	if err != nil {
		return nil, err
	}
	return steps.New(steps.Config{Integrations: cat, Engine: eng, Transforms: cat, Wasm: wasm})
}

// redeploy deploys every published workflow of every tenant on the local
// engine, which keeps deployments in memory only.
func redeploy(ctx context.Context, cat *catalog.Catalog, eng workflow.Engine, log *slog.Logger) error {
	cursor := ""
	for {
		tenants, next, err := cat.ListTenants(ctx, 500, cursor)
		if err != nil {
			return err
		}
		for _, t := range tenants {
			wcur := ""
			for {
				wfs, wnext, err := cat.ListWorkflows(ctx, t.ID, 500, wcur)
				if err != nil {
					return err
				}
				for _, w := range wfs {
					if w.Deployed == nil {
						continue
					}
					ref, err := eng.Deploy(ctx, workflow.Deployment{Tenant: t.ID, Workflow: w.Slug, Kind: w.Deployed.Kind, Definition: w.Deployed.Definition})
					if err != nil || ref != w.Deployed.Ref {
						log.Warn("stored workflow not redeployed", "tenant", t.ID, "workflow", w.Slug, "ref", ref, "storedRef", w.Deployed.Ref, "error", err)
					}
				}
				if wnext == "" {
					break
				}
				wcur = wnext
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}
