package detect

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestThresholdsAndBlock(t *testing.T) {
	var events []Event
	d := New(Config{Window: time.Minute, IPThreshold: 5, Threshold: 3, BlockFor: time.Minute, OnEvent: func(e Event) { events = append(events, e) }})
	for i := range 4 {
		d.Failed("acme", "10.0.0.1", "ptk_AAAAAAAA", "", t0.Add(time.Duration(i)*time.Second))
	}
	if _, blocked := d.Blocked("acme", "10.0.0.1", t0.Add(5*time.Second)); blocked {
		t.Fatal("blocked below the threshold")
	}
	if len(events) != 1 || events[0].By != ByPrefix || events[0].Failures != 3 {
		t.Fatalf("events = %+v", events)
	}
	d.Failed("acme", "10.0.0.1", "", "", t0.Add(5*time.Second))
	wait, blocked := d.Blocked("acme", "10.0.0.1", t0.Add(6*time.Second))
	if !blocked || wait != 59*time.Second {
		t.Fatalf("blocked %v for %v", blocked, wait)
	}
	if len(events) != 2 || events[1].By != ByIP || events[1].BlockedUntil.IsZero() {
		t.Fatalf("events = %+v", events)
	}
	// Other addresses and other tenants are unaffected.
	if _, b := d.Blocked("acme", "10.0.0.2", t0.Add(6*time.Second)); b {
		t.Fatal("another IP blocked")
	}
	if _, b := d.Blocked("globex", "10.0.0.1", t0.Add(6*time.Second)); b {
		t.Fatal("another tenant blocked")
	}
	if _, b := d.Blocked("acme", "10.0.0.1", t0.Add(66*time.Second)); b {
		t.Fatal("block outlived BlockFor")
	}
}

func TestConsumerFailuresNeverBlock(t *testing.T) {
	var events []Event
	d := New(Config{IPThreshold: 2, Threshold: 2, OnEvent: func(e Event) { events = append(events, e) }})
	for range 10 {
		d.Failed("acme", "", "", "consumer:mobile", t0)
	}
	if len(events) != 1 || events[0].By != ByConsumer {
		t.Fatalf("events = %+v", events)
	}
	if d.nBlocks.Load() != 0 {
		t.Fatal("a consumer's failures blocked something")
	}
}

func TestWindowsReset(t *testing.T) {
	d := New(Config{Window: time.Minute, IPThreshold: 3})
	for i := range 10 {
		// Two failures per window never reach three.
		d.Failed("acme", "10.0.0.1", "", "", t0.Add(time.Duration(i/2)*time.Minute))
	}
	if _, b := d.Blocked("acme", "10.0.0.1", t0.Add(5*time.Minute)); b {
		t.Fatal("blocked across windows")
	}
}

func TestBounded(t *testing.T) {
	d := New(Config{MaxEntries: 100})
	for i := range 1000 {
		d.Failed("acme", string(rune('a'+i%26))+string(rune(i)), "", "", t0)
	}
	if len(d.counts) > 100 {
		t.Fatalf("%d counters", len(d.counts))
	}
}

func BenchmarkBlockedNoBlocks(b *testing.B) {
	d := New(Config{})
	b.ReportAllocs()
	for b.Loop() {
		if _, blocked := d.Blocked("acme", "10.0.0.1", t0); blocked {
			b.Fatal("blocked")
		}
	}
}
