package echo_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/echo"
	"github.com/portico/portico/internal/problem"
)

var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)

func newHandler() *echo.Handler {
	return echo.New(echo.Config{Now: func() time.Time { return fixedNow }})
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", w.Body.String(), err)
	}
	return v
}

func TestEcho(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		target      string
		body        string
		contentType string
		wantBody    any
	}{
		{name: "get with query", method: "GET", target: "/orders/42?expand=items&x=1&x=2", wantBody: nil},
		{name: "json body parsed", method: "POST", target: "/orders", body: `{"qty":3,"tags":["a"]}`,
			contentType: "application/json; charset=utf-8", wantBody: map[string]any{"qty": 3.0, "tags": []any{"a"}}},
		{name: "problem+json parsed", method: "PUT", target: "/p", body: `[1,2]`,
			contentType: "application/problem+json", wantBody: []any{1.0, 2.0}},
		{name: "invalid json kept as text", method: "POST", target: "/orders", body: `{"qty":`,
			contentType: "application/json", wantBody: `{"qty":`},
		{name: "two json values kept as text", method: "POST", target: "/orders", body: `{} {}`,
			contentType: "application/json", wantBody: `{} {}`},
		{name: "text body", method: "PATCH", target: "/notes/1", body: "hello", contentType: "text/plain", wantBody: "hello"},
		{name: "json without content type is text", method: "POST", target: "/x", body: `{"a":1}`, wantBody: `{"a":1}`},
		{name: "items with another method is echoed", method: "DELETE", target: "/items/1", wantBody: nil},
	}
	h := newHandler()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			r.Header.Set("X-Request-Id", "req-1")
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			w := serve(h, r)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("response = %d %s: %s", w.Code, w.Header().Get("Content-Type"), w.Body.String())
			}
			type reply struct {
				Method     string              `json:"method"`
				Path       string              `json:"path"`
				Query      map[string][]string `json:"query"`
				Headers    map[string][]string `json:"headers"`
				Body       any                 `json:"body"`
				ReceivedAt time.Time           `json:"receivedAt"`
			}
			got := decode[reply](t, w)
			wantQuery := map[string][]string(r.URL.Query())
			if got.Method != tt.method || got.Path != r.URL.Path || !reflect.DeepEqual(got.Query, wantQuery) {
				t.Errorf("got %s %s %v, want %s %s %v", got.Method, got.Path, got.Query, tt.method, r.URL.Path, wantQuery)
			}
			if got.Headers["X-Request-Id"][0] != "req-1" {
				t.Errorf("headers = %v", got.Headers)
			}
			if !reflect.DeepEqual(got.Body, tt.wantBody) {
				t.Errorf("body = %#v, want %#v", got.Body, tt.wantBody)
			}
			if !got.ReceivedAt.Equal(fixedNow) {
				t.Errorf("receivedAt = %v", got.ReceivedAt)
			}
		})
	}
}

func TestEchoLargeNumbersKeepPrecision(t *testing.T) {
	r := httptest.NewRequest("POST", "/x", strings.NewReader(`{"id":12345678901234567890}`))
	r.Header.Set("Content-Type", "application/json")
	w := serve(newHandler(), r)
	if !strings.Contains(w.Body.String(), `"body":{"id":12345678901234567890}`) {
		t.Errorf("number altered: %s", w.Body.String())
	}
}

func TestEchoBodyLimit(t *testing.T) {
	tests := []struct {
		name string
		size int
		want int
	}{
		{"at the limit", 1 << 20, http.StatusOK},
		{"over the limit", 1<<20 + 1, http.StatusRequestEntityTooLarge},
	}
	h := echo.New(echo.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, httptest.NewRequest("POST", "/upload", strings.NewReader(strings.Repeat("a", tt.size))))
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			if tt.want != http.StatusOK && w.Header().Get("Content-Type") != problem.ContentType {
				t.Errorf("Content-Type = %q, want a problem", w.Header().Get("Content-Type"))
			}
		})
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		path     string
		want     int
		wantBody bool
	}{
		{"/status/200", 200, true},
		{"/status/201", 201, true},
		{"/status/204", 204, false},
		{"/status/304", 304, false},
		{"/status/418", 418, true},
		{"/status/503", 503, true},
		{"/status/599", 599, true},
		{"/status/100", 400, true},
		{"/status/199", 400, true},
		{"/status/99", 400, true},
		{"/status/600", 400, true},
		{"/status/-1", 400, true},
		{"/status/abc", 400, true},
		{"/status/2e2", 400, true},
	}
	h := newHandler()
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := serve(h, httptest.NewRequest("GET", tt.path, nil))
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			if got := w.Body.Len() > 0; got != tt.wantBody {
				t.Errorf("has body = %v, want %v (%q)", got, tt.wantBody, w.Body.String())
			}
			if tt.want == 400 {
				p := decode[problem.Problem](t, w)
				if p.Status != 400 || p.ErrorID == "" {
					t.Errorf("problem = %+v", p)
				}
			}
		})
	}
}

func TestItems(t *testing.T) {
	h := newHandler()
	t.Run("deterministic", func(t *testing.T) {
		first := decode[echo.Item](t, serve(h, httptest.NewRequest("GET", "/items/42", nil)))
		again := decode[echo.Item](t, serve(h, httptest.NewRequest("GET", "/items/42", nil)))
		other := decode[echo.Item](t, serve(h, httptest.NewRequest("GET", "/items/43", nil)))
		if first != again {
			t.Errorf("same id, different items: %+v vs %+v", first, again)
		}
		if first.ID != "42" || first.Name != "Item 42" {
			t.Errorf("item = %+v", first)
		}
		if first.Price < 1 || first.Price > 1000.99 || first.Price == other.Price {
			t.Errorf("prices %v and %v", first.Price, other.Price)
		}
		if first != echo.NewItem("42") {
			t.Errorf("served %+v, NewItem gives %+v", first, echo.NewItem("42"))
		}
	})
	tests := []struct {
		path string
		want int
	}{
		{"/items/abc-DEF_9", 200},
		{"/items/" + strings.Repeat("a", 64), 200},
		{"/items/" + strings.Repeat("a", 65), 400},
		{"/items/a.b", 400},
		{"/items/%3Cscript%3E", 400},
	}
	for _, tt := range tests {
		t.Run(tt.path[:min(len(tt.path), 20)], func(t *testing.T) {
			if w := serve(h, httptest.NewRequest("GET", tt.path, nil)); w.Code != tt.want {
				t.Errorf("status = %d, want %d: %s", w.Code, tt.want, w.Body.String())
			}
		})
	}
}

func FuzzEchoBody(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[`, `1 2`, `"x"`, `null`, ``, "\xff"} {
		f.Add(s, "application/json")
	}
	h := newHandler()
	f.Fuzz(func(t *testing.T, body, contentType string) {
		r := httptest.NewRequest("POST", "/f", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := serve(h, r)
		if w.Code != http.StatusOK || !json.Valid(w.Body.Bytes()) {
			t.Fatalf("status %d, body %q", w.Code, w.Body.String())
		}
	})
}
