package wasmhost

import (
	"errors"
	"fmt"
)

// ABI names (docs/wasm-abi.md).
const (
	ExportAlloc     = "alloc"
	ExportTransform = "transform"
	ExportConfigure = "configure"
	ExportMemory    = "memory"
	// errorFlag in the length half of transform's result marks the payload
	// as an error message rather than output.
	errorFlag = 1 << 31
)

var (
	// ErrTooLarge is a module, input, output or config over its limit.
	ErrTooLarge = errors.New("wasm: over the size limit")
	// ErrInvalidModule is bytes that are not a valid WebAssembly module.
	ErrInvalidModule = errors.New("wasm: invalid module")
	// ErrForbiddenImport is a module importing something the host does not
	// grant.
	ErrForbiddenImport = errors.New("wasm: forbidden import")
	// ErrABI is a module that does not follow the transform ABI (missing
	// export, wrong signature, a pointer outside its memory).
	ErrABI = errors.New("wasm: ABI violation")
	// ErrTrap is a guest that trapped or exited (memory exhausted,
	// unreachable, panic).
	ErrTrap = errors.New("wasm: guest trapped")
	// ErrDeadline is a call stopped at its deadline.
	ErrDeadline = errors.New("wasm: deadline exceeded")
	// ErrGuest is an error the guest reported through the ABI.
	ErrGuest = errors.New("wasm: guest reported an error")
	// ErrClosed is a load on a host that was closed.
	ErrClosed = errors.New("wasm: host closed")
)

// CallError is a failed call: which module, what went wrong, and the
// guest's captured output (capped), for the transform's log.
type CallError struct {
	Module string // the module's name (LoadOptions.Name) or hash
	Err    error
	// Message is the guest's own error text (ErrGuest only).
	Message string
	Log     []byte
}

func (e *CallError) Error() string {
	msg := fmt.Sprintf("transform module %s: %v", e.Module, e.Err)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

func (e *CallError) Unwrap() error { return e.Err }
