package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/portico/portico/internal/management"
	"github.com/portico/portico/internal/wasmhost"
)

// wasmSlot holds the process's WebAssembly host, built on first use.
type wasmSlot struct {
	once sync.Once
	host *wasmhost.Host
	err  error
}

// WasmHost returns the process's WebAssembly transform host, shared by the
// gateway and the management API (locally one process: a module compiled
// at upload is compiled for the gateway too).
//
// Aws mode (Lambda: one request per execution environment): Watchdog
// enforcement, full speed, and a call overrunning its deadline ends the
// process (only that request fails; docs/wasm-abi.md); compiled code is
// cached in /tmp. Local mode (many tenants in one process): Interrupt
// enforcement, cache in the data dir.
func (sh *Shared) WasmHost(e Env, log *slog.Logger) (*wasmhost.Host, error) {
	sh.wasm.once.Do(func() {
		cfg := wasmhost.Config{CacheDir: filepath.Join(e.DataDir, "wasm-cache")}
		if e.Mode == "aws" {
			cfg.CacheDir = filepath.Join(os.TempDir(), "portico-wasm")
			cfg.Enforcement = wasmhost.Watchdog
			cfg.OnOverrun = func(module string, elapsed time.Duration) {
				log.Error("wasm transform overran its deadline; ending the process", "module", module, "elapsedMs", elapsed.Milliseconds())
				os.Exit(3)
			}
		}
		if err := os.MkdirAll(cfg.CacheDir, 0o700); err != nil {
			log.Warn("wasm compilation cache disabled", "dir", cfg.CacheDir, "error", err.Error())
			cfg.CacheDir = ""
		}
		sh.wasm.host, sh.wasm.err = wasmhost.New(context.Background(), cfg)
	})
	return sh.wasm.host, sh.wasm.err
}

// moduleValidator validates an uploaded module by loading it (compile,
// start-up, configure) on host, which also warms the compilation cache.
func moduleValidator(host *wasmhost.Host) management.ModuleValidator {
	return func(ctx context.Context, name string, wasm, config []byte) error {
		m, err := host.Load(ctx, wasm, wasmhost.LoadOptions{Name: name, Config: config})
		if err != nil {
			return err
		}
		return m.Close(ctx)
	}
}
