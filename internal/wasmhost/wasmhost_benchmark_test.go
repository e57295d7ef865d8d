package wasmhost

import (
	"context"
	"testing"
	"time"
)

// BenchmarkGuest runs each example on a warm pooled instance with deadline
// enforcement on (protected: WithCloseOnContextDone) and off (unprotected).
// The native baseline on the same inputs is BenchmarkNative in
// wasm-transforms (go test -bench Native in that module).
func BenchmarkGuest(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []struct {
		name       string
		noDeadline bool
	}{{"protected", false}, {"unprotected", true}} {
		h, err := New(ctx, Config{NoDeadline: mode.noDeadline, Timeout: time.Second})
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
	for _, mode := range []struct {
		name       string
		noDeadline bool
	}{{"protected", false}, {"unprotected", true}} {
		h, err := New(ctx, Config{NoDeadline: mode.noDeadline})
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
