package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newHost(t testing.TB, cfg Config) *Host {
	t.Helper()
	h, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

func load(t testing.TB, h *Host, m wmodule, opt LoadOptions) *Module {
	t.Helper()
	mod, err := h.Load(context.Background(), m.bytes(), opt)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return mod
}

func TestLoadRejects(t *testing.T) {
	h := newHost(t, Config{MaxModuleBytes: 4096, MemoryLimitPages: 16})
	tests := []struct {
		name string
		wasm []byte
		opt  LoadOptions
		want error
		text string
	}{
		{"too large", make([]byte, 4097), LoadOptions{}, ErrTooLarge, ""},
		{"not wasm", []byte("hello world!"), LoadOptions{}, ErrInvalidModule, ""},
		{"truncated", modEcho.bytes()[:20], LoadOptions{}, ErrInvalidModule, ""},
		{"forbidden host function", modForbidden.bytes(), LoadOptions{}, ErrForbiddenImport, "env.http_get"},
		{"WASI sockets", modSock.bytes(), LoadOptions{}, ErrForbiddenImport, "sock_accept"},
		{"missing transform", modNoTransform.bytes(), LoadOptions{}, ErrABI, `"transform"`},
		{"wrong signature", modWrongSig.bytes(), LoadOptions{}, ErrABI, "i64"},
		{"config without configure", modEcho.bytes(), LoadOptions{Config: []byte("{}")}, ErrABI, "configure"},
		{"memory over the limit", wmodule{memPages: 17, memMax: -1, funcs: []wfunc{allocAt(0), transformFn(nil, i64c(0))}}.bytes(), LoadOptions{}, ErrInvalidModule, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Load(context.Background(), tt.wasm, tt.opt)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.text)
			}
		})
	}
}

func TestCallEcho(t *testing.T) {
	h := newHost(t, Config{})
	m := load(t, h, modEcho, LoadOptions{Name: "echo"})
	for _, in := range []string{"", "x", `{"a":1}`, strings.Repeat("z", 60000)} {
		res, err := m.Call(context.Background(), []byte(in))
		if err != nil || string(res.Output) != in {
			t.Fatalf("Call(%d bytes) = %d bytes, %v", len(in), len(res.Output), err)
		}
	}
	if _, err := m.Call(context.Background(), make([]byte, 2<<20)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize input err = %v", err)
	}
}

