// Package wasmhosttest builds the example Go guests of wasm-transforms/
// for tests of packages that run real transform modules (the way
// net/http/httptest serves tests of HTTP clients).
package wasmhosttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Guest builds the example guest cmd/<name> of wasm-transforms/
// (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared, a reactor) and returns
// its bytes. It skips t under -short: the first build of a guest takes
// seconds (the Go build cache makes later ones cheap).
func Guest(t testing.TB, name string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a Go guest; skipped under -short")
	}
	dir := ModuleDir(t)
	out := filepath.Join(t.TempDir(), name+".wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, "./cmd/"+name)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off", "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build guest %s: %v\n%s", name, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ModuleDir is the wasm-transforms module directory (for its testdata).
func ModuleDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("wasmhosttest: cannot locate the source tree")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "wasm-transforms")
}
