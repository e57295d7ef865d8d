// Package redisserver runs a real redis-server for tests: on a free
// loopback port, without persistence, stopped when the test ends. `make
// deps` installs redis-server (Debian's package) when it is missing.
package redisserver

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds the wait for the server to answer PING.
const startTimeout = 30 * time.Second

// Server is a running redis-server.
type Server struct {
	Addr string // "127.0.0.1:PORT"
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// Start launches redis-server and returns it once it answers PING; t's
// cleanup stops it. Without the binary it skips t, or fails it when the
// environment has CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redisserver: %v", err)
		}
		t.Skipf("redisserver: %v (run `make deps` to install it)", err)
	}
	for range 3 { // the free port may be taken before redis binds it
		s, exited, err := start(t, bin)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		if !exited {
			t.Fatalf("redisserver: %v", err)
		}
	}
	t.Fatalf("redisserver: %v", err)
	return nil
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Stop kills the server and waits for it to exit; later calls do nothing.
// Tests use it to simulate losing Redis.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
}

func start(t testing.TB, bin string) (*Server, bool, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, false, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--daemonize", "no")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("start redis-server: %w", err)
	}
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{})}
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if ping(s.Addr) {
			return s, false, nil
		}
		select {
		case <-s.done:
			return nil, true, fmt.Errorf("redis-server exited (%v) before answering:\n%s", waitErr, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.Stop()
	return nil, false, fmt.Errorf("redis-server did not answer on %s within %v:\n%s", s.Addr, startTimeout, out.String())
}

// ping reports whether a Redis server answers PING at addr.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

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
