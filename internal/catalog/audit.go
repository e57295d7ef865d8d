package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// AuditFilter selects audit entries. Zero fields match everything. Resource
// matches the resource itself and everything below it ("api/orders" matches
// "api/orders/version/v1").
type AuditFilter struct {
	Resource     string
	ResourceType string
	Actor        string
	From, To     time.Time
	Limit        int
	Cursor       string
}

// maxAuditScan bounds the entries one ListAudit call examines, so a filter
// matching nothing costs a bounded amount; the cursor continues the scan.
const maxAuditScan = 5000

// ListAudit returns matching audit entries, newest first.
func (c *Catalog) ListAudit(ctx context.Context, tenant string, f AuditFilter) ([]model.AuditEntry, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	prefix := pfxAudit
	if !f.From.IsZero() && !f.To.IsZero() {
		// The sort keys' own format: RFC 3339 trims trailing zeros, so
		// From == To would give a prefix no key has.
		prefix += commonPrefix(f.From.UTC().Format(auditTimeFormat), f.To.UTC().Format(auditTimeFormat))
	}
	out := make([]model.AuditEntry, 0, limit)
	cursor, scanned := f.Cursor, 0
	for {
		// Ask for exactly what is still missing, so a page never ends past
		// the last entry returned and the store cursor resumes precisely.
		page, err := c.st.Query(ctx, store.Query{PK: TenantPK(tenant), SKPrefix: prefix, Reverse: true, Limit: limit - len(out), Cursor: cursor})
		if err != nil {
			return nil, "", fmt.Errorf("list audit: %w", err)
		}
		for _, it := range page.Items {
			scanned++
			var a model.AuditEntry
			if err := json.Unmarshal(it.Data, &a); err != nil {
				return nil, "", fmt.Errorf("decode audit %s: %w", it.SK, err)
			}
			if !f.From.IsZero() && a.Time.Before(f.From) {
				return out, "", nil // newest first: everything after is older
			}
			if matchAudit(&a, f) {
				out = append(out, a)
			}
		}
		if page.Cursor == "" || len(out) == limit {
			return out, page.Cursor, nil
		}
		cursor = page.Cursor
		if scanned >= maxAuditScan {
			return out, cursor, nil
		}
	}
}

func matchAudit(a *model.AuditEntry, f AuditFilter) bool {
	if f.Actor != "" && a.Actor != f.Actor {
		return false
	}
	if f.ResourceType != "" && a.ResourceType != f.ResourceType {
		return false
	}
	if f.Resource != "" && a.Resource != f.Resource && !strings.HasPrefix(a.Resource, f.Resource+"/") {
		return false
	}
	if !f.To.IsZero() && a.Time.After(f.To) {
		return false
	}
	return true
}

func commonPrefix(a, b string) string {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return a[:i]
		}
	}
	return a[:n]
}
