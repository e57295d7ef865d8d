package wasmhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Config configures a Host. The zero value is usable: New fills defaults.
type Config struct {
	// MaxModuleBytes bounds an uploaded module. Default 16 MiB.
	MaxModuleBytes int
	// MemoryLimitPages caps each instance's linear memory (64 KiB pages).
	// Default 512 (32 MiB): a Go guest starts around 5 MB.
	MemoryLimitPages uint32
	// Timeout is each call's deadline (the caller's ctx may be shorter).
	// Default 100 ms.
	Timeout time.Duration
	// Enforcement selects how the deadline is enforced; the zero value,
	// Interrupt, stops the guest. See docs/wasm-abi.md for the costs.
	Enforcement Enforcement
	// OnOverrun is called (once per call) when a call under Watchdog
	// enforcement runs past its deadline plus WatchdogGrace. The guest
	// cannot be stopped, so on Lambda it should end the process (the
	// environment serves only this request). Required with Watchdog.
	OnOverrun func(module string, elapsed time.Duration)
	// WatchdogGrace is the time past the deadline before OnOverrun.
	// Default 100 ms.
	WatchdogGrace time.Duration
	// MaxInputBytes and MaxOutputBytes bound a call's payloads. Default
	// 1 MiB each.
	MaxInputBytes  int
	MaxOutputBytes int
	// MaxLogBytes caps what a call's stdout+stderr keeps. Default 4 KiB.
	MaxLogBytes int
	// PoolSize is the number of idle instances kept per module. Default 4.
	PoolSize int
	// CacheDir, when set, keeps compiled code on disk (Lambda: /tmp) so a
	// new process compiles a known module in a fraction of the time.
	CacheDir string
	// OnCompile, when set, is called after each compilation of a module
	// (once per content hash and host, whether or not the on-disk cache
	// served it), with how long it took: metrics, and tests proving that a
	// request path does not compile.
	OnCompile func(hash string, elapsed time.Duration)
}

// Enforcement is how a call's deadline is enforced.
type Enforcement int

const (
	// Interrupt builds the runtime WithCloseOnContextDone: the guest is
	// stopped at its deadline, at the price of a check on every function
	// entry and loop back-edge (2-20x on Go guests).
	Interrupt Enforcement = iota
	// Watchdog compiles no checks (full speed); a call that overruns its
	// deadline by WatchdogGrace triggers OnOverrun, which must end the
	// process. Only where one process serves one request (Lambda).
	Watchdog
	// Unenforced has no deadline at all: trusted modules and benchmarks.
	Unenforced
)

func (c *Config) defaults() {
	if c.MaxModuleBytes <= 0 {
		c.MaxModuleBytes = 16 << 20
	}
	if c.MemoryLimitPages == 0 {
		c.MemoryLimitPages = 512
	}
	if c.Timeout <= 0 {
		c.Timeout = 100 * time.Millisecond
	}
	if c.MaxInputBytes <= 0 {
		c.MaxInputBytes = 1 << 20
	}
	if c.MaxOutputBytes <= 0 {
		c.MaxOutputBytes = 1 << 20
	}
	if c.MaxLogBytes <= 0 {
		c.MaxLogBytes = 4 << 10
	}
	if c.PoolSize <= 0 {
		c.PoolSize = 4
	}
	if c.WatchdogGrace <= 0 {
		c.WatchdogGrace = 100 * time.Millisecond
	}
}

// Host compiles and runs transform modules. It is safe for concurrent use.
type Host struct {
	cfg   Config
	rt    wazero.Runtime
	cache wazero.CompilationCache

	mu       sync.Mutex
	compiled map[string]*compileEntry

	// life orders compiles before Close: wazero must not compile on a
	// closed runtime (a background warm-up may outlive its host).
	life   sync.RWMutex
	closed bool
}

type compileEntry struct {
	done chan struct{}
	code wazero.CompiledModule
	err  error
}

// New builds a Host. Close releases it.
func New(ctx context.Context, cfg Config) (*Host, error) {
	cfg.defaults()
	switch {
	case cfg.Enforcement < Interrupt || cfg.Enforcement > Unenforced:
		return nil, fmt.Errorf("wasmhost: unknown enforcement %d", cfg.Enforcement)
	case cfg.Enforcement == Watchdog && cfg.OnOverrun == nil:
		return nil, errors.New("wasmhost: Watchdog enforcement needs OnOverrun")
	}
	rc := wazero.NewRuntimeConfigCompiler().
		WithMemoryLimitPages(cfg.MemoryLimitPages).
		WithCloseOnContextDone(cfg.Enforcement == Interrupt)
	h := &Host{cfg: cfg, compiled: map[string]*compileEntry{}}
	if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasm compilation cache: %w", err)
		}
		h.cache = cache
		rc = rc.WithCompilationCache(cache)
	}
	h.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, h.rt); err != nil {
		_ = h.rt.Close(ctx)
		return nil, fmt.Errorf("instantiate WASI: %w", err)
	}
	return h, nil
}

// Close closes every module and instance of the host.
func (h *Host) Close(ctx context.Context) error {
	h.life.Lock()
	defer h.life.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	err := h.rt.Close(ctx)
	if h.cache != nil {
		err = errors.Join(err, h.cache.Close(ctx))
	}
	return err
}

