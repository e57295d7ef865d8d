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

// ASGuest builds the AssemblyScript guest wasm-transforms/assemblyscript
// (assembly/index.ts, the pii-mask transform) with the compiler pinned in
// that directory's package-lock.json and returns its bytes. It runs
// `npm ci` there when node_modules is missing or older than the lock file,
// then `npm run build` (asc -O3 --runtime stub, no imports) into a
// temporary file. Without node/npm it skips, except in CI (CI=true), where
// that is a failure; under -short it skips.
func ASGuest(t testing.TB) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the AssemblyScript guest; skipped under -short")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("npm not found (needed in CI for the AssemblyScript guest): %v", err)
		}
		t.Skipf("npm not found: AssemblyScript guest not built (%v)", err)
	}
	dir := filepath.Join(ModuleDir(t), "assemblyscript")
	stamp, serr := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	lock, lerr := os.Stat(filepath.Join(dir, "package-lock.json"))
	if lerr != nil {
		t.Fatal(lerr)
	}
	if serr != nil || stamp.ModTime().Before(lock.ModTime()) {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, b)
		}
	}
	out := filepath.Join(t.TempDir(), "pii-mask-as.wasm")
	cmd := exec.Command("npm", "run", "--silent", "build", "--", "-o", out)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("asc build in %s: %v\n%s", dir, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
