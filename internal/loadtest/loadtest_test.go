package loadtest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		_, _ = w.Write([]byte("hello"))
	}))
	defer srv.Close()
	tests := []struct {
		name   string
		path   string
		errors bool
	}{
		{"ok", "/", false},
		{"errors counted", "/bad", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(t.Context(), Config{URL: srv.URL + tt.path, Client: srv.Client(), Rate: 500, Duration: 200 * time.Millisecond, BodyLen: 5})
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != 100 {
				t.Errorf("sent %d, want 100", res.Sent)
			}
			if got := res.Errors > 0; got != tt.errors {
				t.Errorf("errors = %d (%s)", res.Errors, res.FirstError)
			}
			if !tt.errors && (len(res.Latencies) != 100 || res.Percentile(99) <= 0 || res.Percentile(50) > res.Percentile(99)) {
				t.Errorf("latencies: %d, p50 %v, p99 %v", len(res.Latencies), res.Percentile(50), res.Percentile(99))
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	r := &Result{}
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i))
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {100, 100}, {0.1, 1}} {
		if got := r.Percentile(tc.p); got != tc.want {
			t.Errorf("p%g = %v, want %v", tc.p, got, tc.want)
		}
	}
}
