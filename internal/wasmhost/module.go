package wasmhost

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// Grants are capabilities a module gets only when asked for.
type Grants struct {
	// Clock gives the real wall and monotonic clocks (default: a fake
	// clock starting at a fixed time).
	Clock bool
	// Random gives crypto/rand (default: a deterministic source).
	Random bool
}

// LoadOptions describe one use of a module (one tenant's transform).
type LoadOptions struct {
	// Name identifies the module in errors and logs (default: its hash).
	Name string
	// Config is passed once per instance to the module's configure export.
	Config []byte
	Grants Grants
	// FreshInstance runs every call on a new instance, closed afterwards:
	// no state survives between calls. Cheap for small modules (~10 us),
	// expensive for Go guests (~2-3 ms). Default: pooled instances, whose
	// memory persists between calls of this Module (never across Modules).
	FreshInstance bool
}

// Module is a loaded transform: compiled code (shared by content hash) and
// this load's own instance pool. Safe for concurrent use.
type Module struct {
	host *Host
	code wazero.CompiledModule
	hash string
	opt  LoadOptions
	pool chan *instance

	closed atomic.Bool
	mu     sync.Mutex // guards live
	live   map[*instance]struct{}
}

// Result is a successful call's output and the guest's captured log.
type Result struct {
	Output []byte
	Log    []byte
}

// Load validates and compiles wasm (once per content hash), then warms one
// instance so that configuration and start-up failures surface here, not on
// the first request.
func (h *Host) Load(ctx context.Context, wasm []byte, opt LoadOptions) (*Module, error) {
	if len(wasm) > h.cfg.MaxModuleBytes {
		return nil, fmt.Errorf("%w: module is %d bytes, limit %d", ErrTooLarge, len(wasm), h.cfg.MaxModuleBytes)
	}
	if len(wasm) < 8 || !bytes.Equal(wasm[:8], []byte("\x00asm\x01\x00\x00\x00")) {
		return nil, fmt.Errorf("%w: not a WebAssembly 1.0 binary", ErrInvalidModule)
	}
	if len(opt.Config) > h.cfg.MaxInputBytes {
		return nil, fmt.Errorf("%w: config is %d bytes", ErrTooLarge, len(opt.Config))
	}
	hash := Hash(wasm)
	code, err := h.compile(ctx, hash, wasm)
	if err != nil {
		return nil, err
	}
	if len(opt.Config) > 0 {
		if _, ok := code.ExportedFunctions()[ExportConfigure]; !ok {
			return nil, fmt.Errorf("%w: config given but the module does not export %q", ErrABI, ExportConfigure)
		}
	}
	if opt.Name == "" {
		opt.Name = hash[:12]
	}
	m := &Module{host: h, code: code, hash: hash, opt: opt, pool: make(chan *instance, h.cfg.PoolSize), live: map[*instance]struct{}{}}
	in, err := m.instantiate(ctx)
	if err != nil {
		return nil, err
	}
	m.release(ctx, in)
	return m, nil
}

// Hash is the module's content hash.
func (m *Module) Hash() string { return m.hash }

// Close closes the module's instances. The compiled code stays cached in
// the host for other loads of the same bytes.
func (m *Module) Close(ctx context.Context) error {
	m.closed.Store(true)
	m.mu.Lock()
	defer m.mu.Unlock()
	for in := range m.live {
		_ = in.mod.Close(ctx)
	}
	clear(m.live)
	return nil
}

type instance struct {
	mod       api.Module
	mem       api.Memory
	alloc     api.Function
	transform api.Function
	log       *capBuffer
}

