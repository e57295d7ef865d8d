//go:build race

package wasmhost

// raceEnabled: under the race detector wazero's compiler runs ~30x slower
// (a Go guest takes ~17 s to compile instead of ~0.5 s), so the Go-guest
// tests skip; the host's concurrency is covered by the hand-built modules.
const raceEnabled = true
