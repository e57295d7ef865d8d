package transforms_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/portico/portico/wasm-transforms/examples/csvjson"
	"github.com/portico/portico/wasm-transforms/examples/currency"
	"github.com/portico/portico/wasm-transforms/examples/piimask"
)

var update = flag.Bool("update", false, "rewrite testdata/*/output.json")

// examples maps each example (its cmd/ and testdata/ name) to its native
// implementation. The host's tests check the WebAssembly builds against the
// same golden files.
func examples(t testing.TB) map[string]func([]byte) ([]byte, error) {
	cfg, err := os.ReadFile("testdata/currency/config.json")
	if err != nil {
		t.Fatal(err)
	}
	conv, err := currency.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var masker piimask.Masker
	return map[string]func([]byte) ([]byte, error){
		"pii-mask":    func(in []byte) ([]byte, error) { return masker.Apply(nil, in) },
		"currency":    func(in []byte) ([]byte, error) { return conv.Apply(nil, in) },
		"csv-to-json": func(in []byte) ([]byte, error) { return csvjson.Apply(nil, in) },
	}
}

func input(t testing.TB, name string) []byte {
	matches, _ := filepath.Glob(filepath.Join("testdata", name, "input.*"))
	if len(matches) != 1 {
		t.Fatalf("%s: want one input file, got %v", name, matches)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	for name, f := range examples(t) {
		t.Run(name, func(t *testing.T) {
			got, err := f(input(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got) {
				t.Fatalf("output is not JSON: %s", got)
			}
			path := filepath.Join("testdata", name, "output.json")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, bytes.TrimSuffix(want, []byte("\n"))) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// BenchmarkNative is the native baseline for the host's WebAssembly
// benchmarks of the same examples and inputs (internal/wasmhost).
func BenchmarkNative(b *testing.B) {
	for name, f := range examples(b) {
		in := input(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := f(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
