// Package csvjson turns CSV (a header row, then records) into a JSON array
// of objects keyed by the header. Values stay strings.
package csvjson

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"

	"github.com/portico/portico/wasm-transforms/sdk"
)

// Apply appends the JSON form of the CSV document to dst.
func Apply(dst, doc []byte) ([]byte, error) {
	r := csv.NewReader(bytes.NewReader(doc))
	r.ReuseRecord = true
	head, err := r.Read()
	if err == io.EOF {
		return append(dst, "[]"...), nil
	}
	if err != nil {
		return nil, err
	}
	keys := make([][]byte, len(head))
	for i, h := range head {
		keys[i] = sdk.AppendString(nil, []byte(h))
	}
	if len(keys) == 0 {
		return nil, errors.New("csvjson: empty header")
	}
	dst = append(dst, '[')
	for n := 0; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		for i, v := range rec {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, keys[i]...)
			dst = append(dst, ':')
			dst = sdk.AppendString(dst, []byte(v))
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}
