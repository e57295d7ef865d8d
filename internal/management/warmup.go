package management

import (
	"context"
	"time"
)

// ModuleWarmer compiles a WebAssembly module ahead of its first use, so
// that no request pays the compile; app wires wasmhost.Host.Compile.
type ModuleWarmer func(ctx context.Context, wasm []byte) error

// warmTimeout bounds the warm-up of one published version.
const warmTimeout = time.Minute

// warmVersion compiles, in the background, the modules of the wasm
// transforms that version ver of api runs: the publish has answered
// already, and on this instance (the whole process locally, where the
// gateway shares the host) the first request finds them compiled. One
// warm-up runs at a time (compiling is CPU-bound), each bounded by
// warmTimeout. Uploads are warmed by the ModuleValidator.
func (h *Handler) warmVersion(tenant, api, ver string) {
	if h.cfg.Warm == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), warmTimeout)
		defer cancel()
		select {
		case h.warmSem <- struct{}{}:
			defer func() { <-h.warmSem }()
		case <-ctx.Done():
			return
		}
		mods, err := h.cat.VersionModules(ctx, tenant, api, ver)
		if err != nil {
			h.log.Warn("wasm warm-up: list modules", "tenant", tenant, "api", api, "version", ver, "error", err.Error())
			return
		}
		for _, m := range mods {
			if err := h.cfg.Warm(ctx, m.Wasm); err != nil {
				h.log.Warn("wasm warm-up failed", "tenant", tenant, "transform", m.Transform, "error", err.Error())
			}
		}
	}()
}
