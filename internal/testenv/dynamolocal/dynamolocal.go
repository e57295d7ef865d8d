// Package dynamolocal runs AWS's DynamoDB Local for tests.
//
// The emulator (a Java program) comes from the npm package
// amplify-dynamodb-simulator, pinned in tools/package.json and installed
// into tools/node_modules by `make tools` (npm ci --prefix tools). Start
// launches one in-memory instance on a free loopback port and stops it when
// the test ends.
package dynamolocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// EnvDir names the environment variable that overrides where the emulator
// is: the directory holding DynamoDBLocal.jar and DynamoDBLocal_lib.
const EnvDir = "PORTICO_DYNAMODB_LOCAL_DIR"

// EnvEndpoint names the environment variable that points the tests at an
// already running DynamoDB-compatible endpoint instead of starting one.
const EnvEndpoint = "PORTICO_TEST_DYNAMODB_ENDPOINT"

// emulatorDir is where `make tools` installs the emulator, relative to the
// module root.
const emulatorDir = "tools/node_modules/amplify-dynamodb-simulator/emulator"

// startTimeout bounds the wait for the emulator to answer: about 1.5 s on
// an idle machine, but over 20 s on a loaded 2-core one.
const startTimeout = 2 * time.Minute

// Start launches DynamoDB Local and returns its endpoint
// ("http://127.0.0.1:PORT"); t's cleanup stops it. Without Java or the
// emulator it skips t, or fails it when the environment has CI=true.
//
// When $PORTICO_TEST_DYNAMODB_ENDPOINT is set (for example LocalStack's
// http://localhost:4566, by `make localstack-test`), that endpoint is
// returned instead and nothing is started: the same tests then run against
// it.
func Start(t testing.TB) string {
	t.Helper()
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		return ep
	}
	dir, err := Dir()
	if err == nil {
		_, err = exec.LookPath("java")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dynamolocal: %v", err)
		}
		t.Skipf("dynamolocal: %v (run `make tools` to install DynamoDB Local; Java 17+ is needed)", err)
	}
	for range 3 { // the free port may be taken before Java binds it
		var endpoint string
		var stop func()
		var exited bool
		endpoint, stop, exited, err = start(t, dir)
		if err == nil {
			t.Cleanup(stop)
			return endpoint
		}
		if !exited {
			break
		}
	}
	t.Fatalf("dynamolocal: %v", err)
	return ""
}

// Dir returns the emulator directory: $PORTICO_DYNAMODB_LOCAL_DIR, else
// tools/node_modules/amplify-dynamodb-simulator/emulator under the module
// root found by walking up from the working directory to go.mod.
func Dir() (string, error) {
	dir := os.Getenv(EnvDir)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, filepath.FromSlash(emulatorDir))
	}
	if _, err := os.Stat(filepath.Join(dir, "DynamoDBLocal.jar")); err != nil {
		return "", fmt.Errorf("DynamoDB Local not found: %w", err)
	}
	return dir, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// start runs one emulator and waits until it answers; exited reports that
// it failed by exiting early (as when its port was taken).
func start(t testing.TB, dir string) (endpoint string, stop func(), exited bool, err error) {
	port, err := freePort()
	if err != nil {
		return "", nil, false, err
	}
	cmd := exec.Command("java",
		"-Djava.library.path="+filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(dir, "DynamoDBLocal.jar"),
		"-inMemory", "-disableTelemetry", "-port", strconv.Itoa(port))
	cmd.Dir = t.TempDir()
	killWithParent(cmd)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", nil, false, fmt.Errorf("start java: %w", err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(done)
	}()
	stop = func() {
		_ = cmd.Process.Kill()
		<-done
	}

	endpoint = "http://127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready(ctx, endpoint) {
			return endpoint, stop, false, nil
		}
		select {
		case <-done:
			return "", nil, true, fmt.Errorf("DynamoDB Local exited (%v) before answering:\n%s", waitErr, out.String())
		case <-ctx.Done():
			stop()
			return "", nil, false, fmt.Errorf("DynamoDB Local did not answer on %s within %v:\n%s", endpoint, startTimeout, out.String())
		case <-tick.C:
		}
	}
}

// ready reports whether a DynamoDB API answers at endpoint: an unsigned
// request gets a DynamoDB JSON error from it (a "__type" naming dynamodb),
// rather than a refused connection. Any other answer is not ready: another
// test's server may have taken the port between freePort and Java's bind
// (Java then exits, and Start tries another port).
func ready(ctx context.Context, endpoint string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader([]byte("{}")))
	if err != nil {
		return false
	}
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil || resp.StatusCode >= 500 {
		return false
	}
	b := strings.ToLower(string(body))
	return strings.Contains(b, "dynamodb") || strings.Contains(b, "tablenames")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// NewClient returns a client for the emulator at endpoint, with static fake
// credentials and region us-east-1; nothing is read from the environment or
// from ~/.aws.
func NewClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
	})
}

// syncBuffer collects the emulator's output for error messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
