package route

import (
	"errors"
	"fmt"
	"slices"
)

// MethodAny registers a route for every method. It conflicts with every
// method on the same shape.
const MethodAny = "ANY"

// ErrConflict is wrapped by Builder.Add when a route would be ambiguous with
// one already added; the message names the existing template.
var ErrConflict = errors.New("route: conflicting route")

// ErrBadMethod is wrapped by Builder.Add when the method is not an HTTP
// token.
var ErrBadMethod = errors.New("route: bad method")

// Builder collects routes for a Table. It is not safe for concurrent use.
// The zero value is ready to use.
type Builder[T any] struct {
	routes  []entry[T]
	byShape map[string][]int // shape -> indexes into routes
}

// NewBuilder returns an empty Builder.
func NewBuilder[T any]() *Builder[T] {
	return &Builder[T]{byShape: make(map[string][]int)}
}

// Add registers v for method and t. It returns an error wrapping ErrConflict
// if a route with the same shape was added for the same method, or if either
// route uses MethodAny.
func (b *Builder[T]) Add(method string, t *Template, v T) error {
	if t == nil {
		return fmt.Errorf("%w: nil template", ErrBadTemplate)
	}
	if !validMethod(method) {
		return fmt.Errorf("%w: %q is not an HTTP method token", ErrBadMethod, method)
	}
	if b.byShape == nil {
		b.byShape = make(map[string][]int)
	}
	for _, i := range b.byShape[t.shape] {
		old := b.routes[i]
		if old.method == method || old.method == MethodAny || method == MethodAny {
			return fmt.Errorf("%w: %s %s overlaps existing route %s %s",
				ErrConflict, method, t.text, old.method, old.tmpl.text)
		}
	}
	b.byShape[t.shape] = append(b.byShape[t.shape], len(b.routes))
	b.routes = append(b.routes, entry[T]{method: method, tmpl: t, names: t.Params(), v: v})
	return nil
}

// Build compiles the routes added so far into a Table. The Builder may be
// used again afterwards; the Table does not change.
func (b *Builder[T]) Build() *Table[T] {
	root := &node[T]{}
	for _, e := range b.routes {
		n := root
		for _, seg := range e.tmpl.segs {
			switch seg.kind {
			case segLiteral:
				n = n.literal(lowerASCII(seg.text))
			case segParam:
				if n.param == nil {
					n.param = &node[T]{}
				}
				n = n.param
			case segGreedy: // always the last segment (Parse guarantees it)
				n.greedy = append(n.greedy, e)
				n = nil
			}
		}
		if n != nil {
			n.here = append(n.here, e)
		}
	}
	root.finish()
	return &Table[T]{root: root, n: len(b.routes)}
}

// Table matches canonical paths to routes. It is immutable and safe for
// concurrent use. The zero value matches nothing.
type Table[T any] struct {
	root *node[T]
	n    int
}

// Len returns the number of routes (method, template pairs).
func (t *Table[T]) Len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// Match finds the route for method and path, which must be canonical (see
// Canonical), and fills p with its params. At each segment a literal beats a
// param, which beats a greedy param; when the more specific branch has no
// route for the method, the next one is tried. ok is false if no route
// matches. Param values are substrings of path, so still percent-escaped
// (an encoded "/" arrives as %2F); a greedy value spans its segments with
// their "/" separators. Match does not allocate. p must not be nil.
func (t *Table[T]) Match(method, path string, p *Params) (v T, ok bool) {
	p.Reset()
	if t == nil || t.root == nil || path == "" || path[0] != '/' {
		return v, false
	}
	if path == "/" {
		path = ""
	}
	e := t.root.match(method, path, p)
	if e == nil {
		return v, false
	}
	copy(p.names[:], e.names)
	return e.v, true
}

// Allowed returns, sorted, the methods for which Match would find a route
// for path: the Allow header of a 405 response. It includes MethodAny if an
// ANY route matches (then Match never fails for path). It returns nil if no
// route matches path at all (404).
func (t *Table[T]) Allowed(path string) []string {
	if t == nil || t.root == nil || path == "" || path[0] != '/' {
		return nil
	}
	if path == "/" {
		path = ""
	}
	var methods []string
	t.root.each(path, func(es []entry[T]) {
		for _, e := range es {
			if !slices.Contains(methods, e.method) {
				methods = append(methods, e.method)
			}
		}
	})
	slices.Sort(methods)
	return methods
}

