package graphql

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseResponse(t *testing.T) {
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"message":"x"},`, MaxErrors+5), ",") + "]"
	tests := []struct {
		name      string
		body      string
		data      string
		errs      int
		kept      int
		partial   bool
		notGraphQ bool
	}{
		{"data", `{"data":{"order":{"id":"1"}}}`, `{"order":{"id":"1"}}`, 0, 0, false, false},
		{"errors only", `{"errors":[{"message":"boom","path":["order"]}]}`, "", 1, 1, false, false},
		{"null data and errors", `{"data":null,"errors":[{"message":"boom"}]}`, "null", 1, 1, false, false},
		{"null data alone", `{"data":null}`, "null", 0, 0, false, false},
		{"partial", `{"data":{"a":1,"b":null},"errors":[{"message":"b failed","path":["b"]}]}`, `{"a":1,"b":null}`, 1, 1, true, false},
		{"empty errors list", `{"data":{"a":1},"errors":[]}`, `{"a":1}`, 0, 0, false, false},
		{"extensions ignored", ` {"data":{},"extensions":{"cost":3}} `, `{}`, 0, 0, false, false},
		{"errors kept up to MaxErrors", `{"errors":` + many + `}`, "", MaxErrors + 5, MaxErrors, false, false},
		{"not an object", `[1]`, "", 0, 0, false, true},
		{"html", `<html>502</html>`, "", 0, 0, false, true},
		{"empty", ``, "", 0, 0, false, true},
		{"neither member", `{"message":"hi"}`, "", 0, 0, false, true},
		{"errors not a list", `{"errors":{"message":"x"}}`, "", 0, 0, false, true},
		{"error not an object", `{"errors":["x"]}`, "", 0, 0, false, true},
		{"truncated", `{"data":{"a":`, "", 0, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseResponse([]byte(tt.body))
			if tt.notGraphQ {
				if !errors.Is(err, ErrNotGraphQL) {
					t.Fatalf("err = %v, want ErrNotGraphQL", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Data) != tt.data || r.ErrorCount != tt.errs || len(r.Errors) != tt.kept || r.Partial() != tt.partial {
				t.Fatalf("got data=%s errors=%d kept=%d partial=%v", r.Data, r.ErrorCount, len(r.Errors), r.Partial())
			}
		})
	}
}

// FuzzParseResponse: upstream bodies are untrusted.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{`{"data":{"a":1}}`, `{"errors":[{"message":"x"}]}`, `{"data":null,"errors":null}`, `{"data":1,"errors":[{}]}`, `[]`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			if !errors.Is(err, ErrNotGraphQL) {
				t.Fatalf("error %v does not wrap ErrNotGraphQL", err)
			}
			return
		}
		if r.Data == nil && r.ErrorCount == 0 {
			t.Fatalf("accepted %q with neither data nor errors", b)
		}
		if len(r.Errors) > MaxErrors || len(r.Errors) > r.ErrorCount {
			t.Fatal(fmt.Sprint("kept ", len(r.Errors), " of ", r.ErrorCount))
		}
		for _, e := range r.Errors {
			if e[0] != '{' {
				t.Fatalf("kept a non-object error %q", e)
			}
		}
	})
}
