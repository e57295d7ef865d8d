package detect

import (
	"testing"
	"time"
)

func TestUnknownTenantEnumeration(t *testing.T) {
	var events []Event
	d := New(Config{Window: time.Minute, EnumerationThreshold: 4, BlockFor: time.Minute, OnEvent: func(e Event) { events = append(events, e) }})
	for i := range 3 {
		d.UnknownTenant("10.0.0.1", t0.Add(time.Duration(i)*time.Second))
	}
	if _, b := d.EnumerationBlocked("10.0.0.1", t0.Add(3*time.Second)); b || len(events) != 0 {
		t.Fatalf("below the threshold: blocked %v, events %+v", b, events)
	}
	d.UnknownTenant("10.0.0.1", t0.Add(3*time.Second))
	wait, b := d.EnumerationBlocked("10.0.0.1", t0.Add(4*time.Second))
	if !b || wait != 59*time.Second {
		t.Fatalf("blocked %v for %v", b, wait)
	}
	if len(events) != 1 || events[0].By != ByUnknownTenant || events[0].Value != "10.0.0.1" || events[0].Tenant != "" || events[0].BlockedUntil.IsZero() {
		t.Fatalf("events = %+v", events)
	}
	// One event per window, however long the probing goes on.
	for i := range 10 {
		d.UnknownTenant("10.0.0.1", t0.Add(time.Duration(5+i)*time.Second))
	}
	if len(events) != 1 {
		t.Errorf("events = %d, want 1", len(events))
	}
	// Other addresses are unaffected; an enumeration block is not an
	// auth-failure block and vice versa; it ends after BlockFor.
	if _, b := d.EnumerationBlocked("10.0.0.2", t0.Add(5*time.Second)); b {
		t.Error("another IP blocked")
	}
	if _, b := d.Blocked("acme", "10.0.0.1", t0.Add(5*time.Second)); b {
		t.Error("enumeration block leaked into a tenant's auth-failure block")
	}
	if _, b := d.EnumerationBlocked("10.0.0.1", t0.Add(64*time.Second)); b {
		t.Error("block outlived BlockFor")
	}
	d.UnknownTenant("", t0) // no source: ignored
}