// entry is one route.
type entry[T any] struct {
	method string
	tmpl   *Template
	names  []string
	v      T
}

// linearMax is the fan-out up to which literal children are scanned rather
// than looked up in a map.
const linearMax = 8

// node is one segment position in the route tree.
type node[T any] struct {
	kids   []kid[T]            // literal children, keys lower-cased
	lits   map[string]*node[T] // the same, when there are more than linearMax
	maxLit int                 // longest literal key
	param  *node[T]
	greedy []entry[T] // routes ending in a greedy param here
	here   []entry[T] // routes ending at this node
}

type kid[T any] struct {
	key  string
	node *node[T]
}

func (n *node[T]) literal(key string) *node[T] {
	for _, k := range n.kids {
		if k.key == key {
			return k.node
		}
	}
	c := &node[T]{}
	n.kids = append(n.kids, kid[T]{key, c})
	return c
}

// finish builds lookup indexes, recursively.
func (n *node[T]) finish() {
	for _, k := range n.kids {
		n.maxLit = max(n.maxLit, len(k.key))
		k.node.finish()
	}
	if len(n.kids) > linearMax {
		n.lits = make(map[string]*node[T], len(n.kids))
		for _, k := range n.kids {
			n.lits[k.key] = k.node
		}
	}
	if n.param != nil {
		n.param.finish()
	}
}

// child returns the literal child matching seg case-insensitively, or nil.
func (n *node[T]) child(seg string) *node[T] {
	if len(seg) > n.maxLit {
		return nil
	}
	var buf [64]byte
	if n.lits == nil || len(seg) > len(buf) {
		for _, k := range n.kids {
			if equalFoldLower(k.key, seg) {
				return k.node
			}
		}
		return nil
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return n.lits[string(buf[:len(seg)])] // no allocation: the compiler optimizes map[string(bytes)]
}

// match returns the route for method below n for path, which is "" or starts
// with "/", pushing param values onto p.
func (n *node[T]) match(method, path string, p *Params) *entry[T] {
	if path == "" {
		return find(n.here, method)
	}
	seg, rest := path[1:], ""
	for i := 0; i < len(seg); i++ {
		if seg[i] == '/' {
			seg, rest = seg[:i], seg[i:]
			break
		}
	}
	if c := n.child(seg); c != nil {
		if e := c.match(method, rest, p); e != nil {
			return e
		}
	}
	if n.param != nil && seg != "" {
		p.push(seg)
		if e := n.param.match(method, rest, p); e != nil {
			return e
		}
		p.pop()
	}
	if e := find(n.greedy, method); e != nil && len(path) > 1 {
		p.push(path[1:])
		return e
	}
	return nil
}

// each calls f with the routes of every branch below n that matches path.
func (n *node[T]) each(path string, f func([]entry[T])) {
	if path == "" {
		f(n.here)
		return
	}
	seg, rest := path[1:], ""
	for i := 0; i < len(seg); i++ {
		if seg[i] == '/' {
			seg, rest = seg[:i], seg[i:]
			break
		}
	}
	if c := n.child(seg); c != nil {
		c.each(rest, f)
	}
	if n.param != nil && seg != "" {
		n.param.each(rest, f)
	}
	if len(path) > 1 {
		f(n.greedy)
	}
}

func find[T any](es []entry[T], method string) *entry[T] {
	for i := range es {
		if es[i].method == method || es[i].method == MethodAny {
			return &es[i]
		}
	}
	return nil
}

// equalFoldLower reports whether s equals the lower-case ASCII key, ignoring
// ASCII case.
func equalFoldLower(key, s string) bool {
	if len(key) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != key[i] {
			return false
		}
	}
	return true
}

// validMethod reports whether m is an RFC 9110 token.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !isUnreserved(c) && !isTchar(c) {
			return false
		}
	}
	return true
}

func isTchar(c byte) bool {
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '^', '`', '|':
		return true
	}
	return false
}
