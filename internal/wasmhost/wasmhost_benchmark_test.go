package wasmhost

import (
	"context"
	"testing"
	"time"
)

var enforcements = []struct {
	name string
	e    Enforcement
}{{"protected", Interrupt}, {"watchdog", Watchdog}, {"unprotected", Unenforced}}

func overrunPanics(module string, d time.Duration) { panic("overrun: " + module) }

// BenchmarkGuest runs each example on a warm pooled instance under each
// deadline enforcement: protected (Interrupt: WithCloseOnContextDone),
// watchdog (no checks, a timer per call) and unprotected (none).
// The native baseline on the same inputs is BenchmarkNative in
// wasm-transforms (go test -bench Native in that module).
func BenchmarkGuest(b *testing.B) {
	ctx := context.Background()
	for _, mode := range enforcements {
		h, err := New(ctx, Config{Enforcement: mode.e, OnOverrun: overrunPanics, Timeout: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		floor, err := h.Load(ctx, guest(b, "testguest"), LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("go-echo-floor/"+mode.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := floor.Call(ctx, []byte("x")); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, name := range []string{"pii-mask", "currency", "csv-to-json"} {
			in, want, cfg := exampleFiles(b, name)
			m, err := h.Load(ctx, guest(b, name), LoadOptions{Config: cfg})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(name+"/"+mode.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(in)))
				for b.Loop() {
					res, err := m.Call(ctx, in)
					if err != nil || len(res.Output) != len(want) {
						b.Fatalf("%d bytes, %v", len(res.Output), err)
					}
				}
			})
		}
		// The AssemblyScript port of pii-mask, same input and output
		// (skipped alone when npm is missing).
		b.Run("pii-mask-as/"+mode.name, func(b *testing.B) {
			in, want, _ := exampleFiles(b, "pii-mask")
			as, err := h.Load(ctx, asGuest(b), LoadOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				res, err := as.Call(ctx, in)
				if err != nil || len(res.Output) != len(want) {
					b.Fatalf("%d bytes, %v", len(res.Output), err)
				}
			}
		})
		_ = h.Close(ctx)
	}
}

// BenchmarkInstantiate is the cost of a fresh instance per call
// (LoadOptions.FreshInstance): a hand-built module and a Go guest.
func BenchmarkInstantiate(b *testing.B) {
	ctx := context.Background()
	h, err := New(ctx, Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close(ctx)
	for _, c := range []struct {
		name string
		wasm func() []byte
		in   []byte
	}{
		{"tiny", modEcho.bytes, []byte("x")},
		{"go-guest", func() []byte { return guest(b, "testguest") }, []byte("x")},
	} {
		m, err := h.Load(ctx, c.wasm(), LoadOptions{FreshInstance: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Call(ctx, c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCallTiny is the host's own per-call overhead (pooled echo).
func BenchmarkCallTiny(b *testing.B) {
	ctx := context.Background()
	for _, mode := range enforcements {
		h, err := New(ctx, Config{Enforcement: mode.e, OnOverrun: overrunPanics})
		if err != nil {
			b.Fatal(err)
		}
		m, err := h.Load(ctx, modEcho.bytes(), LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		in := make([]byte, 1024)
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Call(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = h.Close(ctx)
	}
}
