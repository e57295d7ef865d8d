package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/workflow"
)

// pfxExecutionStart marks a started execution id as recorded:
// WFXS#<sha256(execution id)>, so a repeated start (the same
// Idempotency-Key, hence the same execution) is recorded once.
const pfxExecutionStart = "WFXS#"

// pfxExecution prefixes execution records: WFX#<workflow>#<reverse time>#<id>,
// newest first within a workflow.
const pfxExecution = "WFX#"

// ExecutionRetention is how long execution records are kept (the item's TTL).
const ExecutionRetention = 30 * 24 * time.Hour

// maxFilterQueries bounds the store queries one filtered listing page makes.
const maxFilterQueries = 20

func executionSK(workflowSlug, id string) (string, error) {
	if len(id) != 24 {
		return "", fmt.Errorf("execution %q: %w", id, ErrNotFound)
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", fmt.Errorf("execution %q: %w", id, ErrNotFound)
		}
	}
	return pfxExecution + workflowSlug + "#" + id[:16] + "#" + id[16:], nil
}

// RecordExecution implements workflow.Recorder: it writes (or replaces)
// the record of an execution, kept for ExecutionRetention after its start.
// Records are not configuration: no version bump, no audit entry.
func (c *Catalog) RecordExecution(ctx context.Context, r *workflow.Record) error {
	sk, err := executionSK(r.Workflow, r.ID)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode execution record: %w", err)
	}
	it := store.Item{PK: executionPK(r.Tenant), SK: sk, Data: data, ExpiresAt: r.StartedAt.Add(ExecutionRetention).Unix()}
	if r.Status == workflow.StatusRunning && r.ExecutionID != "" && r.RedriveCount == 0 {
		// A start: recorded once per engine execution (a redrive, running
		// again under the same ID, is written over its record).
		sum := sha256.Sum256([]byte(r.ExecutionID))
		mark := store.Item{PK: it.PK, SK: pfxExecutionStart + hex.EncodeToString(sum[:]), Data: []byte(`{}`), ExpiresAt: it.ExpiresAt}
		err := c.st.Transact(ctx, []store.WriteOp{{Put: &mark, Cond: store.IfAbsent()}, {Put: &it}})
		if errors.Is(err, store.ErrConditionFailed) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("write execution record %s: %w", r.ID, err)
		}
		return nil
	}
	if err := c.st.Put(ctx, it, store.Cond{}); err != nil {
		return fmt.Errorf("write execution record %s: %w", r.ID, err)
	}
	return nil
}

// GetExecution returns one execution record of a workflow.
func (c *Catalog) GetExecution(ctx context.Context, tenant, workflowSlug, id string) (*workflow.Record, error) {
	sk, err := executionSK(workflowSlug, id)
	if err != nil {
		return nil, err
	}
	it, err := c.st.Get(ctx, store.Key{PK: executionPK(tenant), SK: sk})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", sk, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", sk, err)
	}
	rec := new(workflow.Record)
	if err := json.Unmarshal(it.Data, rec); err != nil {
		return nil, fmt.Errorf("decode %s: %w", sk, err)
	}
	return rec, nil
}

// ListExecutions returns one page of a workflow's execution records,
// newest first; a non-empty status keeps only records with that status,
// so a page may then hold fewer than limit records and still have a
// cursor.
func (c *Catalog) ListExecutions(ctx context.Context, tenant, workflowSlug string, status workflow.ExecutionStatus, limit int, cursor string) ([]workflow.Record, string, error) {
	if limit <= 0 {
		limit = store.DefaultQueryLimit
	}
	prefix := pfxExecution + workflowSlug + "#"
	out := []workflow.Record{}
	for range maxFilterQueries {
		page, err := c.st.Query(ctx, store.Query{PK: executionPK(tenant), SKPrefix: prefix, Limit: limit - len(out), Cursor: cursor})
		if err != nil {
			return nil, "", fmt.Errorf("list executions of %s: %w", workflowSlug, err)
		}
		for _, it := range page.Items {
			var r workflow.Record
			if err := json.Unmarshal(it.Data, &r); err != nil {
				return nil, "", fmt.Errorf("decode %s: %w", it.SK, err)
			}
			if status == "" || r.Status == status {
				out = append(out, r)
			}
		}
		cursor = page.Cursor
		if cursor == "" || len(out) >= limit {
			break
		}
	}
	return out, cursor, nil
}

var _ workflow.Recorder = (*Catalog)(nil)

// executionPK is the partition of a tenant's workflow execution records. It
// is apart from the tenant's configuration partition so that the gateway,
// which records executions, can be granted writes to these partitions only
// (IAM dynamodb:LeadingKeys), never to configuration.
func executionPK(tenant string) string { return "WFXREC#" + tenant }