func (m *Module) instantiate(ctx context.Context) (*instance, error) {
	log := &capBuffer{max: m.host.cfg.MaxLogBytes}
	mc := wazero.NewModuleConfig().
		WithName(""). // anonymous: many instances of one module coexist
		WithStartFunctions("_initialize", "_start").
		WithStdout(log).WithStderr(log)
	if m.opt.Grants.Clock {
		mc = mc.WithSysWalltime().WithSysNanotime()
	}
	if m.opt.Grants.Random {
		mc = mc.WithRandSource(rand.Reader)
	}
	ctx, cancel := context.WithTimeout(ctx, m.host.cfg.Timeout*10) // start-up may do more work than a call
	defer cancel()
	mod, err := m.host.rt.InstantiateModule(ctx, m.code, mc)
	if err != nil {
		return nil, m.callError(ctx, classify(err), "", log)
	}
	in := &instance{
		mod: mod, mem: mod.Memory(), log: log,
		alloc: mod.ExportedFunction(ExportAlloc), transform: mod.ExportedFunction(ExportTransform),
	}
	if len(m.opt.Config) > 0 {
		ptr, err := in.write(ctx, m.opt.Config)
		if err == nil {
			var res []uint64
			res, err = mod.ExportedFunction(ExportConfigure).Call(ctx, uint64(ptr), uint64(len(m.opt.Config)))
			if err == nil && uint32(res[0]) != 0 {
				err = fmt.Errorf("%w: configure returned %d", ErrGuest, int32(res[0]))
			}
		}
		if err != nil {
			_ = mod.Close(ctx)
			return nil, m.callError(ctx, classify(err), "", log)
		}
	}
	log.Reset()
	m.mu.Lock()
	m.live[in] = struct{}{}
	m.mu.Unlock()
	return in, nil
}

// write copies p into guest memory through the guest's alloc.
func (in *instance) write(ctx context.Context, p []byte) (uint32, error) {
	res, err := in.alloc.Call(ctx, uint64(len(p)))
	if err != nil {
		return 0, err
	}
	ptr := uint32(res[0])
	if !in.mem.Write(ptr, p) {
		return 0, fmt.Errorf("%w: alloc returned %#x, outside memory for %d bytes", ErrABI, ptr, len(p))
	}
	return ptr, nil
}

func (m *Module) acquire(ctx context.Context) (*instance, error) {
	if !m.opt.FreshInstance {
		select {
		case in := <-m.pool:
			return in, nil
		default:
		}
	}
	return m.instantiate(ctx)
}

func (m *Module) release(ctx context.Context, in *instance) {
	if !m.opt.FreshInstance && !m.closed.Load() {
		select {
		case m.pool <- in:
			return
		default:
		}
	}
	m.discard(ctx, in)
}

func (m *Module) discard(ctx context.Context, in *instance) {
	m.mu.Lock()
	delete(m.live, in)
	m.mu.Unlock()
	_ = in.mod.Close(context.WithoutCancel(ctx))
}

// Call runs the guest's transform on input. The call is bounded by the
// host's Timeout (and ctx), MaxOutputBytes and the memory limit; any
// failure returns a *CallError and discards the instance.
func (m *Module) Call(ctx context.Context, input []byte) (Result, error) {
	if m.closed.Load() {
		return Result{}, &CallError{Module: m.opt.Name, Err: errors.New("module is closed")}
	}
	if len(input) > m.host.cfg.MaxInputBytes {
		return Result{}, &CallError{Module: m.opt.Name, Err: fmt.Errorf("%w: input is %d bytes", ErrTooLarge, len(input))}
	}
	in, err := m.acquire(ctx)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, m.host.cfg.Timeout)
	defer cancel()
	var overran atomic.Bool
	start := time.Now()
	deadline, _ := ctx.Deadline()
	if cfg := &m.host.cfg; cfg.Enforcement == Watchdog {
		limit := time.Until(deadline) + cfg.WatchdogGrace
		t := time.AfterFunc(limit, func() {
			if overran.CompareAndSwap(false, true) {
				cfg.OnOverrun(m.opt.Name, time.Since(start))
			}
		})
		defer t.Stop()
	}
	out, gerr, err := m.call(ctx, in, input)
	if cfg := &m.host.cfg; err == nil && cfg.Enforcement == Watchdog {
		// The timer may not have run yet when a guest that never yields
		// returns (its goroutine held the CPU): judge by the clock too.
		now := time.Now()
		if now.After(deadline.Add(cfg.WatchdogGrace)) && overran.CompareAndSwap(false, true) {
			cfg.OnOverrun(m.opt.Name, now.Sub(start))
		}
		if overran.Load() || now.After(deadline) {
			err = fmt.Errorf("%w: the call finished after its deadline", ErrDeadline)
		}
	}
	logb := in.log.Take()
	if err != nil {
		m.discard(ctx, in)
		return Result{}, m.callError(ctx, classify(err), "", logbuf(logb))
	}
	m.release(ctx, in)
	if gerr != "" {
		return Result{}, &CallError{Module: m.opt.Name, Err: ErrGuest, Message: gerr, Log: logb}
	}
	return Result{Output: out, Log: logb}, nil
}

