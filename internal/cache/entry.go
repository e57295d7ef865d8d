package cache

import (
	"encoding/binary"
	"errors"
	"net/http"
	"time"
)

// Entry is a stored response. An Entry handed out by the cache is shared by
// every reader: treat it as read-only.
type Entry struct {
	Status   int
	Header   http.Header
	Body     []byte
	StoredAt time.Time
	TTL      time.Duration

	// Tenant, API, Version and Path (the canonical request path, version
	// first) say what the entry belongs to, so a purge can find it.
	Tenant, API, Version, Path string
	// Tags are purge tags (from the upstream's Cache-Tag or Surrogate-Key
	// header): a purge by tag removes every entry of the tenant holding it.
	Tags []string
	// Endpoint is the ID of the endpoint that stored the entry, for the
	// per-endpoint metrics.
	Endpoint string
	// StaleIfError is how long past its TTL the entry is kept and may be
	// served when the upstream fails (RFC 5861 stale-if-error); 0: never.
	StaleIfError time.Duration
}

// Expires is when e stops being fresh.
func (e *Entry) Expires() time.Time { return e.StoredAt.Add(e.TTL) }

// Retain is when e stops being of any use: its expiry plus its
// stale-if-error window. Stores keep an entry until then.
func (e *Entry) Retain() time.Time { return e.Expires().Add(e.StaleIfError) }

// Fresh reports whether e may still be served at now.
func (e *Entry) Fresh(now time.Time) bool { return now.Before(e.Expires()) }

// StaleUsable reports whether e is past its TTL at now but still within its
// stale-if-error window, so it may answer a request whose upstream failed.
func (e *Entry) StaleUsable(now time.Time) bool {
	return !e.Fresh(now) && now.Before(e.Retain())
}

// Age is e's age at now in whole seconds (RFC 9111 Age), never negative.
func (e *Entry) Age(now time.Time) int64 {
	if d := now.Sub(e.StoredAt); d > 0 {
		return int64(d / time.Second)
	}
	return 0
}

// Size estimates e's memory footprint in bytes, for the L1 bound and the
// maximum entry size.
func (e *Entry) Size() int {
	n := 128 + len(e.Body) + len(e.Tenant) + len(e.API) + len(e.Version) + len(e.Path) + len(e.Endpoint)
	for _, t := range e.Tags {
		n += len(t) + 16
	}
	for k, vs := range e.Header {
		n += len(k) + 16
		for _, v := range vs {
			n += len(v) + 16
		}
	}
	return n
}

// ErrCorrupt is returned by Decode for data that is not an encoded Entry.
var ErrCorrupt = errors.New("cache: corrupt entry")

// encodingVersion 2 adds the endpoint and the tags after the path; 3 adds
// the stale-if-error window after the TTL. Decode still reads 1 and 2.
const encodingVersion = 3

// Encode serialises e for an L2 store: a version byte, then varints and
// length-prefixed strings. It is compact and cheap, unlike JSON with a
// base64 body.
func (e *Entry) Encode() []byte {
	b := make([]byte, 0, e.Size()+32)
	b = append(b, encodingVersion)
	b = binary.AppendUvarint(b, uint64(e.Status))
	b = binary.AppendVarint(b, e.StoredAt.UnixNano())
	b = binary.AppendVarint(b, int64(e.TTL))
	b = binary.AppendVarint(b, int64(e.StaleIfError))
	for _, s := range [...]string{e.Tenant, e.API, e.Version, e.Path} {
		b = appendString(b, s)
	}
	b = appendString(b, e.Endpoint)
	b = binary.AppendUvarint(b, uint64(len(e.Tags)))
	for _, t := range e.Tags {
		b = appendString(b, t)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Header)))
	for k, vs := range e.Header {
		b = appendString(b, k)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendString(b, v)
		}
	}
	return appendString(b, string(e.Body))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Decode parses what Encode produced. Data from an L2 store is untrusted
// input: every length is checked against what is left.
func Decode(data []byte) (*Entry, error) {
	d := decoder{b: data}
	v := d.byte()
	if v < 1 || v > encodingVersion {
		return nil, ErrCorrupt
	}
	e := &Entry{}
	status := d.uvarint()
	e.StoredAt = time.Unix(0, d.varint())
	e.TTL = time.Duration(d.varint())
	if v >= 3 {
		e.StaleIfError = time.Duration(d.varint())
	}
	e.Tenant, e.API, e.Version, e.Path = d.string(), d.string(), d.string(), d.string()
	if v >= 2 {
		e.Endpoint = d.string()
		nt := d.uvarint()
		if nt > uint64(len(d.b)) {
			return nil, ErrCorrupt
		}
		for i := uint64(0); i < nt && !d.bad; i++ {
			e.Tags = append(e.Tags, d.string())
		}
	}
	n := d.uvarint()
	if n > uint64(len(d.b)) { // each header needs at least one byte
		return nil, ErrCorrupt
	}
	if n > 0 {
		e.Header = make(http.Header, n)
	}
	for i := uint64(0); i < n && !d.bad; i++ {
		k := d.string()
		m := d.uvarint()
		if m > uint64(len(d.b)) {
			return nil, ErrCorrupt
		}
		vs := make([]string, 0, m)
		for j := uint64(0); j < m && !d.bad; j++ {
			vs = append(vs, d.string())
		}
		e.Header[k] = vs
	}
	body := d.bytes()
	if d.bad || len(d.b) != 0 || status < 100 || status > 999 || e.TTL < 0 || e.StaleIfError < 0 {
		return nil, ErrCorrupt
	}
	e.Status = int(status)
	e.Body = body
	return e, nil
}

type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)) {
		d.bad = true
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) string() string { return string(d.bytes()) }
