package management

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
)

// addWebhook subscribes tenantA to config.changed and returns the id.
func addWebhook(t *testing.T, e *env) string {
	t.Helper()
	s, _, err := e.cat.CreateWebhook(context.Background(), tenantA, seedActor,
		&model.WebhookSubscription{URL: "https://hooks.example.com/in", Events: []string{model.EventConfigChanged}})
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

func TestWebhookRoutes(t *testing.T) {
	e := newEnv(t)
	admin, viewer := e.token(tenantA, identity.RoleAdmin), e.token(tenantA, identity.RoleViewer)

	rec := e.do("POST", prefix+"/webhooks", admin, `{"url":"https://hooks.example.com/in","events":["config.changed","*"]}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var created struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &created)
	if _, err := webhook.DecodeSecret(created.Secret); err != nil || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("created %s (%v)", rec.Body, err)
	}

	// The secret is shown once: never in a read or a list, nor in the audit.
	for _, path := range []string{"/webhooks/" + created.ID, "/webhooks", "/audit"} {
		tok := viewer
		if path == "/audit" {
			tok = admin
		}
		rec := e.do("GET", prefix+path, tok, "")
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), created.Secret[len(webhook.SecretPrefix):]) {
			t.Fatalf("GET %s: %d, leaks the secret: %s", path, rec.Code, rec.Body)
		}
	}

	if err := e.cat.RecordDelivery(context.Background(), tenantA, webhook.Delivery{ID: "msg_1", Subscription: created.ID,
		EventType: model.EventConfigChanged, State: webhook.StateFailed, CreatedAt: time.Now(), Attempts: []webhook.Attempt{{Status: 503}}}); err != nil {
		t.Fatal(err)
	}
	rec = e.do("GET", prefix+"/webhooks/"+created.ID+"/deliveries", viewer, "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"id":"msg_1"`) || !strings.Contains(rec.Body.String(), `"status":503`) {
		t.Fatalf("deliveries: %d %s", rec.Code, rec.Body)
	}

	tests := []struct {
		name, body string
		pointers   []string
	}{
		{"bad url and event", `{"url":"gopher://x","events":["Config"]}`, []string{"/url", "/events/0"}},
		{"no events", `{"url":"https://hooks.example.com"}`, []string{"/events"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("POST", prefix+"/webhooks", admin, tt.body)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			for _, p := range tt.pointers {
				if !strings.Contains(rec.Body.String(), `"pointer":"`+p+`"`) {
					t.Errorf("no error at %s: %s", p, rec.Body)
				}
			}
		})
	}

	if rec := e.do("DELETE", prefix+"/webhooks/"+created.ID, admin, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("GET", prefix+"/webhooks/"+created.ID+"/deliveries", viewer, ""); rec.Code != http.StatusNotFound {
		t.Fatalf("deliveries of a deleted subscription: %d", rec.Code)
	}
}
