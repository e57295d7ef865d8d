package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Each testdata/golden/<name>.json holds a transform and an input message;
// <name>.golden is the resulting message, or the step error and the
// problem a request would get.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				Transform json.RawMessage `json:"transform"`
				Input     Message         `json:"input"`
			}
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			c.Input.canonicalHeaders()
			d, err := Parse(c.Transform)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := Compile(d)
			if err != nil {
				t.Fatal(err)
			}
			var got any
			if err := tr.Apply(context.Background(), &c.Input); err != nil {
				var se *StepError
				if !errors.As(err, &se) {
					t.Fatalf("Apply: %v", err)
				}
				p := se.Problem(name, false)
				got = map[string]any{"error": se.Error(), "step": se.Step, "rule": se.Rule, "path": se.Path, "problem": p}
			} else {
				got = c.Input
			}
			out, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, '\n')
			golden := strings.TrimSuffix(f, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("output differs from %s:\n%s", golden, out)
			}
		})
	}
}
