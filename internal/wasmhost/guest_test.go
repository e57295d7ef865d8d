package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Go guests are built once per test binary from ../../wasm-transforms
// (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared) into a temporary directory;
// the Go build cache makes later runs cheap. Tests using them skip under
// -short.

const guestModule = "../../wasm-transforms"

var guestNames = []string{"pii-mask", "currency", "csv-to-json", "testguest"}

var guestBuild struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if guestBuild.dir != "" {
		_ = os.RemoveAll(guestBuild.dir)
	}
	os.Exit(code)
}

func guest(t testing.TB, name string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("builds Go guests; skipped under -short")
	}
	if raceEnabled {
		t.Skip("compiling Go guests takes ~17 s each under -race; run without -race")
	}
	guestBuild.once.Do(func() {
		guestBuild.dir, guestBuild.err = os.MkdirTemp("", "portico-guests-")
		if guestBuild.err != nil {
			return
		}
		for _, n := range guestNames { // c-shared builds one main package at a time
			cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", filepath.Join(guestBuild.dir, n), "./cmd/"+n)
			cmd.Dir = guestModule
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off", "GOFLAGS=-buildvcs=false")
			if out, err := cmd.CombinedOutput(); err != nil {
				guestBuild.err = errors.New("build guest " + n + ": " + err.Error() + "\n" + string(out))
				return
			}
		}
	})
	if guestBuild.err != nil {
		t.Fatal(guestBuild.err)
	}
	b, err := os.ReadFile(filepath.Join(guestBuild.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exampleFiles(t testing.TB, name string) (in, want, cfg []byte) {
	t.Helper()
	dir := filepath.Join(guestModule, "testdata", name)
	matches, _ := filepath.Glob(filepath.Join(dir, "input.*"))
	if len(matches) != 1 {
		t.Fatalf("%s: inputs %v", name, matches)
	}
	in, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	if want, err = os.ReadFile(filepath.Join(dir, "output.json")); err != nil {
		t.Fatal(err)
	}
	cfg, _ = os.ReadFile(filepath.Join(dir, "config.json"))
	return in, bytes.TrimSuffix(want, []byte("\n")), cfg
}

// sharedGoHost serves the Go-guest tests: compiling a Go guest costs
// hundreds of milliseconds, so each is compiled once per test binary.
var goHost struct {
	once sync.Once
	h    *Host
	err  error
}

func sharedHost(t testing.TB) *Host {
	goHost.once.Do(func() {
		goHost.h, goHost.err = New(context.Background(), Config{MemoryLimitPages: 1024, Timeout: 30 * time.Second})
	})
	if goHost.err != nil {
		t.Fatal(goHost.err)
	}
	return goHost.h
}

func TestGuestExamples(t *testing.T) {
	h := sharedHost(t)
	for _, name := range []string{"pii-mask", "currency", "csv-to-json"} {
		t.Run(name, func(t *testing.T) {
			in, want, cfg := exampleFiles(t, name)
			m, err := h.Load(context.Background(), guest(t, name), LoadOptions{Name: name, Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close(context.Background())
			for range 3 { // a reused instance gives the same answer
				res, err := m.Call(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(res.Output, want) {
					t.Fatalf("got  %s\nwant %s", res.Output, want)
				}
			}
		})
	}
}

func TestGuestConfigRequired(t *testing.T) {
	h := sharedHost(t)
	_, err := h.Load(context.Background(), guest(t, "currency"), LoadOptions{Config: []byte(`{"from":"XXX"}`)})
	var ce *CallError
	if !errors.As(err, &ce) || !errors.Is(err, ErrGuest) || !strings.Contains(string(ce.Log), "positive rates") {
		t.Fatalf("err = %v (log %q)", err, logOf(err))
	}
}

func logOf(err error) string {
	var ce *CallError
	if errors.As(err, &ce) {
		return string(ce.Log)
	}
	return ""
}

func TestGuestSandbox(t *testing.T) {
	h := sharedHost(t)
	m, err := h.Load(context.Background(), guest(t, "testguest"), LoadOptions{Name: "testguest"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	call := func(in string) (Result, error) {
		timeout := 30 * time.Second // growing a Go heap to the limit takes a while on a loaded machine
		if in == "loop" {
			timeout = 300 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return m.Call(ctx, []byte(in))
	}

	t.Run("no environment, arguments or files", func(t *testing.T) {
		res, err := call("env")
		if err != nil || string(res.Output) != "env=0 args=0 file=true" {
			t.Fatalf("%q, %v", res.Output, err)
		}
	})
	t.Run("log captured and capped", func(t *testing.T) {
		res, err := call("print")
		if err != nil || string(res.Output) != "printed" {
			t.Fatalf("%q, %v", res.Output, err)
		}
		if len(res.Log) > 4096+32 || !bytes.HasSuffix(res.Log, []byte("[log truncated]")) {
			t.Errorf("log is %d bytes: %.60q...", len(res.Log), res.Log)
		}
	})
	t.Run("guest error", func(t *testing.T) {
		var ce *CallError
		if _, err := call("fail"); !errors.As(err, &ce) || ce.Message != "bad input" {
			t.Fatalf("err = %v", err)
		}
	})
	for _, tt := range []struct {
		in   string
		want error
	}{{"panic", ErrTrap}, {"oom", ErrTrap}, {"loop", ErrDeadline}} {
		t.Run(tt.in, func(t *testing.T) {
			start := time.Now()
			_, err := call(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			t.Logf("%s: %v after %v; log %.80q", tt.in, err, time.Since(start).Round(time.Millisecond), logOf(err))
			// The failed instance was discarded: the next call runs on a
			// fresh one (call count restarts).
			res, err := call("calls")
			if err != nil || string(res.Output) != "1" {
				t.Fatalf("after %s: %q, %v", tt.in, res.Output, err)
			}
		})
	}
}

// The compilation cache on disk: a second process (here a second Host on the
// same directory) compiles a known Go guest in a fraction of the time.
func TestGuestCompilationCache(t *testing.T) {
	wasm := guest(t, "pii-mask")
	dir := t.TempDir()
	timeLoad := func() time.Duration {
		h, err := New(context.Background(), Config{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close(context.Background())
		start := time.Now()
		if _, err := h.compile(context.Background(), Hash(wasm), wasm); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	cold := timeLoad()
	warm := timeLoad()
	t.Logf("compile pii-mask: cold %v, from the disk cache %v (%.2fx)", cold, warm, float64(warm)/float64(cold))
	if warm > cold/2 {
		t.Errorf("cached compile %v is not much faster than cold %v", warm, cold)
	}
}
