package redisserver

import "testing"

func TestStartStop(t *testing.T) {
	s := Start(t)
	if !ping(s.Addr) {
		t.Fatal("no PONG from a started server")
	}
	s.Stop()
	if ping(s.Addr) {
		t.Fatal("server still answers after Stop")
	}
	s.Stop() // idempotent
}
