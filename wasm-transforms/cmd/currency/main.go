// Command currency is the currency-conversion transform as a WebAssembly
// reactor; its rate table comes from the module configuration.
package main

import (
	"errors"

	"github.com/portico/portico/wasm-transforms/examples/currency"
	"github.com/portico/portico/wasm-transforms/sdk"
)

var (
	conv *currency.Converter
	out  []byte
)

func init() {
	sdk.Configure(func(cfg []byte) (err error) {
		conv, err = currency.New(cfg)
		return err
	})
	sdk.Handle(func(in []byte) ([]byte, error) {
		if conv == nil {
			return nil, errors.New("currency: not configured")
		}
		var err error
		out, err = conv.Apply(out[:0], in)
		return out, err
	})
}

func main() {}
