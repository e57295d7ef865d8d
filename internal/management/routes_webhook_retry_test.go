package management

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration/webhook"
)

// fakeRedeliverer answers Redeliver with d or err and records the call.
type fakeRedeliverer struct {
	d    webhook.Delivery
	err  error
	args []string
}

func (f *fakeRedeliverer) Redeliver(_ context.Context, tenant, sub, delivery string) (webhook.Delivery, error) {
	f.args = []string{tenant, sub, delivery}
	return f.d, f.err
}

func TestRetryDelivery(t *testing.T) {
	e := newEnv(t)
	sub := addWebhook(t, e)
	admin := e.token(tenantA, identity.RoleAdmin)
	delivered := webhook.Delivery{ID: "msg_1", Subscription: sub, EventType: "config.changed", State: webhook.StateDelivered,
		CreatedAt: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC), Attempts: []webhook.Attempt{{Status: 503}, {Status: 204}}}
	cases := []struct {
		name     string
		fake     *fakeRedeliverer // nil: no redeliverer configured
		webhook  string
		token    string
		status   int
		wantCall bool
	}{
		{"redelivered", &fakeRedeliverer{d: delivered}, sub, admin, http.StatusOK, true},
		{"unknown delivery", &fakeRedeliverer{err: webhook.ErrNoMessage}, sub, admin, http.StatusNotFound, true},
		{"being dispatched", &fakeRedeliverer{err: webhook.ErrBusy}, sub, admin, http.StatusConflict, true},
		{"store failure", &fakeRedeliverer{err: errors.New("boom")}, sub, admin, http.StatusInternalServerError, true},
		{"unknown subscription", &fakeRedeliverer{d: delivered}, "wh_nope", admin, http.StatusNotFound, false},
		{"another tenant's subscription", &fakeRedeliverer{d: delivered}, sub, e.token(tenantB, identity.RoleAdmin), http.StatusNotFound, false},
		{"developers may not", &fakeRedeliverer{d: delivered}, sub, e.token(tenantA, identity.RoleDeveloper), http.StatusForbidden, false},
		{"no redeliverer", nil, sub, admin, http.StatusServiceUnavailable, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.h.cfg.Webhooks = nil
			if tc.fake != nil {
				e.h.cfg.Webhooks = tc.fake
			}
			rec := e.do("POST", prefix+"/webhooks/"+tc.webhook+"/deliveries/msg_1/retry", tc.token, "")
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if called := tc.fake != nil && tc.fake.args != nil; called != tc.wantCall {
				t.Fatalf("redeliverer called: %v", called)
			}
			if tc.wantCall && (tc.fake.args[0] != tenantA || tc.fake.args[1] != sub || tc.fake.args[2] != "msg_1") {
				t.Fatalf("called with %v", tc.fake.args)
			}
			if tc.status == http.StatusConflict && rec.Header().Get("Retry-After") == "" {
				t.Error("409 without Retry-After")
			}
			if tc.status != http.StatusOK {
				return
			}
			var got webhook.Delivery
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.ID != "msg_1" || got.State != webhook.StateDelivered || len(got.Attempts) != 2 {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			audit, _, err := e.cat.ListAudit(context.Background(), tenantA, catalog.AuditFilter{ResourceType: "webhook-delivery"})
			if err != nil || len(audit) != 1 || audit[0].Resource != "webhook/"+sub+"/deliveries/msg_1" || audit[0].Action != "retry" {
				t.Fatalf("audit %+v %v", audit, err)
			}
		})
	}
}
