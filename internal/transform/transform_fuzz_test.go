package transform

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/portico/portico/internal/problem"
)

// FuzzDocument feeds arbitrary documents to Parse and Compile (which must
// fail only with problems) and runs what compiles on a fixed input (which
// must not panic).
func FuzzDocument(f *testing.F) {
	f.Add([]byte(ordersDoc))
	files, _ := filepath.Glob("testdata/golden/*.json")
	for _, g := range files {
		raw, err := os.ReadFile(g)
		if err != nil {
			f.Fatal(err)
		}
		var c struct {
			Transform json.RawMessage `json:"transform"`
		}
		if json.Unmarshal(raw, &c) == nil {
			f.Add([]byte(c.Transform))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			var p *problem.Problem
			if !errors.As(err, &p) {
				t.Fatalf("Parse error is not a problem: %v", err)
			}
			return
		}
		tr, err := Compile(d)
		if err != nil {
			var p *problem.Problem
			if !errors.As(err, &p) || len(p.Errors) == 0 {
				t.Fatalf("Compile error is not a validation problem: %v", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		m := &Message{Body: map[string]any{"id": 1.0, "items": []any{map[string]any{"a": "x@y.io"}}, "s": "4111111111111111"}, Status: 200}
		_ = tr.Apply(ctx, m)
		_ = tr.RunTests(ctx)
	})
}

// FuzzSchema feeds arbitrary schemas to the schema compiler (which must
// refuse external references and never panic) and validates a fixed body
// with what compiles.
func FuzzSchema(f *testing.F) {
	for _, s := range []string{
		`{"type":"object","required":["a"],"properties":{"a":{"type":"integer","minimum":1}}}`,
		`{"$ref":"#/$defs/x","$defs":{"x":{"type":"string","pattern":"^a+$"}}}`,
		`{"$ref":"file:///etc/passwd"}`, `{"$ref":"https://example.com/s.json"}`,
		`{"anyOf":[{"type":"null"},{"items":{"$dynamicRef":"#x"}}]}`, `true`, `{"format":"email"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := CompileSchema(data)
		if err != nil {
			return
		}
		if err := s.Validate(map[string]any{"a": 1.0, "b": []any{"x", nil, true}}); err != nil {
			if _, ok := errors.AsType[*jsonschema.ValidationError](err); !ok {
				return
			}
		}
	})
}
