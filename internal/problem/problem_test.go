package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.1:5432: secret internal detail")
	tests := []struct {
		name       string
		p          *Problem
		wantStatus int
		wantType   string
		wantHeader map[string]string
	}{
		{"validation", Validation([]FieldError{{Pointer: "/path", Detail: "must start with /"}}), 400, TypeBase + "validation", nil},
		{"not found", NotFound("no such thing"), 404, TypeBase + "not-found", nil},
		{"conflict", Conflict("exists"), 409, TypeBase + "conflict", nil},
		{"bad request with pointer", BadRequest("/limit", "too big"), 400, TypeBase + "bad-request", nil},
		{"internal hides cause", Internal(cause), 500, TypeBase + "internal", nil},
		{"extra headers", func() *Problem {
			p := New(429, "rate-limited", "Too Many Requests", "slow down")
			p.Headers = http.Header{"Retry-After": {"3"}}
			return p
		}(), 429, TypeBase + "rate-limited", map[string]string{"Retry-After": "3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			id := Write(rec, tc.p)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if ct := rec.Header().Get("Content-Type"); ct != ContentType {
				t.Errorf("Content-Type %q", ct)
			}
			for k, v := range tc.wantHeader {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			body := rec.Body.String()
			if strings.Contains(body, "secret internal detail") {
				t.Fatalf("body leaks the cause: %s", body)
			}
			var got Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Type != tc.wantType || got.Status != tc.wantStatus || got.ErrorID == "" || got.ErrorID != id {
				t.Errorf("decoded %+v, want type %s status %d and error id %q", got, tc.wantType, tc.wantStatus, id)
			}
			if len(tc.p.Errors) != len(got.Errors) {
				t.Errorf("errors %v, want %v", got.Errors, tc.p.Errors)
			}
		})
	}
}

func TestFromFindsProblemInChain(t *testing.T) {
	p := NotFound("x")
	if got := From(fmt.Errorf("load: %w", p)); got != p {
		t.Fatalf("From did not find the wrapped problem: %v", got)
	}
	if got := From(errors.New("boom")); got.Status != 500 || got.Cause == nil {
		t.Fatalf("From(plain error) = %+v, want a 500 keeping the cause", got)
	}
	if !errors.Is(Internal(errPlain), errPlain) {
		t.Fatal("Internal does not unwrap to its cause")
	}
}

var errPlain = errors.New("plain")
