// Package currency converts money amounts in a JSON document with a rate
// table given as the transform's configuration:
//
//	{"from": "USD", "to": "EUR", "rates": {"USD": 1, "EUR": 0.92}, "fields": ["price", "total"]}
//
// Numbers under the listed keys are multiplied by rates[to]/rates[from] and
// rounded to cents; string values under "currency" equal to from become to.
package currency

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"github.com/portico/portico/wasm-transforms/sdk"
)

// Config is the rate table.
type Config struct {
	From   string             `json:"from"`
	To     string             `json:"to"`
	Rates  map[string]float64 `json:"rates"`
	Fields []string           `json:"fields"`
}

// Converter applies one configuration.
type Converter struct {
	factor   float64
	from, to []byte
	fields   map[string]bool
	visitor  *sdk.Visitor
	rw       sdk.Rewriter
}

// New validates cfg (JSON; decoded once per instance, off the hot path).
func New(cfg []byte) (*Converter, error) {
	var c Config
	if err := json.Unmarshal(cfg, &c); err != nil {
		return nil, err
	}
	rf, okf := c.Rates[c.From]
	rt, okt := c.Rates[c.To]
	if !okf || !okt || rf <= 0 || rt <= 0 {
		return nil, errors.New("currency: from and to need positive rates")
	}
	if len(c.Fields) == 0 {
		return nil, errors.New("currency: fields is required")
	}
	cv := &Converter{factor: rt / rf, from: []byte(c.From), to: []byte(c.To), fields: map[string]bool{}}
	for _, f := range c.Fields {
		cv.fields[f] = true
	}
	cv.visitor = &sdk.Visitor{Number: cv.number, String: cv.str}
	return cv, nil
}

func (c *Converter) number(dst, key, raw []byte) []byte {
	if !c.fields[string(key)] {
		return append(dst, raw...)
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return append(dst, raw...)
	}
	return strconv.AppendFloat(dst, math.Round(v*c.factor*100)/100, 'f', -1, 64)
}

func (c *Converter) str(dst, key, s []byte) []byte {
	if string(key) == "currency" && string(s) == string(c.from) {
		return append(dst, c.to...)
	}
	return append(dst, s...)
}

// Apply appends the converted copy of doc to dst. Not safe for concurrent
// use (it reuses buffers).
func (c *Converter) Apply(dst, doc []byte) ([]byte, error) { return c.rw.Rewrite(dst, doc, c.visitor) }
