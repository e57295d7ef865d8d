// Package lambdatest provides a fake of the AWS Lambda Runtime API so a
// built function binary (a "bootstrap") can be run and invoked end to end in
// a test, without the Runtime Interface Emulator.
//
// Start the binary with AWS_LAMBDA_RUNTIME_API=rt.Addr(); it long-polls
// GET /2018-06-01/runtime/invocation/next, and Invoke hands it events and
// waits for the POSTed response or error. Only the documented paths are
// served: invocation/next, invocation/{id}/response, invocation/{id}/error
// and init/error.
package lambdatest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FunctionARN is the Lambda-Runtime-Invoked-Function-Arn sent with every event.
const FunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:lambdatest"

// DefaultTimeout is the invocation deadline when Invoke's ctx has none.
const DefaultTimeout = 30 * time.Second

// maxPayload is Lambda's synchronous response limit.
const maxPayload = 6 << 20

// FunctionError is returned by Invoke when the function reported an error,
// either for the invocation (POST .../{id}/error, or an error trailer on a
// streamed response) or at init (POST /runtime/init/error; RequestID empty).
type FunctionError struct {
	RequestID string
	Type      string // Lambda-Runtime-Function-Error-Type, else errorType
	Message   string // errorMessage from the body, if JSON
	Body      []byte
}

func (e *FunctionError) Error() string {
	where := "init"
	if e.RequestID != "" {
		where = "invocation " + e.RequestID
	}
	return fmt.Sprintf("lambdatest: %s failed: %s: %s", where, e.Type, e.Message)
}

// ErrClosed is returned by Invoke once the FakeRuntime has been closed.
var ErrClosed = errors.New("lambdatest: runtime closed")

type result struct {
	payload []byte
	err     error
}

type pending struct {
	id       string
	event    []byte
	deadline time.Time
	done     chan result // buffered 1
}

// FakeRuntime is an httptest server speaking the Lambda Runtime API.
// It is safe for concurrent use; events are handed out in Invoke order.
type FakeRuntime struct {
	srv    *httptest.Server
	queue  chan *pending
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex
	seq      int
	inflight map[string]*pending
	initErr  *FunctionError
	initDone chan struct{} // closed when init/error is posted
}

// NewFakeRuntime starts a fake Runtime API; it is closed by t.Cleanup.
func NewFakeRuntime(t testing.TB) *FakeRuntime {
	t.Helper()
	rt := &FakeRuntime{
		queue:    make(chan *pending),
		closed:   make(chan struct{}),
		inflight: make(map[string]*pending),
		initDone: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", rt.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", rt.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", rt.invocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", rt.initError)
	rt.srv = httptest.NewServer(mux)
	t.Cleanup(rt.Close)
	return rt
}

// Addr returns host:port, the value for AWS_LAMBDA_RUNTIME_API.
func (rt *FakeRuntime) Addr() string { return strings.TrimPrefix(rt.srv.URL, "http://") }

// Close releases pending long polls and stops the server. Idempotent.
func (rt *FakeRuntime) Close() {
	rt.once.Do(func() {
		close(rt.closed)
		rt.srv.Close()
	})
}

// Invoke queues event for the function and waits, bounded by ctx, for its
// response payload. A function-reported error is a *FunctionError. The
// event's deadline (Lambda-Runtime-Deadline-Ms) is ctx's deadline, or
// DefaultTimeout from now.
func (rt *FakeRuntime) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	rt.mu.Lock()
	rt.seq++
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	p := &pending{
		id:       fmt.Sprintf("lambdatest-%08d", rt.seq),
		event:    event,
		deadline: deadline,
		done:     make(chan result, 1),
	}
	rt.inflight[p.id] = p
	rt.mu.Unlock()
	defer func() {
		rt.mu.Lock()
		delete(rt.inflight, p.id)
		rt.mu.Unlock()
	}()

	select {
	case rt.queue <- p:
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdatest: queue event: %w", ctx.Err())
	case <-rt.initDone:
		return nil, rt.initFailure()
	case <-rt.closed:
		return nil, ErrClosed
	}
	select {
	case r := <-p.done:
		return r.payload, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdatest: wait for %s: %w", p.id, ctx.Err())
	case <-rt.initDone:
		return nil, rt.initFailure()
	case <-rt.closed:
		return nil, ErrClosed
	}
}

func (rt *FakeRuntime) initFailure() error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.initErr
}

// next is the long poll: it blocks until Invoke queues an event.
func (rt *FakeRuntime) next(w http.ResponseWriter, r *http.Request) {
	var p *pending
	select {
	case p = <-rt.queue:
	case <-r.Context().Done():
		return
	case <-rt.closed:
		http.Error(w, "runtime closed", http.StatusGone)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", p.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(p.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", FunctionARN)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
	_, _ = w.Write(p.event)
}

// take removes and returns the in-flight invocation id, or reports 400 as
// the real Runtime API does for an unknown or already answered id.
func (rt *FakeRuntime) take(w http.ResponseWriter, id string) *pending {
	rt.mu.Lock()
	p := rt.inflight[id]
	delete(rt.inflight, id)
	rt.mu.Unlock()
	if p == nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "unknown or completed request id "+id)
	}
	return p
}

func (rt *FakeRuntime) response(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", err.Error())
		return
	}
	p := rt.take(w, r.PathValue("id"))
	if p == nil {
		return
	}
	// A streamed response reports a mid-stream failure in trailers.
	if typ := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); typ != "" {
		errBody, _ := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
		p.done <- result{err: functionError(p.id, typ, errBody)}
	} else {
		p.done <- result{payload: body}
	}
	w.WriteHeader(http.StatusAccepted)
}

func (rt *FakeRuntime) invocationError(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", err.Error())
		return
	}
	p := rt.take(w, r.PathValue("id"))
	if p == nil {
		return
	}
	p.done <- result{err: functionError(p.id, r.Header.Get("Lambda-Runtime-Function-Error-Type"), body)}
	w.WriteHeader(http.StatusAccepted)
}

func (rt *FakeRuntime) initError(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", err.Error())
		return
	}
	rt.mu.Lock()
	first := rt.initErr == nil
	if first {
		rt.initErr = functionError("", r.Header.Get("Lambda-Runtime-Function-Error-Type"), body)
	}
	rt.mu.Unlock()
	if first {
		close(rt.initDone)
	}
	w.WriteHeader(http.StatusAccepted)
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(b) > maxPayload {
		return nil, fmt.Errorf("payload larger than %d bytes", maxPayload)
	}
	return b, nil
}

// functionError decodes the Runtime API error document
// {"errorMessage": ..., "errorType": ...}; other bodies are kept raw.
func functionError(id, typ string, body []byte) *FunctionError {
	var doc struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	_ = json.Unmarshal(body, &doc)
	if typ == "" {
		typ = doc.Type
	}
	return &FunctionError{RequestID: id, Type: typ, Message: doc.Message, Body: body}
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}
