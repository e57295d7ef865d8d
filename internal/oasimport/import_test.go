package oasimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/transform"
)

var update = flag.Bool("update", false, "rewrite golden files")

// shopEndpoints are the endpoints of API shop (base path /shop), v1.
var shopEndpoints = []Endpoint{
	{ID: "epget", Method: "GET", Path: "/orders/{id}"},
	{ID: "epput", Method: "PUT", Path: "/orders/{id}"},
	{ID: "eppatch", Method: "PATCH", Path: "/orders/{id}"},
	{ID: "eppost", Method: "POST", Path: "/orders"},
	{ID: "eptree", Method: "GET", Path: "/tree"},
	{ID: "ephealth", Method: "GET", Path: "/health"},
	{ID: "eplist", Method: "GET", Path: "/orders"},
}

// TestGolden imports each testdata document for shopEndpoints and
// compares the plan (matches, generated transforms, skips, notes) with
// its .golden file.
func TestGolden(t *testing.T) {
	for _, name := range []string{"shop30.yaml", "shop31.json"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(t.Context(), data, "/document")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			plan := doc.Plan(shopEndpoints, "v1", "/shop")
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(plan); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("plan differs from %s (run with -update and review the diff):\n%s", golden, got)
			}
		})
	}
}

// TestImportedValidation runs the generated transforms on messages: the
// conversions (nullable, exclusiveMinimum, readOnly/writeOnly, $defs
// recursion, per-status responses) validate as the document means.
func TestImportedValidation(t *testing.T) {
	data, err := os.ReadFile("testdata/shop30.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(t.Context(), data, "/document")
	if err != nil {
		t.Fatal(err)
	}
	plan := doc.Plan(shopEndpoints, "v1", "/shop")
	byID := map[string]Match{}
	for _, m := range plan.Matched {
		byID[m.Endpoint] = m
	}
	tests := []struct {
		name     string
		endpoint string
		response bool
		status   int
		body     string // "" is no body
		ok       bool
	}{
		{"request: valid order", "epput", false, 0, `{"sku":"ABC-1","qty":1}`, true},
		{"request: readOnly id not required", "epput", false, 0, `{"sku":"ABC-1","qty":1,"note":null}`, true},
		{"request: qty 0 is excluded", "epput", false, 0, `{"sku":"ABC-1","qty":0}`, false},
		{"request: pattern", "epput", false, 0, `{"sku":"abc","qty":1}`, false},
		{"request: unknown property", "epput", false, 0, `{"sku":"ABC-1","qty":1,"x":1}`, false},
		{"request: nullable enum", "epput", false, 0, `{"sku":"ABC-1","qty":1,"status":null}`, true},
		{"request: enum", "epput", false, 0, `{"sku":"ABC-1","qty":1,"status":"lost"}`, false},
		{"request: required body missing", "epput", false, 0, ``, false},
		{"request: optional body missing", "eppost", false, 0, ``, true},
		{"request: optional body present", "eppost", false, 0, `{"qty":1}`, false},
		{"response: 200 needs the readOnly id", "epget", true, 200, `{"sku":"ABC-1","qty":1}`, false},
		{"response: 200 order", "epget", true, 200, `{"id":"1","sku":"ABC-1","qty":1}`, true},
		{"response: 404 error", "epget", true, 404, `{"title":"gone"}`, true},
		{"response: 404 not an error", "epget", true, 404, `{"id":"1"}`, false},
		{"response: 400 by the 4XX range", "epget", true, 400, `{}`, false},
		{"response: 500 not described", "epget", true, 500, `{"anything":1}`, true},
		{"response: default", "epput", true, 503, `{"status":503}`, false},
		{"response: recursive tree", "eptree", true, 200, `{"name":"a","children":[{"name":"b","children":[{"name":"c"}]}]}`, true},
		{"response: recursive tree, deep error", "eptree", true, 200, `{"name":"a","children":[{"children":[]}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := byID[tt.endpoint]
			if !ok {
				t.Fatalf("endpoint %s not matched", tt.endpoint)
			}
			src := m.Request
			if tt.response {
				src = m.Response
			}
			tr := transform.MustCompile(string(src))
			msg := &transform.Message{Status: tt.status}
			_, err := tr.ApplyJSON(t.Context(), msg, []byte(tt.body))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		pointers []string
	}{
		{"empty", ``, []string{"/document"}},
		{"not a document", `{{{`, []string{"/document"}},
		{"swagger 2", `{"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}}`, []string{"/document/openapi"}},
		{"openapi 4", `{"openapi": "4.0.0", "info": {"title": "x", "version": "1"}, "paths": {}}`, []string{"/document/openapi"}},
		{"external reference", `{"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"description": "x", "content": {"application/json": {"schema": {"$ref": "https://evil.example/s.json"}}}}}}}}}`, []string{"/document"}},
		{"file reference", `{"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"description": "x", "content": {"application/json": {"schema": {"$ref": "/etc/passwd#/x"}}}}}}}}}`, []string{"/document"}},
		{"invalid operation", `{"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {"/a/{id}": {"get": {"responses": {"200": {"description": "x"}}}}}}`, []string{"/document/paths"}},
		{"invalid response", `{"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {}}}}}}`, []string{"/document/paths/~1a/get"}},
		{"invalid component", `{"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {}, "components": {"schemas": {"Bad": {"type": "nope"}}}}`, []string{"/document/components/schemas/Bad"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(t.Context(), []byte(tt.doc), "/document")
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status != 400 {
				t.Fatalf("err = %v, want a 400 problem", err)
			}
			var got []string
			for _, fe := range p.Errors {
				got = append(got, fe.Pointer)
			}
			if !slices.Equal(got, tt.pointers) {
				t.Fatalf("pointers = %q (%v), want %q", got, p.Errors, tt.pointers)
			}
		})
	}
}
