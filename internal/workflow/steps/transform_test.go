package steps_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/wasmhost"
	"github.com/portico/portico/internal/wasmhost/wasmhosttest"
	"github.com/portico/portico/internal/workflow"
	"github.com/portico/portico/internal/workflow/steps"
)

// transformStore is an in-memory steps.TransformSource that counts reads.
type transformStore struct {
	byKey   map[string]*model.Transform // tenant/slug
	modules map[string][]byte           // hash
	reads   atomic.Int64
}

func (s *transformStore) GetTransform(_ context.Context, tenant, slug string) (*model.Transform, error) {
	s.reads.Add(1)
	if t, ok := s.byKey[tenant+"/"+slug]; ok {
		cp := *t
		return &cp, nil
	}
	return nil, fmt.Errorf("transform %s: %w", slug, catalog.ErrNotFound)
}

func (s *transformStore) GetModule(_ context.Context, _, hash string) ([]byte, error) {
	if b, ok := s.modules[hash]; ok {
		return b, nil
	}
	return nil, catalog.ErrNotFound
}

func TestTransformStep(t *testing.T) {
	host, err := wasmhost.New(context.Background(), wasmhost.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	echo, guestErr := wasmhosttest.Echo(), wasmhosttest.GuestError()
	passed := &model.TransformTests{Passed: true}
	decl := func(slug, doc string) *model.Transform {
		return &model.Transform{Slug: slug, Type: model.TransformDeclarative, Document: json.RawMessage(doc), Tests: passed, Meta: model.Meta{Revision: 1}}
	}
	src := &transformStore{
		byKey: map[string]*model.Transform{
			"acme/shape":    decl("shape", `{"steps": [{"map": {"fields": [{"to": "/total", "from": "body.amount", "type": "number"}, {"to": "/currency", "value": "EUR"}]}}]}`),
			"acme/strict":   decl("strict", `{"steps": [{"map": {"fields": [{"to": "/x", "from": "body.missing", "required": true}]}}]}`),
			"acme/untested": {Slug: "untested", Type: model.TransformDeclarative, Document: json.RawMessage(`{"steps": []}`), Tests: &model.TransformTests{Passed: false}},
			"acme/echo":     {Slug: "echo", Type: model.TransformWasm, Module: &model.TransformModule{Hash: wasmhost.Hash(echo)}, Meta: model.Meta{Revision: 3}},
			"acme/refuses":  {Slug: "refuses", Type: model.TransformWasm, Module: &model.TransformModule{Hash: wasmhost.Hash(guestErr)}},
			"globex/shape":  decl("shape", `{"steps": [{"map": {"fields": [{"to": "/tenant", "value": "globex"}]}}]}`),
		},
		modules: map[string][]byte{wasmhost.Hash(echo): echo, wasmhost.Hash(guestErr): guestErr},
	}
	eng, err := integration.New(integration.Config{Forwarder: proxy.New(proxy.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	s, err := steps.New(steps.Config{Integrations: integrations{}, Engine: eng, Transforms: src, Wasm: host})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, tenant, transform, input string
		want                           string // output, or the cause's substring when wantErr
		wantErr                        bool
	}{
		{"declarative", "acme", "shape", `{"amount": "12.5"}`, `{"currency":"EUR","total":12.5}`, false},
		{"the tenant's own transform of that name", "globex", "shape", `{}`, `{"tenant":"globex"}`, false},
		{"wasm", "acme", "echo", `{"a":[1,2]}`, `{"a":[1,2]}`, false},
		{"a step refuses the input", "acme", "strict", `{}`, "required", true},
		{"the module refuses the input", "acme", "refuses", `"nope"`, "nope", true},
		{"failing test cases", "acme", "untested", `{}`, "not publishable", true},
		{"unknown", "acme", "nowhere", `{}`, "does not exist", true},
		{"another tenant's transform", "globex", "echo", `{}`, "does not exist", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := s.Transform(context.Background(), tt.tenant, workflow.TransformConfig{Transform: tt.transform}, json.RawMessage(tt.input))
			if tt.wantErr {
				var we *workflow.Error
				if !errors.As(err, &we) || we.Name != workflow.ErrorTransformFailed || !strings.Contains(we.Cause, tt.want) {
					t.Fatalf("err = %v, want %s mentioning %q", err, workflow.ErrorTransformFailed, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("out = %s, want %s", out, tt.want)
			}
		})
	}

	// A revision compiles once; a new revision is compiled again.
	var compiles atomic.Int64
	counting, err := wasmhost.New(context.Background(), wasmhost.Config{OnCompile: func(string, time.Duration) { compiles.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = counting.Close(context.Background()) })
	s2, err := steps.New(steps.Config{Integrations: integrations{}, Engine: eng, Transforms: src, Wasm: counting})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := s2.Transform(context.Background(), "acme", workflow.TransformConfig{Transform: "echo"}, json.RawMessage(`1`)); err != nil {
			t.Fatal(err)
		}
	}
	if n := compiles.Load(); n != 1 {
		t.Fatalf("%d compiles for three steps of one revision, want 1", n)
	}
}
