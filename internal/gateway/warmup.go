package gateway

import (
	"context"
	"log/slog"
	"time"

	"github.com/portico/portico/internal/wasmhost"
)

// Warm-up: a newly compiled snapshot's wasm modules are loaded (compiled
// once per content hash by the host, from its on-disk cache when it has
// them, and one instance started) in the background, so that the first
// request of an endpoint using one finds it ready. A request arriving
// while its module is still loading waits for that same load (wasmUnit's
// lock), never a second compile; requests to other endpoints never wait.
const (
	// warmParallel bounds the module loads warming snapshots at once,
	// process-wide for one gateway: compiling is CPU-bound.
	warmParallel = 2
	// warmTimeout bounds one module's warm-up load.
	warmTimeout = 30 * time.Second
)

// newWarmer returns the snapshots' warm hook: it starts one goroutine per
// snapshot with modules to load (those an endpoint of a routed version
// runs), loading them at most warmParallel at a
// time across snapshots, and closes snap.warmed when done. Without a host
// there is nothing to warm.
func newWarmer(host *wasmhost.Host, log *slog.Logger) func(*snapshot) {
	sem := make(chan struct{}, warmParallel)
	return func(snap *snapshot) {
		snap.warmed = make(chan struct{})
		if host == nil || len(snap.wasm) == 0 {
			close(snap.warmed)
			return
		}
		go func() {
			defer close(snap.warmed)
			for _, u := range snap.wasm {
				if !u.routed.Load() {
					continue // no routed endpoint runs it
				}
				sem <- struct{}{}
				ctx, cancel := context.WithTimeout(context.Background(), warmTimeout)
				start := time.Now()
				_, err := u.module(ctx, host)
				cancel()
				<-sem
				if err != nil {
					// The first request retries the load and answers 502
					// with the error if it fails again.
					log.Warn("wasm transform warm-up failed", "transform", u.opt.Name, "error", err.Error())
					continue
				}
				log.Debug("wasm transform warmed", "transform", u.opt.Name, "ms", time.Since(start).Milliseconds())
			}
		}()
	}
}

// wasmUnits lists the distinct wasm units of a snapshot's transforms.
func wasmUnits(units map[string]*transformUnit) []*wasmUnit {
	var out []*wasmUnit
	for _, u := range units {
		if u.wasm != nil {
			out = append(out, u.wasm)
		}
	}
	return out
}