func (m *Module) call(ctx context.Context, in *instance, input []byte) (out []byte, guestErr string, err error) {
	ptr, err := in.write(ctx, input)
	if err != nil {
		return nil, "", err
	}
	res, err := in.transform.Call(ctx, uint64(ptr), uint64(len(input)))
	if err != nil {
		return nil, "", err
	}
	optr, olen := uint32(res[0]>>32), uint32(res[0])
	isErr := olen&errorFlag != 0
	olen &^= errorFlag
	if int64(olen) > int64(m.host.cfg.MaxOutputBytes) {
		return nil, "", fmt.Errorf("%w: output is %d bytes, limit %d", ErrTooLarge, olen, m.host.cfg.MaxOutputBytes)
	}
	view, ok := in.mem.Read(optr, olen)
	if !ok {
		return nil, "", fmt.Errorf("%w: output [%#x, +%d) is outside guest memory (%d bytes)", ErrABI, optr, olen, in.mem.Size())
	}
	if isErr {
		return nil, string(view), nil
	}
	return bytes.Clone(view), "", nil
}

func (m *Module) callError(ctx context.Context, err error, msg string, log logBytes) *CallError {
	if errors.Is(err, ErrTrap) && ctx.Err() != nil {
		err = fmt.Errorf("%w: %v", ErrDeadline, err)
	}
	return &CallError{Module: m.opt.Name, Err: err, Message: msg, Log: log.bytes()}
}

type logBytes interface{ bytes() []byte }

type logbuf []byte

func (l logbuf) bytes() []byte { return l }

// classify maps wazero's errors to the package's sentinels.
func classify(err error) error {
	var ee *sys.ExitError
	switch {
	case errors.Is(err, ErrABI), errors.Is(err, ErrTooLarge), errors.Is(err, ErrGuest), errors.Is(err, ErrInvalidModule), errors.Is(err, ErrDeadline):
		return err
	case errors.As(err, &ee) && (ee.ExitCode() == sys.ExitCodeDeadlineExceeded || ee.ExitCode() == sys.ExitCodeContextCanceled):
		return fmt.Errorf("%w: %v", ErrDeadline, err)
	case errors.As(err, &ee):
		return fmt.Errorf("%w: exit code %d", ErrTrap, ee.ExitCode())
	default:
		return fmt.Errorf("%w: %v", ErrTrap, err)
	}
}

// capBuffer keeps the first max bytes written and drops the rest, never
// failing the guest's write.
type capBuffer struct {
	mu        sync.Mutex
	buf       []byte
	max       int
	truncated bool
}

func (b *capBuffer) Write(p []byte) (int, error) {
	n := len(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - len(b.buf); len(p) > room {
		b.truncated = true
		p = p[:max(room, 0)]
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

// Take returns the captured bytes (with a marker when truncated) and resets.
func (b *capBuffer) Take() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) == 0 && !b.truncated {
		return nil
	}
	out := bytes.Clone(b.buf)
	if b.truncated {
		out = append(out, "\n[log truncated]"...)
	}
	b.buf, b.truncated = b.buf[:0], false
	return out
}

func (b *capBuffer) Reset() { b.Take() }

func (b *capBuffer) bytes() []byte { return b.Take() }

// RunEach loads wasm with config and calls it once per input, each on a
// fresh instance (no state carries between inputs), returning the
// outputs and per-input errors in input order: a module's test cases.
// err is a module that does not load (compile, start-up, configure).
func (h *Host) RunEach(ctx context.Context, name string, wasm, config []byte, inputs [][]byte) (outputs [][]byte, errs []error, err error) {
	m, err := h.Load(ctx, wasm, LoadOptions{Name: name, Config: config, FreshInstance: true})
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = m.Close(context.WithoutCancel(ctx)) }()
	outputs, errs = make([][]byte, len(inputs)), make([]error, len(inputs))
	for i, in := range inputs {
		res, err := m.Call(ctx, in)
		outputs[i], errs[i] = res.Output, err
	}
	return outputs, errs, nil
}
