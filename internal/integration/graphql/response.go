package graphql

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxErrors is how many upstream errors a Response keeps.
const MaxErrors = 20

// ErrNotGraphQL means an upstream body is not a GraphQL response: not a
// JSON object, or one with neither "data" nor "errors", or with an
// "errors" member that is not a list of error objects.
var ErrNotGraphQL = errors.New("graphql: not a GraphQL response")

// Response is a parsed GraphQL response (GraphQL spec, section 7).
type Response struct {
	// Data is the "data" member as sent ("null" included); nil when absent.
	Data json.RawMessage
	// Errors are the first MaxErrors members of "errors", each a JSON
	// object, as the upstream sent them.
	Errors []json.RawMessage
	// ErrorCount is the length of "errors" (which may exceed len(Errors)).
	ErrorCount int
}

// HasData reports whether "data" is present and not null.
func (r *Response) HasData() bool { return r.Data != nil && !bytes.Equal(r.Data, []byte("null")) }

// Partial reports whether the response has both data and errors.
func (r *Response) Partial() bool { return r.HasData() && r.ErrorCount > 0 }

// ParseResponse parses an upstream body. It never keeps more of b than
// the members it returns.
func ParseResponse(b []byte) (*Response, error) {
	var raw struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, ErrNotGraphQL
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotGraphQL, err)
	}
	resp := &Response{Data: raw.Data}
	if raw.Errors != nil && !bytes.Equal(raw.Errors, []byte("null")) {
		var errs []json.RawMessage
		if err := json.Unmarshal(raw.Errors, &errs); err != nil {
			return nil, fmt.Errorf("%w: errors is not a list", ErrNotGraphQL)
		}
		for _, e := range errs {
			if len(e) == 0 || e[0] != '{' {
				return nil, fmt.Errorf("%w: an error is not an object", ErrNotGraphQL)
			}
		}
		resp.ErrorCount = len(errs)
		if len(errs) > MaxErrors {
			errs = errs[:MaxErrors]
		}
		resp.Errors = errs
	}
	if resp.Data == nil && resp.ErrorCount == 0 {
		return nil, fmt.Errorf("%w: neither data nor errors", ErrNotGraphQL)
	}
	return resp, nil
}
