// Package sdk hides Portico's transform ABI (docs/wasm-abi.md) from a Go
// guest built with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared.
//
// A transform registers its function in an init func (a reactor never runs
// main):
//
//	func init() { sdk.Handle(func(in []byte) ([]byte, error) { ... }) }
//
// and, when it takes configuration, sdk.Configure. The package exports the
// ABI's alloc, transform and configure functions. It also offers Rewrite, a
// reflection-free JSON rewriter: encoding/json costs a guest about 12x
// native on the hot path; a single tight loop about 1.1x, but branchy
// byte-level JSON code still ~7x (every taken branch is dear; see
// docs/wasm-abi.md).
package sdk

// Func transforms one input document into one output document.
type Func func(in []byte) ([]byte, error)

var (
	handler   Func
	configure func(cfg []byte) error
)

// Handle registers the transform. Call it from an init func.
func Handle(f Func) { handler = f }

// Configure registers the function receiving the module's configuration,
// once per instance, before any call. Call it from an init func.
func Configure(f func(cfg []byte) error) { configure = f }
