// Command pii-mask is the PII-masking transform as a WebAssembly reactor.
package main

import (
	"github.com/portico/portico/wasm-transforms/examples/piimask"
	"github.com/portico/portico/wasm-transforms/sdk"
)

var (
	masker piimask.Masker
	out    []byte
)

func init() {
	sdk.Handle(func(in []byte) ([]byte, error) {
		var err error
		out, err = masker.Apply(out[:0], in)
		return out, err
	})
}

func main() {}
