package app

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/portico/portico/internal/console"
)

func TestWithConsole(t *testing.T) {
	web, err := console.New(console.Config{FS: fstest.MapFS{"index.html": {Data: []byte("shell")}}})
	if err != nil {
		t.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("next")) })
	h := WithConsole(web, next)
	for path, want := range map[string]string{
		"/console/":           "shell",
		"/console/apis/shop":  "shell",
		"/admin/v1/me":        "next",
		"/t/demo/v1/items/42": "next",
		"/t/demo/console/x":   "next",
		"/consoleish":         "next",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Body.String() != want {
			t.Errorf("%s answered %q, want %q", path, rec.Body, want)
		}
	}
}

func TestConsoleDirDefault(t *testing.T) {
	e, err := LoadEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if e.ConsoleDir != console.DefaultDir {
		t.Fatalf("ConsoleDir = %q, want %q", e.ConsoleDir, console.DefaultDir)
	}
}
