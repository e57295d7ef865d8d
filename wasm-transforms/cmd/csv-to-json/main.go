// Command csv-to-json is the CSV-to-JSON transform as a WebAssembly reactor.
package main

import (
	"github.com/portico/portico/wasm-transforms/examples/csvjson"
	"github.com/portico/portico/wasm-transforms/sdk"
)

var out []byte

func init() {
	sdk.Handle(func(in []byte) ([]byte, error) {
		var err error
		out, err = csvjson.Apply(out[:0], in)
		return out, err
	})
}

func main() {}
