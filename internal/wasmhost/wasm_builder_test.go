package wasmhost

// A minimal WebAssembly binary writer for hand-made test modules: fast to
// instantiate (~10 us) and exact about what the guest does.

type wfunc struct {
	params, results []byte // value types: i32 0x7f, i64 0x7e
	locals          []byte // one i32/i64 per local
	body            []byte // instructions, without the final end
	export          string
}

type wimport struct{ mod, name string }

type wmodule struct {
	imports  []wimport // each imported as func () -> ()
	funcs    []wfunc
	memPages uint32
	memMax   int64 // -1: no maximum
	globals  int   // mutable i32 globals initialised to 0
	noMemory bool
}

const (
	i32 = 0x7f
	i64 = 0x7e
)

func uleb(v uint64) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, b|0x80)
			continue
		}
		return append(out, b)
	}
}

func sleb(v int64) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

func vec(items ...[]byte) []byte {
	out := uleb(uint64(len(items)))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

func name(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func section(id byte, content []byte) []byte {
	return append(append([]byte{id}, uleb(uint64(len(content)))...), content...)
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func (m wmodule) bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	var types [][]byte
	types = append(types, []byte{0x60, 0, 0}) // type 0: () -> ()
	for _, f := range m.funcs {
		types = append(types, cat([]byte{0x60}, vec(split(f.params)...), vec(split(f.results)...)))
	}
	out = append(out, section(1, vec(types...))...)
	if len(m.imports) > 0 {
		var im [][]byte
		for _, i := range m.imports {
			im = append(im, cat(name(i.mod), name(i.name), []byte{0x00}, uleb(0)))
		}
		out = append(out, section(2, vec(im...))...)
	}
	var fidx [][]byte
	for i := range m.funcs {
		fidx = append(fidx, uleb(uint64(i+1)))
	}
	out = append(out, section(3, vec(fidx...))...)
	if !m.noMemory {
		lim := cat([]byte{0x00}, uleb(uint64(m.memPages)))
		if m.memMax >= 0 {
			lim = cat([]byte{0x01}, uleb(uint64(m.memPages)), uleb(uint64(m.memMax)))
		}
		out = append(out, section(5, vec(lim))...)
	}
	if m.globals > 0 {
		var gs [][]byte
		for range m.globals {
			gs = append(gs, []byte{i32, 0x01, 0x41, 0x00, 0x0b})
		}
		out = append(out, section(6, vec(gs...))...)
	}
	var ex [][]byte
	if !m.noMemory {
		ex = append(ex, cat(name("memory"), []byte{0x02}, uleb(0)))
	}
	for i, f := range m.funcs {
		if f.export != "" {
			ex = append(ex, cat(name(f.export), []byte{0x00}, uleb(uint64(len(m.imports)+i))))
		}
	}
	out = append(out, section(7, vec(ex...))...)
	var codes [][]byte
	for _, f := range m.funcs {
		var locals [][]byte
		for _, l := range f.locals {
			locals = append(locals, []byte{0x01, l})
		}
		body := cat(vec(locals...), f.body, []byte{0x0b})
		codes = append(codes, cat(uleb(uint64(len(body))), body))
	}
	out = append(out, section(10, vec(codes...))...)
	return out
}

func split(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

// Instructions.
func i32c(v int32) []byte      { return cat([]byte{0x41}, sleb(int64(v))) }
func i64c(v int64) []byte      { return cat([]byte{0x42}, sleb(v)) }
func get(i uint32) []byte      { return cat([]byte{0x20}, uleb(uint64(i))) }
func set(i uint32) []byte      { return cat([]byte{0x21}, uleb(uint64(i))) }
func gget(i uint32) []byte     { return cat([]byte{0x23}, uleb(uint64(i))) }
func gset(i uint32) []byte     { return cat([]byte{0x24}, uleb(uint64(i))) }
func call(i uint32) []byte     { return cat([]byte{0x10}, uleb(uint64(i))) }
func store8(off uint32) []byte { return cat([]byte{0x3a, 0x00}, uleb(uint64(off))) }

var (
	opI64ExtendU = []byte{0xad}
	opI64Shl     = []byte{0x86}
	opI64Or      = []byte{0x84}
	opI32Add     = []byte{0x6a}
	opI32Eq      = []byte{0x46}
	opDrop       = []byte{0x1a}
	opUnreach    = []byte{0x00}
	opEnd        = []byte{0x0b}
	opLoop       = []byte{0x03, 0x40}
	opIf         = []byte{0x04, 0x40}
	opMemGrow    = []byte{0x40, 0x00}
)

func br(depth uint32) []byte { return cat([]byte{0x0c}, uleb(uint64(depth))) }

// pack returns (ptr<<32 | len) from two i32 expressions.
func pack(ptr, n []byte) []byte {
	return cat(ptr, opI64ExtendU, i64c(32), opI64Shl, n, opI64ExtendU, opI64Or)
}

// allocAt is an alloc that always returns addr.
func allocAt(addr int32) wfunc {
	return wfunc{params: []byte{i32}, results: []byte{i32}, body: i32c(addr), export: "alloc"}
}

func transformFn(locals []byte, body ...[]byte) wfunc {
	return wfunc{params: []byte{i32, i32}, results: []byte{i64}, locals: locals, body: cat(body...), export: "transform"}
}

// Test modules.
var (
	// echo returns its input.
	modEcho = wmodule{memPages: 1, memMax: -1, funcs: []wfunc{allocAt(1024), transformFn(nil, pack(get(0), get(1)))}}
	// loop never returns.
	modLoop = wmodule{memPages: 1, memMax: -1, funcs: []wfunc{allocAt(1024), transformFn(nil, opLoop, br(0), opEnd, i64c(0))}}
	// bomb grows memory one page at a time until growth fails, then traps.
	modBomb = wmodule{memPages: 1, memMax: -1, funcs: []wfunc{allocAt(1024), transformFn(nil,
		opLoop, i32c(1), opMemGrow, i32c(-1), opI32Eq, opIf, opUnreach, opEnd, br(0), opEnd, i64c(0))}}
	// oob returns a pointer far outside its one page of memory.
	modOOB = wmodule{memPages: 1, memMax: -1, funcs: []wfunc{allocAt(1024), transformFn(nil, pack(i32c(0x7fff0000), i32c(100)))}}
	// badAlloc returns an alloc pointer outside memory.
	modBadAlloc = wmodule{memPages: 1, memMax: -1, funcs: []wfunc{allocAt(0x7fff0000), transformFn(nil, i64c(0))}}
	// big returns 17 pages of output: over a 1 MiB cap, inside memory.
	modBig = wmodule{memPages: 18, memMax: -1, funcs: []wfunc{allocAt(1024), transformFn(nil, pack(i32c(0), i32c(17*65536)))}}
	// counter keeps a call count in a global and returns it as one byte.
	modCounter = wmodule{memPages: 1, memMax: -1, globals: 1, funcs: []wfunc{allocAt(1024), transformFn(nil,
		gget(0), i32c(1), opI32Add, gset(0), i32c(0), gget(0), store8(0), pack(i32c(0), i32c(1)))}}
	// guestErr reports its input as an error message.
	modGuestErr = wmodule{memPages: 1, memMax: -1, funcs: []wfunc{allocAt(1024), transformFn(nil,
		get(0), opI64ExtendU, i64c(32), opI64Shl, get(1), opI64ExtendU, i64c(1<<31), opI64Or, opI64Or)}}
	// forbidden imports a host function nobody grants.
	modForbidden = wmodule{memPages: 1, memMax: -1, imports: []wimport{{"env", "http_get"}}, funcs: []wfunc{allocAt(1024), transformFn(nil, i64c(0))}}
	// wasiSock imports a WASI socket function.
	modSock = wmodule{memPages: 1, memMax: -1, imports: []wimport{{"wasi_snapshot_preview1", "sock_accept"}}, funcs: []wfunc{allocAt(1024), transformFn(nil, i64c(0))}}
	// noTransform lacks the transform export.
	modNoTransform = wmodule{memPages: 1, memMax: -1, funcs: []wfunc{allocAt(1024)}}
	// wrongSig exports transform returning i32.
	modWrongSig = wmodule{memPages: 1, memMax: -1, funcs: []wfunc{allocAt(1024), {params: []byte{i32, i32}, results: []byte{i32}, body: i32c(0), export: "transform"}}}
)

func opBrIf(depth uint32) []byte { return cat([]byte{0x0d}, uleb(uint64(depth))) }
