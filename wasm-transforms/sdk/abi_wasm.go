//go:build wasip1

package sdk

import "unsafe"

// errorFlag in the returned length marks the payload as an error message.
const errorFlag = 1 << 31

var (
	// inBuf holds the host's input; kept reachable so the GC never frees
	// memory the host is writing into.
	inBuf []byte
	// outBuf holds the last output until the next call.
	outBuf []byte
)

// alloc returns a buffer of n bytes for the host to write into. The buffer
// is reused across calls.
//
//go:wasmexport alloc
func alloc(n uint32) unsafe.Pointer {
	if cap(inBuf) < int(n) {
		inBuf = make([]byte, n)
	}
	inBuf = inBuf[:n]
	if n == 0 {
		inBuf = inBuf[:1]
		return unsafe.Pointer(&inBuf[0])
	}
	return unsafe.Pointer(&inBuf[0])
}

//go:wasmexport transform
func transform(ptr unsafe.Pointer, n uint32) uint64 {
	in := unsafe.Slice((*byte)(ptr), n)
	if handler == nil {
		return result([]byte("sdk: no handler registered (call sdk.Handle in init)"), true)
	}
	out, err := handler(in)
	if err != nil {
		return result([]byte(err.Error()), true)
	}
	return result(out, false)
}

//go:wasmexport configure
func configureExport(ptr unsafe.Pointer, n uint32) int32 {
	if configure == nil {
		return 0
	}
	cfg := append([]byte(nil), unsafe.Slice((*byte)(ptr), n)...)
	if err := configure(cfg); err != nil {
		println("configure:", err.Error())
		return 1
	}
	return 0
}

func result(b []byte, isErr bool) uint64 {
	outBuf = b
	if len(b) == 0 {
		return 0
	}
	n := uint64(len(b))
	if isErr {
		n |= errorFlag
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))<<32 | n
}
