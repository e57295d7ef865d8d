package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// TestResult is the outcome of one test case.
type TestResult struct {
	Name string `json:"name"`
	Pass bool   `json:"pass"`
	// Detail says what differed or what failed, when Pass is false.
	Detail string `json:"detail,omitempty"`
	// Output is the body the transform produced (nil after an error).
	Output json.RawMessage `json:"output,omitempty"`
}

// RunTests runs every test case of the document on a fresh copy of its
// input and reports pass or fail per case. A transform whose cases do not
// all pass must not be published (see AllPassed).
func (t *Transform) RunTests(ctx context.Context) []TestResult {
	out := make([]TestResult, 0, len(t.tests))
	for _, tc := range t.tests {
		out = append(out, t.runTest(ctx, tc))
	}
	return out
}

// AllPassed reports whether every result passed.
func AllPassed(rs []TestResult) bool {
	for _, r := range rs {
		if !r.Pass {
			return false
		}
	}
	return true
}

func (t *Transform) runTest(ctx context.Context, tc TestCase) TestResult {
	r := TestResult{Name: tc.Name}
	m := copyMessage(tc.Input)
	err := t.Apply(ctx, &m)
	if tc.ExpectError != nil {
		var se *StepError
		switch {
		case err == nil:
			r.Detail = fmt.Sprintf("expected step %d to fail; the transform succeeded", tc.ExpectError.Step)
		case !errors.As(err, &se):
			r.Detail = "unexpected error: " + err.Error()
		case se.Step != tc.ExpectError.Step:
			r.Detail = fmt.Sprintf("expected step %d to fail; %s", tc.ExpectError.Step, se.Error())
		case tc.ExpectError.Path != "" && se.Path != tc.ExpectError.Path:
			r.Detail = fmt.Sprintf("expected a failure at %q; %s", tc.ExpectError.Path, se.Error())
		default:
			r.Pass = true
		}
		return r
	}
	if err != nil {
		r.Detail = err.Error()
		return r
	}
	got, err := json.Marshal(m.Body)
	if err != nil {
		r.Detail = "output is not JSON: " + err.Error()
		return r
	}
	r.Output = got
	e := tc.Expect
	if len(e.Body) > 0 {
		want, err := canonicalJSON(e.Body)
		if err != nil {
			r.Detail = "expect.body is not JSON"
			return r
		}
		if !bytes.Equal(got, want) {
			r.Detail = fmt.Sprintf("body: got %s, want %s", got, want)
			return r
		}
	}
	for k, v := range e.Headers {
		if g := m.Headers.Get(k); g != v || (v == "" && len(m.Headers.Values(k)) > 0) {
			r.Detail = fmt.Sprintf("header %s: got %q, want %q", http.CanonicalHeaderKey(k), g, v)
			return r
		}
	}
	if e.Status != 0 && m.Status != e.Status {
		r.Detail = fmt.Sprintf("status: got %d, want %d", m.Status, e.Status)
		return r
	}
	r.Pass = true
	return r
}

// canonicalJSON re-encodes raw the way json.Marshal encodes a decoded body
// (sorted keys, compact), so byte comparison is value comparison.
func canonicalJSON(raw []byte) ([]byte, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func copyMessage(m Message) Message {
	c := m
	c.Body = deepCopy(m.Body)
	if m.Headers != nil {
		c.Headers = m.Headers.Clone()
	}
	if m.Claims != nil {
		c.Claims, _ = deepCopy(m.Claims).(map[string]any)
	}
	return c
}