// Hash is the content hash modules are compiled and cached by.
func Hash(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	return hex.EncodeToString(sum[:])
}

// compile returns the compiled module for wasm, compiling it at most once
// per content hash even under concurrent loads.
func (h *Host) compile(ctx context.Context, hash string, wasm []byte) (wazero.CompiledModule, error) {
	h.mu.Lock()
	e, ok := h.compiled[hash]
	if !ok {
		e = &compileEntry{done: make(chan struct{})}
		h.compiled[hash] = e
	}
	h.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.code, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e.code, e.err = h.compileLive(ctx, hash, wasm)
	switch {
	case errors.Is(e.err, ErrClosed):
	case e.err != nil:
		e.err = fmt.Errorf("%w: %v", ErrInvalidModule, e.err)
	default:
		if e.err = checkModule(e.code); e.err != nil {
			_ = e.code.Close(ctx)
			e.code = nil
		}
	}
	close(e.done)
	if e.err != nil { // do not cache failures: the next upload retries
		h.mu.Lock()
		delete(h.compiled, hash)
		h.mu.Unlock()
	}
	return e.code, e.err
}

// compileLive compiles wasm unless the host is closed (ErrClosed).
func (h *Host) compileLive(ctx context.Context, hash string, wasm []byte) (wazero.CompiledModule, error) {
	h.life.RLock()
	defer h.life.RUnlock()
	if h.closed {
		return nil, ErrClosed
	}
	start := time.Now()
	code, err := h.rt.CompileModule(context.WithoutCancel(ctx), wasm)
	if h.cfg.OnCompile != nil {
		h.cfg.OnCompile(hash, time.Since(start))
	}
	return code, err
}

// Compile validates and compiles wasm without instantiating it (a
// warm-up): a later Load of the same bytes only instantiates.
func (h *Host) Compile(ctx context.Context, wasm []byte) error {
	if len(wasm) > h.cfg.MaxModuleBytes {
		return fmt.Errorf("%w: module is %d bytes, limit %d", ErrTooLarge, len(wasm), h.cfg.MaxModuleBytes)
	}
	_, err := h.compile(ctx, Hash(wasm), wasm)
	return err
}

// allowedImports are the WASI functions a guest may import. Everything
// else, sockets included, is refused at load. Files, environment and
// arguments are importable (Go's runtime imports them) but empty.
var allowedImports = map[string]bool{
	"args_get": true, "args_sizes_get": true, "environ_get": true, "environ_sizes_get": true,
	"clock_res_get": true, "clock_time_get": true, "random_get": true, "sched_yield": true,
	"proc_exit": true, "poll_oneoff": true,
	"fd_write": true, "fd_read": true, "fd_close": true, "fd_seek": true, "fd_sync": true,
	"fd_fdstat_get": true, "fd_fdstat_set_flags": true, "fd_filestat_get": true,
	"fd_prestat_get": true, "fd_prestat_dir_name": true, "fd_readdir": true, "fd_pread": true, "fd_pwrite": true,
	"path_open": true, "path_filestat_get": true, "path_create_directory": true, "path_unlink_file": true,
	"path_remove_directory": true, "path_rename": true, "path_readlink": true, "path_symlink": true,
	"path_link": true, "path_filestat_set_times": true, "fd_filestat_set_size": true, "fd_filestat_set_times": true,
	"fd_datasync": true, "fd_advise": true, "fd_allocate": true, "fd_renumber": true, "fd_tell": true,
}

// checkModule enforces the import allowlist and the ABI's exports.
func checkModule(code wazero.CompiledModule) error {
	for _, f := range code.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod != wasi_snapshot_preview1.ModuleName || !allowedImports[name] {
			return fmt.Errorf("%w: %s.%s", ErrForbiddenImport, mod, name)
		}
	}
	if len(code.ImportedMemories()) > 0 {
		return fmt.Errorf("%w: the module must define its own memory, not import one", ErrForbiddenImport)
	}
	exports := code.ExportedFunctions()
	want := []struct {
		name     string
		params   []api.ValueType
		results  []api.ValueType
		optional bool
	}{
		{ExportAlloc, []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}, false},
		{ExportTransform, []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI64}, false},
		{ExportConfigure, []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}, true},
	}
	for _, w := range want {
		f, ok := exports[w.name]
		if !ok {
			if w.optional {
				continue
			}
			return fmt.Errorf("%w: missing export %q", ErrABI, w.name)
		}
		if !sameTypes(f.ParamTypes(), w.params) || !sameTypes(f.ResultTypes(), w.results) {
			return fmt.Errorf("%w: export %q has signature %v -> %v, want %v -> %v", ErrABI, w.name,
				typeNames(f.ParamTypes()), typeNames(f.ResultTypes()), typeNames(w.params), typeNames(w.results))
		}
	}
	if _, ok := code.ExportedMemories()[ExportMemory]; !ok {
		return fmt.Errorf("%w: missing exported memory %q", ErrABI, ExportMemory)
	}
	return nil
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func typeNames(ts []api.ValueType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = api.ValueTypeName(t)
	}
	return out
}
