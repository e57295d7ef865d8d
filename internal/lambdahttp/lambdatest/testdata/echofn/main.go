// Command echofn is a test Lambda function: lambdahttp.Handler around a
// handler that echoes what it saw as JSON. Built and run by lambdatest's
// end-to-end test; testdata keeps it out of go build ./... .
package main

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/portico/portico/internal/lambdahttp"
)

func main() {
	lambda.Start(lambdahttp.Handler(http.HandlerFunc(echo)))
}

func echo(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/panic" {
		panic("echofn: asked to panic")
	}
	body, _ := io.ReadAll(r.Body)
	deadline, _ := r.Context().Deadline()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("Set-Cookie", "echo=1; Path=/")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"method":     r.Method,
		"path":       r.URL.Path,
		"query":      r.URL.RawQuery,
		"remoteAddr": r.RemoteAddr,
		"cookie":     r.Header.Get("Cookie"),
		"body":       string(body),
		"deadlineMs": deadline.UnixMilli(),
		"now":        time.Now().UnixMilli(),
	})
}