// The sandbox: each failure is a clear error, the instance is discarded and
// the host keeps serving other calls.
func TestSandbox(t *testing.T) {
	h := newHost(t, Config{MemoryLimitPages: 64, Timeout: 300 * time.Millisecond})
	echo := load(t, h, modEcho, LoadOptions{})
	tests := []struct {
		name string
		mod  wmodule
		want error
	}{
		{"infinite loop stopped at the deadline", modLoop, ErrDeadline},
		{"memory bomb traps at the page limit", modBomb, ErrTrap},
		{"output pointer outside memory", modOOB, ErrABI},
		{"alloc pointer outside memory", modBadAlloc, ErrABI},
		{"output over the cap", modBig, ErrTooLarge},
		{"guest error", modGuestErr, ErrGuest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := load(t, h, tt.mod, LoadOptions{Name: "bad"})
			start := time.Now()
			_, err := m.Call(context.Background(), []byte("boom"))
			var ce *CallError
			if !errors.As(err, &ce) || !errors.Is(err, tt.want) || ce.Module != "bad" {
				t.Fatalf("err = %v, want a CallError wrapping %v", err, tt.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if tt.want == ErrGuest && ce.Message != "boom" {
				t.Errorf("guest message = %q", ce.Message)
			}
			if res, err := echo.Call(context.Background(), []byte("still up")); err != nil || string(res.Output) != "still up" {
				t.Fatalf("host after %s: %q, %v", tt.name, res.Output, err)
			}
		})
	}
}

func TestCallerDeadline(t *testing.T) {
	h := newHost(t, Config{Timeout: 10 * time.Second})
	m := load(t, h, modLoop, LoadOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.Call(ctx, nil); !errors.Is(err, ErrDeadline) {
		t.Fatalf("err = %v", err)
	}
}

// State isolation: pooled instances keep memory between calls of one
// Module (one tenant's transform); separate loads of the same bytes never
// share instances; FreshInstance shares nothing at all.
func TestInstanceState(t *testing.T) {
	h := newHost(t, Config{PoolSize: 1})
	calls := func(m *Module, n int) []byte {
		var out []byte
		for range n {
			res, err := m.Call(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.Output...)
		}
		return out
	}
	a := load(t, h, modCounter, LoadOptions{})
	b := load(t, h, modCounter, LoadOptions{})
	if got := calls(a, 3); !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("pooled a = %v", got)
	}
	if got := calls(b, 2); !bytes.Equal(got, []byte{1, 2}) {
		t.Errorf("pooled b = %v (state leaked across loads)", got)
	}
	fresh := load(t, h, modCounter, LoadOptions{FreshInstance: true})
	if got := calls(fresh, 3); !bytes.Equal(got, []byte{1, 1, 1}) {
		t.Errorf("fresh = %v", got)
	}
	// A failed call discards the instance: the next call starts clean.
	trap := load(t, h, modCounter, LoadOptions{})
	calls(trap, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := trap.Call(ctx, nil); err == nil {
		t.Fatal("call with a cancelled context succeeded")
	}
	if got := calls(trap, 1); !bytes.Equal(got, []byte{1}) {
		t.Errorf("after a failed call = %v", got)
	}
}

func TestCompiledOncePerHash(t *testing.T) {
	var compiles atomic.Int32
	h := newHost(t, Config{OnCompile: func(string, time.Duration) { compiles.Add(1) }})
	var wg sync.WaitGroup
	mods := make([]*Module, 8)
	for i := range mods {
		wg.Go(func() {
			m, err := h.Load(context.Background(), modEcho.bytes(), LoadOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			mods[i] = m
		})
	}
	wg.Wait()
	if len(h.compiled) != 1 {
		t.Errorf("%d compiled entries, want 1", len(h.compiled))
	}
	for _, m := range mods[1:] {
		if m != nil && m.code != mods[0].code {
			t.Error("same bytes compiled twice")
		}
	}
	// Compile warms without instantiating; known bytes are not compiled again.
	if err := h.Compile(context.Background(), modEcho.bytes()); err != nil {
		t.Fatal(err)
	}
	if err := h.Compile(context.Background(), modForbidden.bytes()); !errors.Is(err, ErrForbiddenImport) {
		t.Fatalf("Compile of a forbidden module: %v", err)
	}
	if n := compiles.Load(); n != 2 {
		t.Errorf("OnCompile called %d times, want 2 (echo once, forbidden once)", n)
	}
}

func TestConcurrentCalls(t *testing.T) {
	h := newHost(t, Config{PoolSize: 2})
	m := load(t, h, modEcho, LoadOptions{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				in := []byte(strings.Repeat(string(rune('a'+g)), i+1))
				res, err := m.Call(context.Background(), in)
				if err != nil || !bytes.Equal(res.Output, in) {
					t.Errorf("goroutine %d call %d: %q, %v", g, i, res.Output, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Call(context.Background(), nil); err == nil {
		t.Error("call after Close succeeded")
	}
}

func TestCapBuffer(t *testing.T) {
	b := &capBuffer{max: 5}
	if n, err := b.Write([]byte("abcdefgh")); n != 8 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if got := string(b.Take()); got != "abcde\n[log truncated]" {
		t.Errorf("Take = %q", got)
	}
	if got := b.Take(); got != nil {
		t.Errorf("after Take = %q", got)
	}
}

func TestEnforcementConfig(t *testing.T) {
	if _, err := New(context.Background(), Config{Enforcement: Watchdog}); err == nil {
		t.Error("Watchdog without OnOverrun accepted")
	}
	if _, err := New(context.Background(), Config{Enforcement: 7}); err == nil {
		t.Error("unknown enforcement accepted")
	}
}

// Under Watchdog enforcement the guest is not interrupted: a call that
// overruns its deadline triggers OnOverrun (on Lambda: end the process) and,
// if it ever finishes, still fails with ErrDeadline.
func TestWatchdog(t *testing.T) {
	var mu sync.Mutex
	var overruns []string
	h := newHost(t, Config{Enforcement: Watchdog, Timeout: 5 * time.Millisecond, WatchdogGrace: 5 * time.Millisecond,
		OnOverrun: func(module string, _ time.Duration) {
			mu.Lock()
			overruns = append(overruns, module)
			mu.Unlock()
		}})
	// slow counts down from 2^31 (finite: the test must not leave a guest
	// spinning), far longer than the deadline.
	slow := wmodule{memPages: 1, memMax: -1, funcs: []wfunc{allocAt(1024), transformFn([]byte{i32},
		i32c(1<<30), set(2), opLoop, get(2), i32c(-1), opI32Add, set(2), get(2), opBrIf(0), opEnd, i64c(0))}}
	m := load(t, h, slow, LoadOptions{Name: "slow"})
	if _, err := m.Call(context.Background(), nil); !errors.Is(err, ErrDeadline) {
		t.Fatalf("err = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(overruns) != 1 || overruns[0] != "slow" {
		t.Errorf("overruns = %v", overruns)
	}
	echo := load(t, h, modEcho, LoadOptions{})
	if res, err := echo.Call(context.Background(), []byte("ok")); err != nil || string(res.Output) != "ok" {
		t.Errorf("echo: %q, %v", res.Output, err)
	}
}

// TestLoadAfterClose: a load that outlives its host (a background
// warm-up) fails with an error, never a panic.
func TestLoadAfterClose(t *testing.T) {
	h, err := New(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	load(t, h, modEcho, LoadOptions{})
	if err := h.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := h.Load(context.Background(), modGuestErr.bytes(), LoadOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Load of a new module after Close: %v, want ErrClosed", err)
	}
	if _, err := h.Load(context.Background(), modEcho.bytes(), LoadOptions{}); err == nil {
		t.Fatal("Load of a compiled module after Close succeeded")
	}
}
