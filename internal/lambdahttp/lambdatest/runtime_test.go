package lambdatest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico/portico/internal/lambdahttp/lambdatest"
)

// buildEchofn compiles testdata/echofn into a temporary bootstrap binary.
func buildEchofn(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./testdata/echofn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build echofn: %v\n%s", err, out)
	}
	return bin
}

// startFunction runs bin against rt and kills it at cleanup.
func startFunction(t *testing.T, bin string, rt *lambdatest.FakeRuntime) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + rt.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=echofn",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"PATH=" + os.Getenv("PATH"),
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start function: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("function output:\n%s", logs.String())
		}
	})
}

func v2Event(t *testing.T, mod func(*events.APIGatewayV2HTTPRequest)) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/apigw-v2-request-no-authorizer.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(&ev)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEchofnEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Lambda binary")
	}
	bin := buildEchofn(t)
	rt := lambdatest.NewFakeRuntime(t)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	start := time.Now()
	startFunction(t, bin, rt)
	raw, err := rt.Invoke(ctx, v2Event(t, func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RequestContext.HTTP.Method = "POST"
		ev.RawPath = "/echo/me"
		ev.RawQueryString = "a=1&a=2"
		ev.Cookies = []string{"s=1", "t=2"}
		ev.Body = "hello"
	}))
	coldStart := time.Since(start)
	if err != nil {
		t.Fatalf("Invoke() error = %v", err)
	}
	t.Logf("cold start (process start to first response): %v", coldStart)

	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("decode response event: %v\n%s", err, raw)
	}
	if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("response = %+v", resp)
	}
	if len(resp.Cookies) != 1 || resp.Cookies[0] != "echo=1; Path=/" {
		t.Errorf("response cookies = %q", resp.Cookies)
	}
	var saw struct {
		Method, Path, Query, RemoteAddr, Cookie, Body string
		DeadlineMs, Now                               int64
	}
	if err := json.Unmarshal([]byte(resp.Body), &saw); err != nil {
		t.Fatalf("decode echo: %v\n%s", err, resp.Body)
	}
	if saw.Method != "POST" || saw.Path != "/echo/me" || saw.Query != "a=1&a=2" || saw.Body != "hello" ||
		saw.RemoteAddr != "1.2.3.4:0" || saw.Cookie != "s=1; t=2" {
		t.Errorf("function saw %+v", saw)
	}
	// The request context carries the deadline the runtime announced
	// (Invoke uses ctx's deadline).
	wantDeadline, _ := ctx.Deadline()
	if saw.DeadlineMs != wantDeadline.UnixMilli() {
		t.Errorf("handler deadline = %d, want %d", saw.DeadlineMs, wantDeadline.UnixMilli())
	}

	// Warm invocations reuse the process.
	for i := range 3 {
		warm := time.Now()
		if _, err := rt.Invoke(ctx, v2Event(t, nil)); err != nil {
			t.Fatalf("warm invoke %d: %v", i, err)
		}
		t.Logf("warm invoke %d: %v", i, time.Since(warm))
	}

	// A panicking handler fails only its invocation.
	_, err = rt.Invoke(ctx, v2Event(t, func(ev *events.APIGatewayV2HTTPRequest) { ev.RawPath = "/panic" }))
	var fe *lambdatest.FunctionError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "asked to panic") {
		t.Fatalf("Invoke(/panic) error = %v, want a FunctionError about the panic", err)
	}
	if _, err := rt.Invoke(ctx, v2Event(t, nil)); err != nil {
		t.Fatalf("invoke after panic: %v", err)
	}
}

func TestInvokeHonoursContext(t *testing.T) {
	rt := lambdatest.NewFakeRuntime(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := rt.Invoke(ctx, []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Invoke() error = %v, want context.Canceled (no function is polling)", err)
	}
}

func TestInvokeAfterClose(t *testing.T) {
	rt := lambdatest.NewFakeRuntime(t)
	rt.Close()
	if _, err := rt.Invoke(t.Context(), []byte(`{}`)); !errors.Is(err, lambdatest.ErrClosed) {
		t.Fatalf("Invoke() error = %v, want ErrClosed", err)
	}
}

// post sends a Runtime API request the way a runtime client would.
func post(t *testing.T, rt *lambdatest.FakeRuntime, path, errType, body string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+rt.Addr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if errType != "" {
		req.Header.Set("Lambda-Runtime-Function-Error-Type", errType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRuntimeProtocol(t *testing.T) {
	rt := lambdatest.NewFakeRuntime(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	type outcome struct {
		payload []byte
		err     error
	}
	invoke := func(event string) <-chan outcome {
		ch := make(chan outcome, 1)
		go func() {
			p, err := rt.Invoke(ctx, []byte(event))
			ch <- outcome{p, err}
		}()
		return ch
	}
	next := func() (id string, h http.Header, body string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+rt.Addr()+"/2018-06-01/runtime/invocation/next", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Header.Get("Lambda-Runtime-Aws-Request-Id"), resp.Header, string(b)
	}

	// Success.
	done := invoke(`{"n":1}`)
	id, h, body := next()
	if body != `{"n":1}` || id == "" || h.Get("Lambda-Runtime-Invoked-Function-Arn") != lambdatest.FunctionARN {
		t.Fatalf("next = %q %v %q", id, h, body)
	}
	deadline, err := strconv.ParseInt(h.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if want, _ := ctx.Deadline(); err != nil || deadline != want.UnixMilli() {
		t.Errorf("Lambda-Runtime-Deadline-Ms = %q, want %d", h.Get("Lambda-Runtime-Deadline-Ms"), want.UnixMilli())
	}
	if code := post(t, rt, "/2018-06-01/runtime/invocation/"+id+"/response", "", `"pong"`); code != http.StatusAccepted {
		t.Fatalf("response status = %d", code)
	}
	if o := <-done; o.err != nil || string(o.payload) != `"pong"` {
		t.Fatalf("Invoke() = %q, %v", o.payload, o.err)
	}
	// A second answer for the same id is refused.
	if code := post(t, rt, "/2018-06-01/runtime/invocation/"+id+"/response", "", `"again"`); code != http.StatusBadRequest {
		t.Errorf("duplicate response status = %d, want 400", code)
	}

	// Invocation error.
	done = invoke(`{"n":2}`)
	id, _, _ = next()
	post(t, rt, "/2018-06-01/runtime/invocation/"+id+"/error", "Handled.Oops", `{"errorMessage":"oops","errorType":"Oops"}`)
	var fe *lambdatest.FunctionError
	if o := <-done; !errors.As(o.err, &fe) || fe.Type != "Handled.Oops" || fe.Message != "oops" || fe.RequestID != id {
		t.Fatalf("Invoke() error = %v, want FunctionError Handled.Oops", o.err)
	}

	// Init error fails waiting and future invocations.
	done = invoke(`{"n":3}`)
	post(t, rt, "/2018-06-01/runtime/init/error", "Runtime.Init", `{"errorMessage":"no config","errorType":"Init"}`)
	if o := <-done; !errors.As(o.err, &fe) || fe.RequestID != "" || fe.Message != "no config" {
		t.Fatalf("Invoke() after init error = %v", o.err)
	}
	if _, err := rt.Invoke(ctx, []byte(`{}`)); !errors.As(err, &fe) {
		t.Fatalf("Invoke() after init error = %v", err)
	}
}
