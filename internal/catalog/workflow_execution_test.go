package catalog_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/workflow"
)

func TestExecutionRecords(t *testing.T) {
	c, clk := newCatalog(t)
	ctx := t.Context()
	var ids []string
	for i, st := range []workflow.ExecutionStatus{workflow.StatusSucceeded, workflow.StatusFailed, workflow.StatusSucceeded, workflow.StatusRunning} {
		at := clk.Now()
		r := &workflow.Record{ID: workflow.NewRecordID(at), Tenant: "acme", Workflow: "enrich", Kind: workflow.KindExpress,
			Source: workflow.SourceGateway, Status: st, StartedAt: at, History: []workflow.Event{{Type: workflow.EventStateEntered, State: "s"}}}
		if i == 1 {
			r.Error = "Upstream.5xx"
		}
		if err := c.RecordExecution(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	// Another workflow whose slug extends this one's is not listed.
	other := &workflow.Record{ID: workflow.NewRecordID(clk.Now()), Tenant: "acme", Workflow: "enrich2", Status: workflow.StatusFailed, StartedAt: t0}
	if err := c.RecordExecution(ctx, other); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		status workflow.ExecutionStatus
		limit  int
		want   []string // all pages, in order
	}{
		{"all newest first", "", 2, []string{ids[3], ids[2], ids[1], ids[0]}},
		{"failed", workflow.StatusFailed, 1, []string{ids[1]}},
		{"succeeded", workflow.StatusSucceeded, 1, []string{ids[2], ids[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			cursor := ""
			for range 10 {
				recs, next, err := c.ListExecutions(ctx, "acme", "enrich", tt.status, tt.limit, cursor)
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) > tt.limit {
					t.Fatalf("page of %d > limit %d", len(recs), tt.limit)
				}
				for _, r := range recs {
					got = append(got, r.ID)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}

	r, err := c.GetExecution(ctx, "acme", "enrich", ids[1])
	if err != nil || r.Error != "Upstream.5xx" || len(r.History) != 1 {
		t.Fatalf("get = %+v, %v", r, err)
	}
	for _, id := range []string{"nope", ids[1][:23] + "g", other.ID} {
		if _, err := c.GetExecution(ctx, "acme", "enrich", id); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("get %q: err = %v", id, err)
		}
	}
	if _, err := c.GetExecution(ctx, "other", "enrich", ids[1]); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("another tenant's record: err = %v", err)
	}
	// Records expire after the retention.
	clk.mu.Lock()
	clk.t = clk.t.Add(catalog.ExecutionRetention + time.Hour)
	clk.mu.Unlock()
	if _, err := c.GetExecution(ctx, "acme", "enrich", ids[1]); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("expired record: err = %v", err)
	}
}

// A repeated start (same Idempotency-Key, same engine execution) is
// recorded once; its end is written over the record.
func TestExecutionRecordedOncePerStart(t *testing.T) {
	c, clk := newCatalog(t)
	ctx := t.Context()
	start := func() *workflow.Record {
		at := clk.Now()
		r := &workflow.Record{ID: workflow.NewRecordID(at), Tenant: "acme", Workflow: "long", Kind: workflow.KindStandard,
			ExecutionID: "local:x:idem-1", Status: workflow.StatusRunning, StartedAt: at, IdempotencyKey: "k"}
		if err := c.RecordExecution(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := start()
	start()
	recs, _, err := c.ListExecutions(ctx, "acme", "long", "", 10, "")
	if err != nil || len(recs) != 1 || recs[0].ID != first.ID {
		t.Fatalf("records = %+v, %v", recs, err)
	}
	first.Status = workflow.StatusSucceeded
	if err := c.RecordExecution(ctx, first); err != nil {
		t.Fatal(err)
	}
	recs, _, _ = c.ListExecutions(ctx, "acme", "long", workflow.StatusSucceeded, 10, "")
	if len(recs) != 1 {
		t.Fatalf("records = %+v", recs)
	}
	// A redrive runs the same execution again: its record is written over.
	first.MarkRedriven(clk.Now())
	if err := c.RecordExecution(ctx, first); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetExecution(ctx, "acme", "long", first.ID)
	if err != nil || got.Status != workflow.StatusRunning || got.RedriveCount != 1 {
		t.Fatalf("redriven record = %+v, %v", got, err)
	}
}
