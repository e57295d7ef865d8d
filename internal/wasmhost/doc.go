// Package wasmhost runs tenant WebAssembly transforms in wazero.
//
// A Host owns one wazero runtime (memory limit, deadline enforcement,
// optional on-disk compilation cache). Load validates an uploaded module
// (size, header, imports, the ABI exports), compiles it once per content
// hash, and warms one instance; Module.Call runs the guest's transform on a
// pooled instance under a deadline and an output cap. A trap, a timeout or
// an ABI violation fails that call with a *CallError and discards the
// instance; the host keeps serving.
//
// The guest gets WASI with nothing behind it: no files, no environment, no
// arguments, no sockets, a fake clock and a deterministic random source
// unless Grants say otherwise; stdout and stderr are captured per call and
// size-capped. The ABI is documented in docs/wasm-abi.md.
package wasmhost
