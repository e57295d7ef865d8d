package lambdatest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Function is a real Lambda bootstrap built from a main package and running
// against a FakeRuntime.
type Function struct {
	Runtime *FakeRuntime
	// ColdStart is the time from process start to the end of the first Invoke.
	ColdStart time.Duration
	started   time.Time
	invoked   bool
}

// StartFunction builds the main package in dir (with the lambda.norpc tag,
// as `make build` does) and runs it with env plus AWS_LAMBDA_RUNTIME_API
// pointing at a new FakeRuntime. The process is killed at cleanup, and its
// output is logged if the test failed.
func StartFunction(t testing.TB, dir string, env ...string) *Function {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	rt := NewFakeRuntime(t)
	cmd := exec.Command(bin)
	cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + rt.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=" + filepath.Base(dir),
		"PATH=" + os.Getenv("PATH"),
	}, env...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	f := &Function{Runtime: rt, started: time.Now()}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(dir), logs.String())
		}
	})
	return f
}

// HTTP sends an API Gateway HTTP API (payload 2.0) event built from base
// (a fixture's JSON) with the given method, raw path and headers, and
// returns the decoded response event.
func (f *Function) HTTP(ctx context.Context, base []byte, method, rawPath string, headers map[string]string, body string) (events.APIGatewayV2HTTPResponse, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(base, &ev); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("decode base event: %w", err)
	}
	path, query, _ := strings.Cut(rawPath, "?")
	ev.RawPath, ev.RawQueryString, ev.QueryStringParameters = path, query, nil
	ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = method, path
	ev.Body, ev.IsBase64Encoded = body, false
	ev.Cookies = nil
	ev.Headers = map[string]string{}
	for k, v := range headers {
		ev.Headers[strings.ToLower(k)] = v
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("encode event: %w", err)
	}
	out, err := f.Runtime.Invoke(ctx, payload)
	if !f.invoked {
		f.invoked = true
		f.ColdStart = time.Since(f.started)
	}
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return resp, fmt.Errorf("decode response %s: %w", out, err)
	}
	return resp, nil
}
