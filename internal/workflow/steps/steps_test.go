package steps_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/workflow"
	"github.com/portico/portico/internal/workflow/steps"
)

type integrations map[string]*model.Integration

func (m integrations) GetIntegration(_ context.Context, tenant, slug string) (*model.Integration, error) {
	if in, ok := m[tenant+"/"+slug]; ok {
		return in, nil
	}
	return nil, fmt.Errorf("integration %s: %w", slug, catalog.ErrNotFound)
}

func TestCall(t *testing.T) {
	type seen struct{ method, uri, body, ctype, key, step string }
	var got seen
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = seen{r.Method, r.RequestURI, string(b), r.Header.Get("Content-Type"), r.Header.Get("X-Api-Key"), r.Header.Get("X-Step")}
		switch strings.TrimPrefix(r.URL.Path, "/api") {
		case "/json":
			_, _ = w.Write([]byte(`{"ok":true}`))
		case "/empty":
			w.WriteHeader(http.StatusCreated)
		case "/text":
			_, _ = w.Write([]byte("plain"))
		case "/missing":
			http.NotFound(w, r)
		default:
			http.Error(w, "secret internals", http.StatusInternalServerError)
		}
	}))
	defer up.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	ints := integrations{
		"acme/orders": {Slug: "orders", Type: model.IntegrationHTTP, URL: up.URL + "/api", Headers: map[string]string{"X-Api-Key": "k1", "X-Step": "int"}},
		"acme/down":   {Slug: "down", Type: model.IntegrationHTTP, URL: down.URL, TimeoutMs: 500},
		"acme/gql":    {Slug: "gql", Type: model.IntegrationGraphQL, URL: up.URL},
	}
	eng, err := integration.New(integration.Config{Forwarder: proxy.New(proxy.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	s, err := steps.New(steps.Config{Integrations: ints, Engine: eng})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		tenant   string
		call     workflow.CallConfig
		input    string
		want     string
		wantErr  string
		wantSeen *seen
	}{
		{name: "json post", tenant: "acme", call: workflow.CallConfig{Integration: "orders", Path: "/json", Headers: map[string]string{"X-Step": "step"}}, input: `{"id":1}`,
			want: `{"ok":true}`, wantSeen: &seen{"POST", "/api/json", `{"id":1}`, "application/json", "k1", "step"}},
		{name: "get with query and null input", tenant: "acme", call: workflow.CallConfig{Integration: "orders", Method: "GET", Path: "/json?x=1"}, input: `null`,
			want: `{"ok":true}`, wantSeen: &seen{"GET", "/api/json?x=1", "", "", "k1", "int"}},
		{name: "empty body is null", tenant: "acme", call: workflow.CallConfig{Integration: "orders", Path: "/empty"}, input: `{}`, want: `null`},
		{name: "text body is a string", tenant: "acme", call: workflow.CallConfig{Integration: "orders", Path: "/text"}, input: `{}`, want: `"plain"`},
		{name: "4xx", tenant: "acme", call: workflow.CallConfig{Integration: "orders", Path: "/missing"}, input: `{}`, wantErr: workflow.ErrorUpstreamClientError},
		{name: "5xx", tenant: "acme", call: workflow.CallConfig{Integration: "orders", Path: "/fail"}, input: `{}`, wantErr: workflow.ErrorUpstreamServerError},
		{name: "unreachable", tenant: "acme", call: workflow.CallConfig{Integration: "down"}, input: `{}`, wantErr: workflow.ErrorUpstreamUnavailable},
		{name: "unknown integration", tenant: "acme", call: workflow.CallConfig{Integration: "nope"}, input: `{}`, wantErr: workflow.ErrorIntegrationNotFound},
		{name: "other tenant's integration", tenant: "evil", call: workflow.CallConfig{Integration: "orders"}, input: `{}`, wantErr: workflow.ErrorIntegrationNotFound},
		{name: "graphql not yet", tenant: "acme", call: workflow.CallConfig{Integration: "gql"}, input: `{}`, wantErr: workflow.ErrorInvalidTask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = seen{}
			out, err := s.Call(context.Background(), tt.tenant, tt.call, json.RawMessage(tt.input))
			if tt.wantErr != "" {
				var we *workflow.Error
				if !errors.As(err, &we) || we.Name != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				if len(we.Cause) == 0 || containsAny(we.Cause, "secret", "127.0.0.1") {
					t.Fatalf("cause %q: want a short cause without upstream text or addresses", we.Cause)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Fatalf("out = %s, want %s", out, tt.want)
			}
			if tt.wantSeen != nil && got != *tt.wantSeen {
				t.Fatalf("upstream saw %+v, want %+v", got, *tt.wantSeen)
			}
		})
	}

	_, err = s.Transform(context.Background(), "acme", workflow.TransformConfig{Transform: "x"}, nil)
	if we := (*workflow.Error)(nil); !errors.As(err, &we) || we.Name != workflow.ErrorTransformFailed {
		t.Fatalf("transform err = %v", err)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
