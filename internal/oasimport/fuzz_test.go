package oasimport

import (
	"context"
	"os"
	"testing"

	"github.com/portico/portico/internal/transform"
)

// FuzzImport feeds documents to Parse and Plan: no panic, and every
// transform the plan generates compiles. `make test` runs the seeds;
// `go test -fuzz FuzzImport ./internal/oasimport` explores.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"testdata/shop30.yaml", "testdata/shop31.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `openapi: 3.0.0`, `{"openapi": "3.1.0"}`,
		`{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"x","content":{"application/json":{"schema":{"$ref":"#/components/schemas/A"}}}}}}}},"components":{"schemas":{"A":{"$ref":"#/components/schemas/A"}}}}`,
		`{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{"/a":{"post":{"requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"a":{"$ref":"#/paths/~1a/post/requestBody/content/application~1json/schema"}}}}}},"responses":{}}}}}`,
		`{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"responses":{"default":{"description":"x","content":{"application/json":{"schema":{"type":"string","pattern":"(?=x)"}}}}}}}}}`,
		"openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a: &a\n    get: *a\n",
	} {
		f.Add([]byte(s))
	}
	endpoints := []Endpoint{{ID: "e1", Method: "GET", Path: "/a"}, {ID: "e2", Method: "POST", Path: "/a"}, {ID: "e3", Method: "GET", Path: "/orders/{id}"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(context.Background(), data, "/document")
		if err != nil {
			return
		}
		plan := doc.Plan(endpoints, "v1", "/shop")
		for _, m := range plan.Matched {
			for _, src := range [][]byte{m.Request, m.Response} {
				if src == nil {
					continue
				}
				d, err := transform.Parse(src)
				if err == nil {
					_, err = transform.Compile(d)
				}
				if err != nil {
					t.Fatalf("generated transform does not compile: %v\n%s", err, src)
				}
			}
		}
	})
}
